package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.deploy.cli.ExitCodes;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.HeadlessChromium;
import io.factfleet.testkit.PrometheusText;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operators' view of a running stack (started as {@code factfleet run} starts it, with the demo authority): the
 * console's pages and JSON, every service's Prometheus endpoint, the Grafana dashboard against what the services really
 * export, and the {@code state} and {@code lag} commands.
 */
class OperatorsViewIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path DASHBOARD = Path.of("grafana", "factfleet-dashboard.json");

    @TempDir
    static Path dataDir;
    @TempDir
    static Path chromiumProfile;
    private static Stack stack;
    private static Demo.Result demo;

    @BeforeAll
    static void startTheStackWithTheDemo() throws Exception {
        final CommandLine.ParseResult parsed = StackMain.commandLine().parseArgs("run", "--data-dir", dataDir.toString(),
                "--kafka-port", Integer.toString(FreePorts.next()), "--controller-port", Integer.toString(FreePorts.next()),
                "--registry-port", "0", "--reducer-port", "0", "--bridge-port", "0", "--console-port", "0", "--partitions", "2");
        final StackMain.Run run = (StackMain.Run) parsed.subcommand().commandSpec().userObject();
        stack = new Stack(run.settings(Map.of())).start();
        demo = Demo.run(stack, WAIT);
    }

    @AfterAll
    static void stopTheStack() {
        if (stack != null) {
            stack.stop();
        }
    }

    private static JsonNode getJson(final URI uri) throws Exception {
        final HttpResponse<String> response = HTTP.send(stack.operatorGet(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri + " " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    @Test
    void theConsoleShowsTheStacksConsumerGroupsTheFleetAndItsRollouts() throws Exception {
        Await.until("the console lists fact-ingest's and the reducer's groups", WAIT, () -> {
            final Set<String> groups = new HashSet<>();
            getJson(URI.create(stack.consoleUrl() + "/api/lag")).path("groups").forEach(g -> groups.add(g.path("groupId").asText()));
            return groups.containsAll(List.of("factfleet-ingest", "factfleet-reducer"));
        });
        final JsonNode fleet = getJson(URI.create(stack.consoleUrl() + "/api/fleet"));
        final List<String> authorities = new ArrayList<>();
        fleet.path("authorities").forEach(a -> authorities.add(a.path("authorityId").asText()));
        assertThat(authorities).contains(demo.authorityId());
        assertThat(fleet.path("html").asText()).contains("data-authority=\"" + demo.authorityId() + "\"");
        // The stack gives the console the OTA coordinator's URL: rollouts come wave by wave from it.
        assertThat(getJson(URI.create(stack.consoleUrl() + "/api/rollouts")).path("source").asText()).isEqualTo("ota-coordinator");

        final HeadlessChromium chromium = HeadlessChromium.find(chromiumProfile).orElse(null);
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (apt-get install chromium; .ci/run installs it): no screenshots");
        // A browser logs in with the local operator's basic login (the console asks for it with a 401).
        final String password = Files.readString(stack.dataDirectory().operatorPassword()).strip();
        final String console = stack.consoleUrl().toString().replace("http://", "http://" + StackIdentities.LOCAL_OPERATOR + ":" + password + "@");
        assertThat(chromium.dumpDom(console + "/fleet")).contains("data-authority=\"" + demo.authorityId() + "\"");
        for (final String page : List.of("lag", "fleet", "rollouts")) {
            final Path png = Path.of("target", "console-screenshots", "stack-" + page + ".png");
            chromium.screenshot(console + "/" + page, png);
            assertThat(png).isNotEmptyFile();
        }
    }

    @Test
    void everyServiceExposesPrometheusMetricsAndTheGrafanaDashboardUsesOnlyMetricsTheyExport() throws Exception {
        // One refused request, so the bridge has counted an error by code.
        HTTP.send(HttpRequest.newBuilder(URI.create(stack.bridgeUrl() + "/v1/authorities/" + demo.authorityId() + "/roster")).build(),
                HttpResponse.BodyHandlers.ofString());
        final Map<String, URI> services = Map.of("fact-ingest", stack.ingestMetricsUrl(), "reducer", URI.create(stack.reducerUrl() + "/metrics"),
                "edge bridge", URI.create(stack.bridgeUrl() + "/metrics"), "console", URI.create(stack.consoleUrl() + "/metrics"),
                "snapshot coordinator", URI.create(stack.snapshotUrl() + "/metrics"), "OTA coordinator", URI.create(stack.otaUrl() + "/metrics"));
        final Map<String, List<String>> required = Map.of(
                "fact-ingest", with(PrometheusText.KAFKA_STREAMS_FAMILIES, "factfleet_ingest_facts_accepted_total"),
                "reducer", with(PrometheusText.KAFKA_STREAMS_FAMILIES, "factfleet_reducer_facts_folded_total"),
                "edge bridge", List.of("factfleet_bridge_sessions_active", "factfleet_bridge_errors_total", "kafka_producer_record_send_total"),
                "console", List.of("factfleet_console_lag_records", "factfleet_console_lag_time_seconds", "factfleet_console_lag_status",
                        "factfleet_console_group_status"),
                "snapshot coordinator", with(PrometheusText.KAFKA_STREAMS_FAMILIES, "factfleet_snapshot_completed_total",
                        "factfleet_snapshot_aborted_total", "factfleet_snapshot_facts_pruned_total", "factfleet_snapshot_pruned_bytes_total"),
                "OTA coordinator", with(PrometheusText.KAFKA_STREAMS_FAMILIES, "factfleet_ota_authorities_without_admin_key"));
        final Set<String> union = new TreeSet<>();
        for (final Map.Entry<String, URI> service : services.entrySet()) {
            // Task and node metrics are registered a few seconds after the assignment (Micrometer's refresh).
            Await.until(service.getKey() + " exports " + required.get(service.getKey()), WAIT,
                    () -> PrometheusText.families(scrape(service.getValue())).containsAll(required.get(service.getKey())));
            union.addAll(PrometheusText.families(scrape(service.getValue())));
        }

        final JsonNode dashboard = JSON.readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").isInt()).isTrue();
        final List<String> expressions = new ArrayList<>();
        int graphs = 0;
        for (final JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("id").isInt()).as("panel id").isTrue();
            assertThat(panel.path("gridPos").has("w")).as("panel gridPos").isTrue();
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            graphs++;
            assertThat(panel.path("targets").size()).as(panel.path("title").asText() + " has targets").isPositive();
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        }
        assertThat(graphs).isGreaterThanOrEqualTo(10);
        final Set<String> referenced = new TreeSet<>();
        expressions.forEach(e -> referenced.addAll(PromQlMetricNames.of(e)));
        assertThat(referenced).contains("kafka_stream_thread_process_rate", "factfleet_console_lag_records", "factfleet_snapshot_completed_total",
                "factfleet_ota_authorities_without_admin_key");
        assertThat(union).as("metrics the services export").containsAll(referenced);
    }

    @Test
    void stateCommandPrintsAnAuthoritysStateAsTextOrJsonWithClearExitCodes() throws Exception {
        final Run text = cli("state", demo.authorityId(), "--reducer-url", stack.reducerUrl().toString());
        assertThat(text.exit()).isEqualTo(ExitCodes.OK);
        assertThat(text.out()).contains("authority       " + demo.authorityId(), "digest          " + demo.digest());

        final Run json = cli("state", demo.authorityId(), "--reducer-url", stack.reducerUrl().toString(), "--output", "json");
        assertThat(json.exit()).isEqualTo(ExitCodes.OK);
        assertThat(JSON.readTree(json.out()).path("state").path("factCount").asLong()).isEqualTo(demo.factCount());

        final Run unknown = cli("state", "no-such-authority", "--reducer-url", stack.reducerUrl().toString());
        assertThat(unknown.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknown.err()).contains("no-such-authority");

        final Run unreachable = cli("state", demo.authorityId(), "--reducer-url", "http://127.0.0.1:" + FreePorts.next());
        assertThat(unreachable.exit()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(unreachable.err()).contains("cannot reach the reducer");
        assertThat(cli("state").exit()).as("missing authority").isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void lagCommandPrintsTheConsolesTableOrComputesItDirectly() throws Exception {
        Await.until("the console has sampled the reducer's group", WAIT,
                () -> cli("lag", "--console-url", stack.consoleUrl().toString(), "--group", "factfleet-reducer").out().contains("factfleet-reducer"));
        final Run fromConsole = cli("lag", "--console-url", stack.consoleUrl().toString(), "--output", "json");
        assertThat(fromConsole.exit()).isEqualTo(ExitCodes.OK);
        final Set<String> groups = new HashSet<>();
        JSON.readTree(fromConsole.out()).path("groups").forEach(g -> groups.add(g.path("groupId").asText()));
        assertThat(groups).contains("factfleet-ingest", "factfleet-reducer");

        final Run direct = cli("lag", "--bootstrap-servers", stack.bootstrapServers(), "--samples", "2", "--interval-ms", "200",
                "--group", "factfleet-.*");
        assertThat(direct.exit()).isEqualTo(ExitCodes.OK);
        assertThat(direct.out()).contains("GROUP", "factfleet.facts.journal", "factfleet-reducer: ");
        assertThat(direct.err()).contains("Sampling lag");

        // A group with a committed offset and no members is STOP: --check says so with its exit code.
        final TopicPartition inbound = new TopicPartition("factfleet.facts.inbound", 0);
        final Map<String, Object> consumerProps = new HashMap<>(stack.kafkaClientConfig());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "cli-check-group");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(inbound));
            consumer.commitSync(Map.of(inbound, new OffsetAndMetadata(0)));
        }
        final Run checked = cli("lag", "--bootstrap-servers", stack.bootstrapServers(), "--samples", "1", "--group", "cli-check-group", "--check",
                "--output", "json");
        assertThat(checked.exit()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(JSON.readTree(checked.out()).path("groups").get(0).path("status").asText()).isEqualTo("STOP");

        assertThat(cli("lag", "--console-url", "http://127.0.0.1:" + FreePorts.next()).exit()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(cli("lag", "--samples", "0", "--bootstrap-servers", stack.bootstrapServers()).exit()).isEqualTo(ExitCodes.USAGE);
    }

    /** A scrape signed as the local operator: /metrics needs metrics.read unless factfleet.auth.metrics.open (the bridge's is open). */
    private static String scrape(final URI uri) throws Exception {
        return PrometheusText.scrape(uri, stack.operatorCredential().authorization("GET", uri, new byte[0]).orElse(null));
    }

    private record Run(int exit, String out, String err) {
    }

    /** Runs a command as the local operator, whose key is in the test's data directory (named with --key). */
    private static Run cli(final String... given) {
        final List<String> all = new ArrayList<>(List.of(given));
        if (List.of("state", "lag").contains(all.get(0))) {
            all.addAll(List.of("--key", stack.dataDirectory().operatorKey().toString()));
        }
        final String[] args = all.toArray(String[]::new);
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine command = StackMain.commandLine();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        final int exit = command.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static List<String> with(final List<String> base, final String... more) {
        final List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }
}
