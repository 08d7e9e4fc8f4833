package io.factfleet.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.registry.SchemaRegistryConfig;
import io.javalin.Javalin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** Until the store has been read to the end, the API refuses to answer from a partial state. */
class RestApiNotReadyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Registry registry;
    private Javalin app;

    @BeforeEach
    void startUnreadyApi() {
        final Properties props = new Properties();
        props.setProperty(SchemaRegistryConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1");
        registry = new Registry(new SchemaRegistryConfig(props));
        app = Javalin.create(config -> config.showJavalinBanner = false);
        new RestApi(registry, () -> false, () -> "").install(app);
        app.start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        app.stop();
        registry.close();
    }

    @Test
    void healthAndEveryEndpointAnswer503UntilTheStoreIsRead() throws Exception {
        final HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("STARTING");

        final HttpResponse<String> subjects = get("/subjects");
        assertThat(subjects.statusCode()).isEqualTo(503);
        final JsonNode error = JSON.readTree(subjects.body());
        assertThat(error.get("error_code").asInt()).isEqualTo(50001);
        assertThat(error.get("message").asText()).contains("still reading");
    }

    private HttpResponse<String> get(final String path) throws Exception {
        return HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
