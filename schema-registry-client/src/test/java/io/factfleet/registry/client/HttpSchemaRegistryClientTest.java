package io.factfleet.registry.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Checks the HTTP client against a scripted stand-in for a Confluent Schema Registry: the requests it
 * sends (paths, headers, bodies) and how it reads answers and errors.
 */
class HttpSchemaRegistryClientTest {

    private static final Schema SCHEMA = SchemaBuilder.record("Device").fields().requiredString("id").endRecord();
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Seen(String method, String uri, String contentType, String authorization, String body) {
    }

    private record Answer(int status, String body) {
    }

    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private String url;

    @BeforeEach
    void startStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopStub() {
        server.stop(0);
    }

    private void answer(final HttpExchange exchange) throws IOException {
        final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        final String uri = exchange.getRequestURI().getRawPath()
            + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        seen.add(new Seen(exchange.getRequestMethod(), uri, exchange.getRequestHeaders().getFirst("Content-Type"),
            exchange.getRequestHeaders().getFirst("Authorization"), body));
        final Answer answer = answers.getOrDefault(exchange.getRequestMethod() + " " + uri,
            new Answer(404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}"));
        final byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", HttpSchemaRegistryClient.CONTENT_TYPE);
        exchange.sendResponseHeaders(answer.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static String schemaJson() throws IOException {
        return JSON.writeValueAsString(SCHEMA.toString());
    }

    @Test
    void registerPostsTheSchemaAsConfluentDoesAndCachesTheId() throws IOException {
        answers.put("POST /subjects/devices-value/versions", new Answer(200, "{\"id\":7}"));
        final HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(url);

        assertThat(client.register("devices-value", SCHEMA)).isEqualTo(7);
        assertThat(client.register("devices-value", SCHEMA)).isEqualTo(7);
        assertThat(client.getSchemaById(7)).isEqualTo(SCHEMA);

        assertThat(seen).hasSize(1);
        final Seen request = seen.get(0);
        assertThat(request.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        final JsonNode body = JSON.readTree(request.body());
        assertThat(body.get("schema").asText()).isEqualTo(SCHEMA.toString());
        assertThat(body.has("schemaType")).isFalse();
    }

    @Test
    void readsSchemasVersionsSubjectsAndConfig() throws IOException {
        answers.put("GET /schemas/ids/3", new Answer(200, "{\"schema\":" + schemaJson() + "}"));
        answers.put("GET /subjects", new Answer(200, "[\"a-value\",\"b key\"]"));
        answers.put("GET /subjects/b%20key/versions", new Answer(200, "[1,2]"));
        answers.put("GET /subjects/a-value/versions/latest",
            new Answer(200, "{\"subject\":\"a-value\",\"version\":2,\"id\":3,\"schema\":" + schemaJson() + "}"));
        answers.put("POST /compatibility/subjects/a-value/versions/latest", new Answer(200, "{\"is_compatible\":false}"));
        answers.put("GET /config", new Answer(200, "{\"compatibilityLevel\":\"BACKWARD\"}"));
        answers.put("GET /config/a-value?defaultToGlobal=true", new Answer(200, "{\"compatibilityLevel\":\"FULL\"}"));
        answers.put("PUT /config/a-value", new Answer(200, "{\"compatibility\":\"NONE\"}"));
        final HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(url + "/");

        assertThat(client.getSchemaById(3)).isEqualTo(SCHEMA);
        assertThat(client.subjects()).containsExactly("a-value", "b key");
        assertThat(client.versions("b key")).containsExactly(1, 2);
        assertThat(client.latestVersion("a-value")).isEqualTo(new SubjectVersion("a-value", 2, 3, SCHEMA));
        assertThat(client.isCompatible("a-value", "latest", SCHEMA)).isFalse();
        assertThat(client.getCompatibility(Optional.empty())).isEqualTo("BACKWARD");
        assertThat(client.getCompatibility(Optional.of("a-value"))).isEqualTo("FULL");
        client.setCompatibility(Optional.of("a-value"), "NONE");
        assertThat(JSON.readTree(seen.get(seen.size() - 1).body()).get("compatibility").asText()).isEqualTo("NONE");
    }

    @Test
    void errorBodiesBecomeExceptionsWithStatusCodeAndMessage() {
        answers.put("POST /subjects/a-value/versions",
            new Answer(409, "{\"error_code\":40901,\"message\":\"Schema being registered is incompatible\"}"));
        answers.put("GET /schemas/ids/9", new Answer(404, "{\"error_code\":40403,\"message\":\"Schema 9 not found\"}"));
        answers.put("GET /subjects", new Answer(502, "<html>Bad gateway</html>"));
        final HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(url);

        assertThatThrownBy(() -> client.register("a-value", SCHEMA))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.httpStatus()).isEqualTo(409);
                assertThat(e.errorCode()).isEqualTo(40901);
                assertThat(e.registryMessage()).isEqualTo("Schema being registered is incompatible");
                assertThat(e.getCode()).isEqualTo("INCOMPATIBLE_SCHEMA");
            });
        assertThatThrownBy(() -> client.getSchemaById(9))
            .isInstanceOfSatisfying(UnknownSchemaIdException.class, e -> assertThat(e.schemaId()).isEqualTo(9));
        assertThatThrownBy(client::subjects)
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.httpStatus()).isEqualTo(502);
                assertThat(e.getMessage()).contains("Bad gateway");
            });
    }

    @Test
    void theFirstUrlThatAnswersIsUsedWithBasicAuth() throws IOException {
        answers.put("GET /subjects", new Answer(200, "[]"));
        final int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        final HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(Map.of(
            SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:" + deadPort + "," + url,
            SchemaRegistryClientConfig.BASIC_AUTH_USER_INFO_CONFIG, "fleet:secret"));

        assertThat(client.subjects()).isEmpty();
        assertThat(seen).singleElement().extracting(Seen::authorization)
            .isEqualTo("Basic " + Base64.getEncoder().encodeToString("fleet:secret".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void noAnsweringUrlIsReportedAsUnavailable() throws IOException {
        final int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        final HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl("http://127.0.0.1:" + deadPort);

        assertThatThrownBy(client::subjects)
            .isInstanceOfSatisfying(SchemaRegistryUnavailableException.class,
                e -> assertThat(e.getCode()).isEqualTo("REGISTRY_UNAVAILABLE"));
    }
}
