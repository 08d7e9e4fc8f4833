package io.factfleet.registry.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link SchemaRegistryClient} over HTTP ({@link HttpClient} and Jackson), speaking exactly the
 * Confluent Schema Registry REST API: it works unchanged against FactFleet's registry and against
 * Confluent's.
 *
 * <p>Schemas are cached by id, and ids by (subject, schema), for the life of the client: ids never
 * change once assigned, so a serializer or deserializer asks the registry once per schema.
 *
 * <p>Configured with {@link SchemaRegistryClientConfig}'s properties:
 * <pre>{@code
 * SchemaRegistryClient registry = new HttpSchemaRegistryClient(Map.of(
 *     "schema.registry.url", "http://localhost:8081"));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    /** The content type of Confluent's REST API, version 1. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final String ACCEPT = "application/vnd.schemaregistry.v1+json, "
        + "application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final int MAX_ERROR_BODY_CHARS = 500;
    private static final Logger LOG = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);

    private final List<String> baseUrls;
    private final Optional<String> authorization;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger preferredUrl = new AtomicInteger();

    private final ConcurrentMap<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final ConcurrentMap<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    /**
     * A client configured by Confluent-style properties: {@code schema.registry.url} (required),
     * {@code basic.auth.user.info}, {@code basic.auth.credentials.source}, {@code schema.registry.ssl.truststore.*},
     * {@code schema.registry.request.timeout.ms}. Other properties are ignored, so a whole serde or
     * producer configuration may be passed.
     *
     * @throws ConfigException if the URL is missing or a value is invalid
     */
    public HttpSchemaRegistryClient(final Map<String, ?> config) {
        final List<String> configuredUrls = SchemaRegistryClientConfig.urls(config);
        this.authorization = basicAuthorization(config, configuredUrls);
        this.baseUrls = configuredUrls.stream().map(HttpSchemaRegistryClient::withoutUserInfo).toList();
        this.requestTimeout = SchemaRegistryClientConfig.requestTimeout(config);
        final HttpClient.Builder builder = HttpClient.newBuilder()
            .connectTimeout(requestTimeout)
            .version(HttpClient.Version.HTTP_1_1);
        trusting(config).ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    /** The SSL context of {@code schema.registry.ssl.truststore.*}, when a truststore is configured. */
    private static Optional<javax.net.ssl.SSLContext> trusting(final Map<String, ?> config) {
        final Object location = config.get(SchemaRegistryClientConfig.SSL_TRUSTSTORE_LOCATION_CONFIG);
        if (location == null || location.toString().isBlank()) {
            return Optional.empty();
        }
        final Object password = config.get(SchemaRegistryClientConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG);
        final Object type = config.get(SchemaRegistryClientConfig.SSL_TRUSTSTORE_TYPE_CONFIG);
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(location.toString().strip()))) {
            final java.security.KeyStore store = java.security.KeyStore.getInstance(type == null ? "PKCS12" : type.toString());
            store.load(in, password == null ? null : password.toString().toCharArray());
            final javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            final javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return Optional.of(context);
        } catch (final IOException | java.security.GeneralSecurityException e) {
            throw new ConfigException(SchemaRegistryClientConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, location,
                "cannot be read as a " + (type == null ? "PKCS12" : type) + " truststore: " + e.getMessage());
        }
    }

    /** A client for the given comma-separated registry URL(s), with default settings. */
    public static HttpSchemaRegistryClient forUrl(final String urls) {
        return new HttpSchemaRegistryClient(Map.of(SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG, urls));
    }

    /** The registry base URLs this client uses, in order. */
    public List<String> baseUrls() {
        return baseUrls;
    }

    @Override
    public int register(final String subject, final Schema schema) {
        final SubjectSchema key = new SubjectSchema(subject, schema);
        final Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        final JsonNode response = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
        final int id = requiredInt(response, "id");
        remember(key, id);
        return id;
    }

    @Override
    public int lookup(final String subject, final Schema schema) {
        final SubjectSchema key = new SubjectSchema(subject, schema);
        final Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        final JsonNode response = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
        final int id = requiredInt(response, "id");
        remember(key, id);
        return id;
    }

    @Override
    public Schema getSchemaById(final int id) {
        final Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        final JsonNode response;
        try {
            response = send("GET", "/schemas/ids/" + id, null);
        } catch (final SchemaRegistryException e) {
            if (e.errorCode() == RegistryError.SCHEMA_NOT_FOUND.code()) {
                throw new UnknownSchemaIdException(id, e.registryMessage());
            }
            throw e;
        }
        final Schema schema = parseSchema(response, "schema id " + id);
        final Schema raced = schemasById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    @Override
    public List<String> subjects() {
        final JsonNode response = send("GET", "/subjects", null);
        final List<String> subjects = new ArrayList<>();
        response.forEach(node -> subjects.add(node.asText()));
        return subjects;
    }

    @Override
    public List<Integer> versions(final String subject) {
        final JsonNode response = send("GET", "/subjects/" + encode(subject) + "/versions", null);
        final List<Integer> versions = new ArrayList<>();
        response.forEach(node -> versions.add(node.asInt()));
        return versions;
    }

    @Override
    public SubjectVersion version(final String subject, final String version) {
        final JsonNode response = send("GET",
            "/subjects/" + encode(subject) + "/versions/" + encode(version), null);
        final int id = requiredInt(response, "id");
        final Schema schema = schemasById.computeIfAbsent(id, ignored -> parseSchema(response, "schema id " + id));
        return new SubjectVersion(response.path("subject").asText(subject), requiredInt(response, "version"), id,
            schema);
    }

    @Override
    public boolean isCompatible(final String subject, final String version, final Schema schema) {
        final JsonNode response = send("POST",
            "/compatibility/subjects/" + encode(subject) + "/versions/" + encode(version), schemaBody(schema));
        final JsonNode compatible = response.get("is_compatible");
        if (compatible == null || !compatible.isBoolean()) {
            throw unexpected("is_compatible", response);
        }
        return compatible.booleanValue();
    }

    @Override
    public String getCompatibility(final Optional<String> subject) {
        final String path = subject.map(s -> "/config/" + encode(s) + "?defaultToGlobal=true").orElse("/config");
        final JsonNode response = send("GET", path, null);
        final JsonNode level = response.has("compatibilityLevel")
            ? response.get("compatibilityLevel") : response.get("compatibility");
        if (level == null || !level.isTextual()) {
            throw unexpected("compatibilityLevel", response);
        }
        return level.asText();
    }

    @Override
    public void setCompatibility(final Optional<String> subject, final String level) {
        final ObjectNode body = json.createObjectNode().put("compatibility", level);
        send("PUT", subject.map(s -> "/config/" + encode(s)).orElse("/config"), body);
    }

    private void remember(final SubjectSchema key, final int id) {
        idsBySubjectSchema.putIfAbsent(key, id);
        schemasById.putIfAbsent(id, key.schema());
    }

    private ObjectNode schemaBody(final Schema schema) {
        return json.createObjectNode().put("schema", schema.toString());
    }

    /**
     * Sends one request, trying each base URL in turn from the one that answered last, and returns the
     * parsed JSON body.
     */
    private JsonNode send(final String method, final String path, final JsonNode body) {
        final String payload;
        try {
            payload = body == null ? null : json.writeValueAsString(body);
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("Cannot write request body", e);
        }
        final int start = preferredUrl.get();
        IOException lastFailure = null;
        for (int attempt = 0; attempt < baseUrls.size(); attempt++) {
            final int index = (start + attempt) % baseUrls.size();
            final String url = baseUrls.get(index) + path;
            try {
                final HttpResponse<String> response = http.send(request(method, url, payload),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                preferredUrl.set(index);
                return handle(method, url, response);
            } catch (final IOException e) {
                LOG.debug("Schema registry at {} did not answer {} {}", baseUrls.get(index), method, path, e);
                lastFailure = e;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryUnavailableException("Interrupted while calling the schema registry", e);
            }
        }
        throw new SchemaRegistryUnavailableException("No schema registry answered " + method + " " + path
            + " at " + baseUrls + ": " + lastFailure, lastFailure);
    }

    private HttpRequest request(final String method, final String url, final String payload) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
            .timeout(requestTimeout)
            .header("Accept", ACCEPT)
            .method(method, payload == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8));
        if (payload != null) {
            builder.header("Content-Type", CONTENT_TYPE);
        }
        authorization.ifPresent(value -> builder.header("Authorization", value));
        return builder.build();
    }

    private JsonNode handle(final String method, final String url, final HttpResponse<String> response) {
        final int status = response.statusCode();
        final String text = response.body() == null ? "" : response.body();
        if (status >= 200 && status < 300) {
            try {
                return text.isBlank() ? json.createObjectNode() : json.readTree(text);
            } catch (final JsonProcessingException e) {
                throw new SchemaRegistryException(status, status * 100,
                    "Schema registry answered " + method + " " + url + " with a body that is not JSON: "
                        + abbreviate(text), e);
            }
        }
        int errorCode = status * 100;
        String message = "Schema registry answered " + method + " " + url + " with HTTP " + status + ": "
            + abbreviate(text);
        try {
            final JsonNode error = json.readTree(text);
            if (error != null && error.has("error_code")) {
                errorCode = error.get("error_code").asInt(errorCode);
                message = error.path("message").asText(message);
            }
        } catch (final JsonProcessingException ignored) {
            // Not a registry error body (a proxy's HTML page, say): keep the raw text in the message.
        }
        throw new SchemaRegistryException(status, errorCode, message);
    }

    private Schema parseSchema(final JsonNode response, final String what) {
        final String type = response.path("schemaType").asText("AVRO");
        if (!type.toUpperCase(Locale.ROOT).equals("AVRO")) {
            throw new SchemaRegistryException(RegistryError.INVALID_SCHEMA,
                "The registry's " + what + " is a " + type + " schema; only AVRO is supported");
        }
        final JsonNode schema = response.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw unexpected("schema", response);
        }
        try {
            return new Schema.Parser().parse(schema.asText());
        } catch (final SchemaParseException e) {
            throw new SchemaRegistryException(RegistryError.INVALID_SCHEMA.httpStatus(),
                RegistryError.INVALID_SCHEMA.code(), "The registry's " + what + " does not parse as Avro: "
                + e.getMessage(), e);
        }
    }

    private static int requiredInt(final JsonNode response, final String field) {
        final JsonNode value = response.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw unexpected(field, response);
        }
        return value.intValue();
    }

    private static SchemaRegistryException unexpected(final String field, final JsonNode response) {
        return new SchemaRegistryException(200, 0,
            "Schema registry response lacks a valid '" + field + "': " + abbreviate(String.valueOf(response)));
    }

    private static String encode(final String pathSegment) {
        return URLEncoder.encode(Objects.requireNonNull(pathSegment, "path segment"), StandardCharsets.UTF_8)
            .replace("+", "%20");
    }

    private static String withoutUserInfo(final String url) {
        final URI uri = URI.create(url);
        if (uri.getRawUserInfo() == null) {
            return url;
        }
        return url.replace(uri.getRawUserInfo() + "@", "");
    }

    private static String abbreviate(final String text) {
        return text.length() <= MAX_ERROR_BODY_CHARS ? text : text.substring(0, MAX_ERROR_BODY_CHARS) + "...";
    }

    private static Optional<String> basicAuthorization(final Map<String, ?> config, final List<String> urls) {
        final Object userInfo = config.get(SchemaRegistryClientConfig.BASIC_AUTH_USER_INFO_CONFIG);
        final Object sourceValue = config.get(SchemaRegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG);
        final String source = sourceValue != null ? sourceValue.toString().trim().toUpperCase(Locale.ROOT)
            : userInfo != null && !userInfo.toString().isBlank() ? "USER_INFO" : "URL";
        final String credentials;
        switch (source) {
            case "USER_INFO" -> {
                if (userInfo == null || userInfo.toString().isBlank()) {
                    throw new ConfigException(SchemaRegistryClientConfig.BASIC_AUTH_USER_INFO_CONFIG, userInfo,
                        "required (user:password) when basic.auth.credentials.source=USER_INFO");
                }
                credentials = userInfo.toString();
            }
            case "URL" -> credentials = URI.create(urls.get(0)).getUserInfo();
            default -> throw new ConfigException(SchemaRegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG,
                sourceValue, "must be USER_INFO or URL");
        }
        if (credentials == null || credentials.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }
}
