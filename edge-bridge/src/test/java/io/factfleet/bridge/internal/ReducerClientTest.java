package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.factfleet.bridge.BridgeError;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bridge's reducer client over several instances: an unreachable one is skipped, one that answers is not. */
class ReducerClientTest {
    private HttpServer live;
    private final AtomicInteger asked = new AtomicInteger();
    private volatile int status = 200;
    private String liveUrl;
    private String deadUrl;

    @BeforeEach
    void startOneInstance() throws IOException {
        live = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        live.createContext("/", exchange -> {
            asked.incrementAndGet();
            final byte[] body = (status == 200 ? "{\"ok\":true}" : "{\"code\":\"STORE_REBALANCING\",\"message\":\"moving\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        live.start();
        liveUrl = "http://127.0.0.1:" + live.getAddress().getPort();
        try (ServerSocket s = new ServerSocket(0)) {
            deadUrl = "http://127.0.0.1:" + s.getLocalPort(); // closed again: nothing listens there
        }
    }

    @AfterEach
    void stop() {
        live.stop(0);
    }

    @Test
    void anUnreachableInstanceIsSkippedAndTheOneThatAnsweredIsAskedFirstFromThenOn() throws Exception {
        final ReducerClient client = new ReducerClient(deadUrl + ", " + liveUrl + "/", Duration.ofSeconds(2));
        assertThat(client.baseUrls()).containsExactly(deadUrl, liveUrl);
        assertThat(client.get("/authorities/a/state").path("ok").asBoolean()).isTrue();
        assertThat(client.getAsync("/authorities/a/state").get().path("ok").asBoolean()).isTrue();
        assertThat(client.post("/authorities/a/facts/status", new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode())
                .path("ok").asBoolean()).isTrue();
        assertThat(asked).hasValue(3);
    }

    @Test
    void theAsynchronousQueryAlsoSkipsAnUnreachableInstance() throws Exception {
        final ReducerClient client = new ReducerClient(deadUrl + "," + liveUrl, Duration.ofSeconds(2));
        assertThat(client.getAsync("/x").get().path("ok").asBoolean()).isTrue();
    }

    @Test
    void anInstanceThatAnswersWithAnErrorIsNotSkipped() {
        status = 503;
        final ReducerClient client = new ReducerClient(liveUrl + "," + deadUrl, Duration.ofSeconds(2));
        assertThatThrownBy(() -> client.get("/authorities/a/state")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error()).isEqualTo(BridgeError.STORE_REBALANCING));
        assertThat(asked).hasValue(1);
    }

    @Test
    void whenNoInstanceAnswersTheBridgeSaysSoAndAsksForARetry() {
        final ReducerClient client = new ReducerClient(deadUrl + "," + deadUrl, Duration.ofSeconds(2));
        assertThatThrownBy(() -> client.get("/authorities/a/state")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isEqualTo(BridgeError.REDUCER_UNAVAILABLE);
            assertThat(e.getMessage()).contains("no reducer instance answered GET /authorities/a/state");
        });
    }
}
