package io.factfleet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.factfleet.deploy.StackMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The upgrade CLI against a stand-in for the OTA coordinator's HTTP API (JDK HttpServer, canned answers). */
class UpgradeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UPGRADES = """
            [{"proposalId":"p1","packageId":"fw","version":2,"kind":"SOFT","state":"%s","activated":false,"activationFence":null,
              "waves":[{"index":0,"name":"canary","state":"SUCCEEDED","devices":4,"ready":4,"notReady":0,"rejected":0,"silent":0,
                        "successThresholdPercent":100,"errorThresholdCount":0,"errorThresholdPercent":null},
                       {"index":1,"name":"rest","state":"HALTED","devices":10,"ready":5,"notReady":1,"rejected":3,"silent":1,
                        "successThresholdPercent":90,"errorThresholdCount":2,"errorThresholdPercent":null}]}]""";
    private HttpServer server;
    private final AtomicReference<String> rolloutState = new AtomicReference<>("HALTED");
    private final List<String> posts = new CopyOnWriteArrayList<>();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startStandIn() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/authorities/a1/upgrades", exchange -> {
            final String path = exchange.getRequestURI().getPath();
            final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            final int status;
            final String answer;
            if (exchange.getRequestMethod().equals("GET")) {
                status = 200;
                answer = UPGRADES.formatted(rolloutState.get());
            } else if (path.endsWith("/resume")) {
                status = 409;
                answer = "{\"status\":409,\"code\":\"INVALID_TRANSITION\",\"message\":\"only a paused rollout can be resumed\"}";
            } else {
                posts.add(path + " " + body);
                status = 202;
                answer = path.endsWith("/upgrades") ? "{\"factId\":\"ab\",\"proposalId\":\"p1\"}" : "{\"factId\":\"cd\",\"action\":\"PAUSE\",\"state\":\"PAUSED\"}";
            }
            final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private int run(final String... args) {
        final CommandLine cli = StackMain.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        final String[] all = new String[args.length + 3];
        all[0] = "upgrade";
        all[1] = "--ota";
        all[2] = "http://127.0.0.1:" + server.getAddress().getPort();
        System.arraycopy(args, 0, all, 3, args.length);
        return cli.execute(all);
    }

    @Test
    void statusAsJsonIsTheCoordinatorsShape() throws Exception {
        assertThat(run("--output", "json", "status", "--authority", "a1")).isEqualTo(UpgradeCommand.OK);
        final JsonNode printed = JSON.readTree(out.toString());
        assertThat(printed.get(0).get("waves").get(1).get("rejected").asInt()).isEqualTo(3);
    }

    @Test
    void statusAsTextShowsAProgressBarPerWave() {
        assertThat(run("status", "--authority", "a1")).isZero();
        assertThat(out.toString()).contains("p1: fw 2 SOFT, HALTED").contains("[####################] canary 4/4 ready")
                .contains("[##########----------] rest 5/10 ready, 1 not ready, 3 rejected, 1 silent, needs 90% HALTED");
    }

    @Test
    void watchEndsWithTheRolloutsOutcomeAsExitCode() {
        assertThat(run("watch", "--authority", "a1", "--proposal", "p1")).isEqualTo(UpgradeCommand.HALTED);
        rolloutState.set("COMPLETED");
        assertThat(run("watch", "--authority", "a1", "--proposal", "p1")).isEqualTo(UpgradeCommand.OK);
        rolloutState.set("CANCELLED");
        assertThat(run("watch", "--authority", "a1", "--proposal", "p1")).isEqualTo(UpgradeCommand.CANCELLED);
        assertThat(run("watch", "--authority", "a1", "--proposal", "nope")).isEqualTo(UpgradeCommand.REFUSED);
        assertThat(err.toString()).contains("UNKNOWN_PROPOSAL");
    }

    @Test
    void pauseSendsTheReasonAndARefusalIsExitCodeOneWithTheCoordinatorsMessage() {
        assertThat(run("pause", "--authority", "a1", "--proposal", "p1", "--reason", "night")).isZero();
        assertThat(posts).containsExactly("/authorities/a1/upgrades/p1/pause {\"reason\":\"night\"}");
        assertThat(out.toString()).contains("pause p1: rollout PAUSED");
        assertThat(run("resume", "--authority", "a1", "--proposal", "p1")).isEqualTo(UpgradeCommand.REFUSED);
        assertThat(err.toString()).contains("409 INVALID_TRANSITION: only a paused rollout can be resumed");
    }

    @Test
    void proposeSendsTheFileAsBase64AndNeedsExactlyOneSource(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("proposal.bin");
        Files.write(file, new byte[] {1, 2, 3});
        assertThat(run("propose", "--authority", "a1", "--proposal", file.toString())).isZero();
        assertThat(posts).containsExactly("/authorities/a1/upgrades {\"proposal\":\"AQID\"}");
        assertThat(run("propose", "--authority", "a1")).isEqualTo(2);
    }

    @Test
    void anUnreachableCoordinatorIsExitCodeFive() {
        server.stop(0);
        assertThat(run("status", "--authority", "a1")).isEqualTo(UpgradeCommand.UNREACHABLE);
        assertThat(err.toString()).contains("cannot reach the OTA coordinator");
    }
}
