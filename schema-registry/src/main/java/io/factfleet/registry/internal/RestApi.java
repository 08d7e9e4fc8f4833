package io.factfleet.registry.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.Permission;
import io.factfleet.registry.client.RegistryError;
import io.factfleet.registry.client.SubjectVersion;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP routes: the subset of the Confluent Schema Registry REST API that serializers and operators use,
 * with Confluent's paths, JSON bodies, content type and error bodies ({@code {"error_code", "message"}}).
 * Request bodies are read as JSON whatever their content type ({@code application/vnd.schemaregistry.v1+json},
 * {@code application/json}, {@code application/octet-stream}).
 * Every route declares who may call it ({@link AccessRule}): reads {@code schema.read}, registering
 * {@code schema.register}, compatibility changes {@code registry.config}; {@code /health} is open.
 */
public final class RestApi {

    /** The content type of every response. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NOT_READY_ERROR_CODE = 50001;
    private static final int NOT_FOUND_ERROR_CODE = 404;
    private static final int BAD_REQUEST_ERROR_CODE = 400;
    private static final int INTERNAL_ERROR_CODE = 500;
    /** Marks a response whose error body this class wrote, so the 404/405 fallbacks leave it alone. */
    private static final String ERROR_WRITTEN = "factfleet.registry.error-written";

    private final Registry registry;
    private final BooleanSupplier ready;
    private final Supplier<String> prometheusText;

    /**
     * @param ready whether the store has been read to the end; until then every route but {@code /health}
     *              answers 503
     * @param prometheusText the registry's metrics (authentication refusals), for {@code /metrics}
     */
    public RestApi(final Registry registry, final BooleanSupplier ready, final Supplier<String> prometheusText) {
        this.registry = registry;
        this.ready = ready;
        this.prometheusText = prometheusText;
    }

    /** Adds the routes and error handling to {@code app}. */
    public void install(final Javalin app) {
        app.before(ctx -> {
            if (!ready.getAsBoolean() && !ctx.path().equals("/health") && !ctx.path().equals("/metrics")) {
                throw new RegistryApiException(HttpStatus.SERVICE_UNAVAILABLE.getCode(), NOT_READY_ERROR_CODE,
                    "The schema registry is still reading its store topic", null);
            }
        });

        final AccessRule read = AccessRule.global(Permission.SCHEMA_READ);
        app.get("/", ctx -> json(ctx, JSON.createObjectNode()), read);
        app.get("/health", this::health, AccessRule.open());
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(prometheusText.get()), AccessRule.metrics());

        app.get("/subjects", ctx -> json(ctx, strings(registry.subjects())), read);
        app.post("/subjects/{subject}/versions", ctx -> json(ctx, JSON.createObjectNode()
            .put("id", registry.register(ctx.pathParam("subject"), schemaRequest(ctx)))), AccessRule.global(Permission.SCHEMA_REGISTER));
        app.post("/subjects/{subject}", ctx -> json(ctx,
            subjectVersion(registry.lookup(ctx.pathParam("subject"), schemaRequest(ctx)))), read);
        app.get("/subjects/{subject}/versions", ctx -> {
            final ArrayNode versions = JSON.createArrayNode();
            registry.versions(ctx.pathParam("subject")).forEach(versions::add);
            json(ctx, versions);
        }, read);
        app.get("/subjects/{subject}/versions/{version}", ctx -> json(ctx,
            subjectVersion(registry.version(ctx.pathParam("subject"), ctx.pathParam("version")))), read);
        app.get("/subjects/{subject}/versions/{version}/schema", ctx -> {
            final SubjectVersion version = registry.version(ctx.pathParam("subject"), ctx.pathParam("version"));
            ctx.contentType(CONTENT_TYPE).result(version.schema().toString());
        }, read);

        app.get("/schemas/ids/{id}", ctx -> json(ctx, JSON.createObjectNode()
            .put("schema", registry.schemaById(ctx.pathParam("id")).toString())), read);

        app.post("/compatibility/subjects/{subject}/versions/{version}", ctx -> {
            final List<String> problems = registry.incompatibilities(ctx.pathParam("subject"),
                ctx.pathParam("version"), schemaRequest(ctx));
            final ObjectNode body = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
            if (Boolean.parseBoolean(ctx.queryParam("verbose"))) {
                body.set("messages", strings(problems));
            }
            json(ctx, body);
        }, read);

        final AccessRule configure = AccessRule.global(Permission.REGISTRY_CONFIG);
        app.get("/config", ctx -> json(ctx, JSON.createObjectNode()
            .put("compatibilityLevel", registry.globalLevel().name())), read);
        app.put("/config", ctx -> json(ctx, JSON.createObjectNode()
            .put("compatibility", registry.setLevel(Optional.empty(), compatibility(ctx)).name())), configure);
        app.get("/config/{subject}", ctx -> json(ctx, JSON.createObjectNode()
            .put("compatibilityLevel", registry.subjectLevel(ctx.pathParam("subject"),
                Boolean.parseBoolean(ctx.queryParam("defaultToGlobal"))).name())), read);
        app.put("/config/{subject}", ctx -> json(ctx, JSON.createObjectNode()
            .put("compatibility", registry.setLevel(Optional.of(ctx.pathParam("subject")), compatibility(ctx)).name())), configure);

        app.exception(RegistryApiException.class, (e, ctx) -> {
            if (e.httpStatus() >= 500 && e.getCause() != null) {
                LOG.warn("{} {} failed: {}", ctx.method(), ctx.path(), e.getMessage(), e.getCause());
            } else if (e.httpStatus() >= 500) {
                LOG.debug("{} {} answered {}: {}", ctx.method(), ctx.path(), e.httpStatus(), e.getMessage());
            }
            error(ctx, e.httpStatus(), e.errorCode(), e.getMessage());
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, INTERNAL_ERROR_CODE, INTERNAL_ERROR_CODE, "Internal error: " + e);
        });
        app.error(HttpStatus.NOT_FOUND, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                error(ctx, NOT_FOUND_ERROR_CODE, NOT_FOUND_ERROR_CODE, "HTTP 404 Not Found");
            }
        });
        app.error(HttpStatus.METHOD_NOT_ALLOWED, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                error(ctx, HttpStatus.METHOD_NOT_ALLOWED.getCode(), HttpStatus.METHOD_NOT_ALLOWED.getCode(),
                    "HTTP 405 Method Not Allowed");
            }
        });
    }

    private void health(final Context ctx) {
        final Optional<Throwable> failure = registry.failure();
        if (failure.isPresent()) {
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE);
            json(ctx, JSON.createObjectNode().put("status", "DOWN").put("reason", failure.get().toString()));
        } else if (!ready.getAsBoolean()) {
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE);
            json(ctx, JSON.createObjectNode().put("status", "STARTING"));
        } else {
            json(ctx, JSON.createObjectNode().put("status", "UP"));
        }
    }

    private static SchemaRequest schemaRequest(final Context ctx) {
        return schemaRequest(ctx.bodyAsBytes());
    }

    /**
     * The schema request in a body; package-private so the fuzz test decodes bodies as the routes do.
     *
     * @throws RegistryApiException 400 when the body is not a JSON object, 42201 when it names no schema
     */
    static SchemaRequest schemaRequest(final byte[] bytes) {
        final JsonNode body = body(bytes);
        final JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual() || schema.asText().isBlank()) {
            throw new RegistryApiException(RegistryError.INVALID_SCHEMA,
                "Empty schema: the request body must be {\"schema\": \"<Avro schema as a JSON string>\"}");
        }
        final JsonNode references = body.get("references");
        return new SchemaRequest(schema.asText(), body.path("schemaType").asText("AVRO"),
            references != null && references.isArray() && !references.isEmpty());
    }

    private static String compatibility(final Context ctx) {
        return compatibility(ctx.bodyAsBytes());
    }

    /** The level a {@code PUT /config} body names; 400 or 42203 when there is none. */
    static String compatibility(final byte[] bytes) {
        final JsonNode level = body(bytes).get("compatibility");
        if (level == null || !level.isTextual()) {
            throw new RegistryApiException(RegistryError.INVALID_COMPATIBILITY_LEVEL,
                "The request body must be {\"compatibility\": \"<level>\"}");
        }
        return level.asText();
    }

    private static JsonNode body(final byte[] bytes) {
        try {
            final JsonNode body = JSON.readTree(bytes);
            if (body == null || !body.isObject()) {
                throw new RegistryApiException(BAD_REQUEST_ERROR_CODE, BAD_REQUEST_ERROR_CODE,
                    "The request body must be a JSON object", null);
            }
            return body;
        } catch (final IOException e) {
            throw new RegistryApiException(BAD_REQUEST_ERROR_CODE, BAD_REQUEST_ERROR_CODE,
                "The request body is not valid JSON: "
                + (e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage()), e);
        }
    }

    private static ObjectNode subjectVersion(final SubjectVersion version) {
        return JSON.createObjectNode()
            .put("subject", version.subject())
            .put("version", version.version())
            .put("id", version.id())
            .put("schema", version.schema().toString());
    }

    private static ArrayNode strings(final List<String> values) {
        final ArrayNode array = JSON.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    private static void json(final Context ctx, final JsonNode body) {
        try {
            ctx.contentType(CONTENT_TYPE).result(JSON.writeValueAsString(body));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(final Context ctx, final int status, final int errorCode, final String message) {
        ctx.attribute(ERROR_WRITTEN, true);
        ctx.status(status);
        json(ctx, JSON.createObjectNode().put("error_code", errorCode).put("message", message));
    }
}
