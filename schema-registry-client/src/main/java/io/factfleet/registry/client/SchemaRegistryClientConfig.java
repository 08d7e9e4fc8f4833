package io.factfleet.registry.client;

import org.apache.kafka.common.config.ConfigException;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The properties {@link HttpSchemaRegistryClient} reads. The names are Confluent's, so a client or
 * serde configuration written for Confluent's serializers works unchanged.
 */
public final class SchemaRegistryClientConfig {

    /**
     * Comma-separated base URLs of the registry, e.g. {@code http://registry-1:8081,http://registry-2:8081}.
     * Required. Requests go to the first URL that answers.
     */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";

    /** {@code user:password} for HTTP basic authentication. Optional. */
    public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";

    /**
     * Where basic-auth credentials come from: {@code USER_INFO} ({@value #BASIC_AUTH_USER_INFO_CONFIG})
     * or {@code URL} (the user-info part of the registry URL). Default: {@code USER_INFO} when
     * {@value #BASIC_AUTH_USER_INFO_CONFIG} is set, else {@code URL}.
     */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG = "basic.auth.credentials.source";

    /**
     * Timeout for connecting to and for each request to the registry, in milliseconds. Default
     * {@value #DEFAULT_REQUEST_TIMEOUT_MS}. (A FactFleet addition; Confluent's client ignores it.)
     */
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "schema.registry.request.timeout.ms";

    /**
     * A truststore (file) of the certificates to trust for an {@code https} registry, as Confluent's client names it.
     * Optional: without it the JVM's default trust applies.
     */
    public static final String SSL_TRUSTSTORE_LOCATION_CONFIG = "schema.registry.ssl.truststore.location";

    /** The truststore's password. */
    public static final String SSL_TRUSTSTORE_PASSWORD_CONFIG = "schema.registry.ssl.truststore.password";

    /** The truststore's type. Default {@code PKCS12}. */
    public static final String SSL_TRUSTSTORE_TYPE_CONFIG = "schema.registry.ssl.truststore.type";

    /** Default of {@value #REQUEST_TIMEOUT_MS_CONFIG}. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

    private SchemaRegistryClientConfig() {
    }

    /** The registry URLs in {@code config}, trailing slashes removed. */
    static List<String> urls(final Map<String, ?> config) {
        final Object value = config.get(SCHEMA_REGISTRY_URL_CONFIG);
        final String text = value instanceof List<?> list
            ? String.join(",", list.stream().map(String::valueOf).toList())
            : value == null ? "" : value.toString();
        final List<String> urls = Arrays.stream(text.split(","))
            .map(String::trim)
            .filter(url -> !url.isEmpty())
            .map(url -> url.endsWith("/") ? url.substring(0, url.length() - 1) : url)
            .toList();
        if (urls.isEmpty()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, value,
                "The schema registry URL is required, e.g. http://localhost:8081");
        }
        return urls;
    }

    static Duration requestTimeout(final Map<String, ?> config) {
        final Object value = config.get(REQUEST_TIMEOUT_MS_CONFIG);
        if (value == null) {
            return Duration.ofMillis(DEFAULT_REQUEST_TIMEOUT_MS);
        }
        try {
            final long millis = Long.parseLong(value.toString().trim());
            if (millis <= 0) {
                throw new ConfigException(REQUEST_TIMEOUT_MS_CONFIG, value, "must be positive");
            }
            return Duration.ofMillis(millis);
        } catch (final NumberFormatException e) {
            throw new ConfigException(REQUEST_TIMEOUT_MS_CONFIG, value, "must be a number of milliseconds");
        }
    }

    /** Reads a boolean property that may be given as a Boolean or a String. */
    static boolean booleanValue(final Map<String, ?> config, final String name, final boolean defaultValue) {
        final Object value = config.get(name);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        final String text = value.toString().trim();
        if (text.equalsIgnoreCase("true")) {
            return true;
        }
        if (text.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(name, value, "must be true or false");
    }
}
