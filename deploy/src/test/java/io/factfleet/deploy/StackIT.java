package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.Topic;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.RejectionCode;
import io.factfleet.device.Outbox;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.simulator.FleetPlan;
import io.factfleet.simulator.SimulatedDevice;
import io.factfleet.testkit.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole stack in this JVM, started from the same options and code as {@code factfleet run}: a real
 * broker process, the topics, the registry, fact-ingest, the reducer and the edge bridge; then a small
 * {@code --simulate} fleet whose devices talk to the bridge over HTTP, and a restart of it all on the same data.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackIT {
    private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dataDir;
    private static Stack.Settings settings;
    private static FleetPlan plan;
    private static Stack stack;
    private static Simulation simulation;

    @BeforeAll
    static void startTheStack() {
        final CommandLine.ParseResult parsed = StackMain.commandLine().parseArgs("run",
                "--data-dir", dataDir.toString(),
                "--kafka-port", Integer.toString(FreePorts.next()),
                "--controller-port", Integer.toString(FreePorts.next()),
                "--registry-port", "0",
                "--reducer-port", "0",
                "--bridge-port", "0",
                "--snapshot-port", "0",
                "--ota-port", "0",
                "--console-port", "0",
                "--partitions", "3",
                "--simulate",
                "--simulate-authorities", "2",
                "--simulate-devices", "3",
                "--simulate-offline", "0.34",
                "--simulate-tick-ms", "200");
        final StackMain.Run run = (StackMain.Run) parsed.subcommand().commandSpec().userObject();
        settings = run.settings(Map.of());
        plan = run.simulation().orElseThrow();
        stack = new Stack(settings).start();
    }

    @AfterAll
    static void stopTheStack() {
        if (stack != null) {
            stack.stop();
        }
    }

    @Test
    @Order(1)
    void everyTopicIsCreatedWithItsPolicy() throws Exception {
        try (Admin admin = Admin.create(new HashMap<String, Object>(stack.kafkaClientConfig()))) {
            final List<ConfigResource> resources = FactFleetTopics.all().stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name())).collect(Collectors.toList());
            final Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
            for (final Topic<?, ?> topic : FactFleetTopics.all()) {
                final Config actual = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
                topic.configs().forEach((name, value) -> assertThat(actual.get(name).value()).as(topic.name() + " " + name).isEqualTo(value));
            }
            assertThat(admin.describeTopics(List.of(FactFleetTopics.INBOUND.name())).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(FactFleetTopics.INBOUND.name()).partitions()).hasSize(3);
        }
    }

    @Test
    @Order(1)
    void theRunCommandCreatesAnOperatorsFileGrantingTheLocalOperatorAdminOnEveryAuthority() throws Exception {
        final java.nio.file.Path file = stack.dataDirectory().operatorsFile();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        final io.factfleet.auth.OperatorEntry local = io.factfleet.auth.OperatorsFile.read(file).stream()
                .filter(e -> e.id().equals(StackIdentities.LOCAL_OPERATOR)).findFirst().orElseThrow();
        assertThat(local.ed25519()).containsExactly(io.factfleet.core.Hashing.hex(stack.operatorKey().publicKey()));
        assertThat(local.grants()).containsEntry("*", List.of("admin"));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(
                stack.dataDirectory().operatorPassword()))).isEqualTo("rw-------");
    }

    @Test
    @Order(1)
    void anOperatorCommandWithAKeyNotInTheOperatorsFileIsDeniedAndUnauthenticatedCallsAreRefused() throws Exception {
        final java.nio.file.Path stranger = stack.dataDirectory().root().resolve("stranger.key");
        OperatorKey.loadOrCreate(stranger);
        final Cli denied = cliAsGiven("state", "stack-it", "--reducer-url", stack.reducerUrl().toString(), "--key", stranger.toString());
        assertThat(denied.exit()).as(denied.err()).isEqualTo(io.factfleet.deploy.cli.ExitCodes.DENIED);
        assertThat(denied.err()).contains("UNKNOWN_OPERATOR");
        final HttpResponse<String> anonymous = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create(stack.reducerUrl() + "/authorities")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(anonymous.body()).path("code").asText()).isEqualTo("UNAUTHENTICATED");
        // The local operator's basic login (what a browser on the console or curl -u uses) works on every service.
        final URI lag = URI.create(stack.consoleUrl() + "/api/lag");
        final HttpResponse<String> browser = HTTP.send(stack.identities().localOperatorLogin()
                .sign(java.net.http.HttpRequest.newBuilder(lag), "GET", lag, new byte[0]).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(browser.statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void aSignedFactProducedToInboundBecomesVisibleThroughTheReducer() throws Exception {
        final AuthorityGenesis authority = AuthorityGenesis.generate("stack-it", 3, 2);
        produce(authority.authorityId(), List.of(authority.genesisFact(stack.operatorKey()),
                authority.device(1).journalEntry(0, bytes("k"), bytes("v"))));

        final URI state = URI.create(stack.reducerUrl() + "/authorities/stack-it/state");
        Await.until("the genesis and the journal entry are folded", VISIBLE_WITHIN, () -> factCount(state) == 2);
        assertThat(get(state).path("state").path("journalEntryCount").asLong()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void theDemoAddsOneFactToTheSameAuthorityOnEveryLaterRun() throws Exception {
        final Demo.Result first = Demo.run(stack, VISIBLE_WITHIN);
        final Demo.Result second = Demo.run(stack, VISIBLE_WITHIN);

        assertThat(first.authorityId()).isEqualTo(DemoAuthority.AUTHORITY_ID);
        assertThat(first.produced()).isEqualTo(5);
        assertThat(first.factCount()).isEqualTo(5);
        assertThat(second.authorityId()).isEqualTo(first.authorityId());
        assertThat(second.produced()).isEqualTo(1);
        assertThat(second.factCount()).isEqualTo(6);
        assertThat(factCount(second.stateUrl())).isEqualTo(6);
    }

    @Test
    @Order(4)
    void theEdgeBridgeRunsInFrontOfTheReducer() throws Exception {
        final HttpResponse<String> health = send(URI.create(stack.bridgeUrl() + "/health"));
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).path("state").asText()).isEqualTo("RUNNING");
        final HttpResponse<String> metrics = send(URI.create(stack.bridgeUrl() + "/metrics"));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("factfleet_bridge_running");
        assertThat(stack.bridge().config().reducerUrl()).isEqualTo(stack.reducerUrl().toString());
    }

    @Test
    @Order(4)
    void theOtaCoordinatorRunsAfterTheReducerAndFollowsTheAdminKeyRingTheDemoFilled() throws Exception {
        Await.until("the OTA coordinator is UP", () -> send(URI.create(stack.otaUrl() + "/health")).statusCode() == 200);
        final JsonNode health = JSON.readTree(send(URI.create(stack.otaUrl() + "/health")).body());
        assertThat(health.path("streamsState").asText()).isEqualTo("RUNNING");
        // The ring did not exist when the coordinator started; the demo (order 3) added its authority's admin key.
        Await.until("the OTA coordinator acts for the demo authority", VISIBLE_WITHIN, () -> JSON.readTree(
                send(URI.create(stack.otaUrl() + "/health")).body()).path("adminKeysFor").toString().contains(DemoAuthority.AUTHORITY_ID));
        assertThat(send(URI.create(stack.otaUrl() + "/metrics")).body()).contains("factfleet_ota_authorities_without_admin_key");
    }

    @Test
    @Order(5)
    void simulatedDevicesSignFactsThatReachTheReducerThroughTheBridge() throws Exception {
        simulation = Simulation.start(stack, plan, VISIBLE_WITHIN);

        assertThat(simulation.authorityIds()).containsExactly("sim-0", "sim-1");
        assertThat(simulation.created()).containsExactly("sim-0", "sim-1");
        assertThat(simulation.fleet().devices()).hasSize(6);
        for (final String id : simulation.authorityIds()) {
            Await.until(id + " holds device facts beyond its genesis", VISIBLE_WITHIN, () -> factCount(simulation.stateUrl(id)) > 5);
        }
        // Every device, those whose turn offline came first included, got facts through the bridge.
        for (final SimulatedDevice device : simulation.fleet().devices()) {
            Await.until(device.agent().deviceId() + " had facts accepted", VISIBLE_WITHIN,
                    () -> device.agent().outbox().deliveries().stream().anyMatch(d -> d.outcome() != Outbox.Outcome.REJECTED));
        }
        final Simulation.Status status = simulation.status();
        assertThat(status.signed()).isPositive();
        assertThat(status.online() + status.offlineDevices().size()).isEqualTo(6);
        assertThat(status.serverFactCounts()).containsOnlyKeys("sim-0", "sim-1");
        assertThat(Simulation.line(status, status, LocalTime.NOON)).startsWith("12:00:00 fleet: ").contains("sim-0 ", "sim-1 ");
    }

    @Test
    @Order(6)
    void aRestartedStackResumesOnTheSameDataAndTheSameSimulatedFleet() throws Exception {
        final String digestBefore = get(URI.create(stack.reducerUrl() + "/authorities/stack-it/state")).path("digest").asText();
        final String operatorKeyId = stack.operatorKey().keyId();
        final LocalBroker firstBroker = stack.localBroker().orElseThrow();
        final long firstBrokerPid = firstBroker.pid();
        final String clusterId = firstBroker.clusterId();

        stack.stop();
        assertThat(ProcessHandle.of(firstBrokerPid).map(ProcessHandle::isAlive).orElse(false)).as("broker process alive").isFalse();
        final Map<String, Long> factsBefore = new LinkedHashMap<>();

        stack = new Stack(settings).start();
        final LocalBroker broker = stack.localBroker().orElseThrow();
        assertThat(broker.formattedByLastStart()).isFalse();
        assertThat(broker.clusterId()).isEqualTo(clusterId);
        assertThat(stack.operatorKey().keyId()).isEqualTo(operatorKeyId);
        final URI state = URI.create(stack.reducerUrl() + "/authorities/stack-it/state");
        Await.until("the authority's state is served again", VISIBLE_WITHIN, () -> factCount(state) == 2);
        assertThat(get(state).path("digest").asText()).isEqualTo(digestBefore);
        assertThat(Files.readString(dataDir.resolve("operator.key")).strip()).hasSize(64);
        for (final String id : List.of("sim-0", "sim-1")) {
            factsBefore.put(id, factCount(URI.create(stack.reducerUrl() + "/authorities/" + id + "/state")));
        }

        simulation = Simulation.start(stack, plan, VISIBLE_WITHIN);
        assertThat(simulation.authorityIds()).containsExactly("sim-0", "sim-1");
        assertThat(simulation.created()).as("authorities given a genesis again").isEmpty();
        assertThat(simulation.resumed()).containsExactly("sim-0", "sim-1");
        for (final String id : simulation.authorityIds()) {
            Await.until(id + " keeps growing after the restart", VISIBLE_WITHIN, () -> factCount(simulation.stateUrl(id)) > factsBefore.get(id) + 20);
        }
        assertThat(rejectedCodesOf("sim-")).doesNotContain(RejectionCode.AUTHORITY_EXISTS.name());
    }

    @Test
    @Order(7)
    void theSnapshotBackupAndRestoreCommandsWorkAgainstTheRunningStack() throws Exception {
        final AuthorityGenesis demo = DemoAuthority.loadOrCreate(stack.dataDirectory().demoAuthority(), false);
        final String snapshots = stack.snapshotUrl().toString();
        final List<io.factfleet.device.DeviceAgent> agents = new ArrayList<>();
        for (int d = 0; d < 2; d++) {
            agents.add(io.factfleet.device.DeviceAgent.open(demo.authorityId(), demo.deviceIds().get(d), demo.deviceKeys().get(d),
                    dataDir.resolve("cli-device-" + d), stack.bridgeUrl(),
                    new io.factfleet.device.Backoff(Duration.ofMillis(50), Duration.ofSeconds(1)), System::currentTimeMillis));
        }
        final java.util.concurrent.atomic.AtomicBoolean approving = new java.util.concurrent.atomic.AtomicBoolean(true);
        // Honest devices online: each waits in the bridge's pending-work long poll and approves what matches its replica.
        final Thread honestDevices = new Thread(() -> {
            while (approving.get()) {
                for (final io.factfleet.device.DeviceAgent agent : agents) {
                    try {
                        agent.answerSnapshotRequests(Duration.ofMillis(500));
                    } catch (final RuntimeException e) {
                        // the next round retries
                    }
                }
            }
        });
        honestDevices.start();
        try {
            final Cli propose = cli("snapshot", "propose", demo.authorityId(), "--url", snapshots, "--wait", "--timeout", "PT90S");
            assertThat(propose.exit()).as(propose.err()).isZero();
            assertThat(propose.out()).contains("Snapshot snap-").contains("completed");
            final Cli status = cli("snapshot", "status", demo.authorityId(), "--url", snapshots, "--output", "json");
            assertThat(status.exit()).isZero();
            assertThat(JSON.readTree(status.out()).path("lastSnapshot").path("proposalId").asText()).startsWith("snap-");
            final Cli unknown = cli("snapshot", "propose", "nobody-here", "--url", snapshots);
            assertThat(unknown.exit()).isEqualTo(io.factfleet.deploy.cli.ExitCodes.NOT_FOUND);
            assertThat(unknown.err()).contains("UNKNOWN_AUTHORITY");
            assertThat(cli("snapshot", "status", demo.authorityId(), "--url", "http://127.0.0.1:1").exit())
                    .isEqualTo(io.factfleet.deploy.cli.ExitCodes.UNREACHABLE);
        } finally {
            approving.set(false);
            honestDevices.join();
            agents.forEach(io.factfleet.device.DeviceAgent::close);
        }

        final Path passphrase = dataDir.resolve("passphrase.txt");
        Files.writeString(passphrase, "a passphrase for the demo backup\n");
        final Cli exposed = cli("backup", demo.authorityId(), "--out", dataDir.resolve("never.ffbackup").toString(), "--bootstrap-servers",
                stack.bootstrapServers(), "--passphrase-file", passphrase.toString());
        assertThat(exposed.err()).as("a passphrase file others can read is refused").contains("chmod 600");
        assertThat(exposed.exit()).isEqualTo(io.factfleet.deploy.cli.ExitCodes.USAGE);
        Files.setPosixFilePermissions(passphrase, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        final Path archive = dataDir.resolve("demo.ffbackup");
        final Cli backup = cli("backup", demo.authorityId(), "--out", archive.toString(), "--bootstrap-servers", stack.bootstrapServers(),
                "--registry-url", stack.registryUrl(), "--passphrase-file", passphrase.toString(),
                "--registry-password-file", stack.dataDirectory().operatorPassword().toString());
        assertThat(backup.exit()).as(backup.err()).isZero();
        assertThat(backup.out()).contains("Backed up " + demo.authorityId());
        final String operator = io.factfleet.core.Hashing.hex(stack.operatorKey().publicKey());
        final Cli verify = cli("restore", "--in", archive.toString(), "--verify-only", "--operator-key", operator,
                "--passphrase-file", passphrase.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        assertThat(verify.out()).contains("verifies");
        final byte[] bytes = Files.readAllBytes(archive);
        bytes[bytes.length / 2] ^= 1;
        final Path tampered = dataDir.resolve("tampered.ffbackup");
        Files.write(tampered, bytes);
        final Cli refused = cli("restore", "--in", tampered.toString(), "--verify-only", "--operator-key", operator,
                "--passphrase-file", passphrase.toString());
        assertThat(refused.exit()).isEqualTo(io.factfleet.deploy.cli.ExitCodes.REFUSED);
        assertThat(refused.err()).contains("BACKUP_TAMPERED");
    }

    @Test
    @Order(8)
    void theUpgradeCommandsProposeWatchAndSteerARolloutOnTheRunningStack() throws Exception {
        final AuthorityGenesis demo = DemoAuthority.loadOrCreate(stack.dataDirectory().demoAuthority(), false);
        final String ota = stack.otaUrl().toString();
        final byte[] artifact = "firmware 2".getBytes();
        final io.factfleet.schema.UpgradeMetadata metadata = new io.factfleet.schema.UpgradeMetadata(demo.authorityId(), "fw-cli-1", "fw", 2L,
                java.nio.ByteBuffer.wrap(io.factfleet.core.Hashing.sha256(artifact)), (long) artifact.length, io.factfleet.schema.UpgradeKind.SOFT,
                null, System.currentTimeMillis() + Duration.ofHours(1).toMillis(),
                new io.factfleet.schema.RolloutPlan(List.of(new io.factfleet.schema.RolloutWave("all", null, 100, null, 100, 1, null,
                        Duration.ofMinutes(10).toMillis())), true));
        final Path proposalFile = dataDir.resolve("fw-cli-1.avro");
        Files.write(proposalFile, io.factfleet.core.Canonical.bytes(new io.factfleet.schema.UpgradeProposed(metadata,
                io.factfleet.core.ThresholdCertificates.of(metadata, demo.deviceKeys().subList(0, 2)))));

        final Cli propose = cli("upgrade", "--ota", ota, "propose", "--authority", demo.authorityId(), "--proposal", proposalFile.toString());
        assertThat(propose.exit()).as(propose.out() + propose.err()).isZero();
        Await.until("the rollout awaits its approval", VISIBLE_WITHIN, () -> {
            final Cli status = cli("upgrade", "--ota", ota, "--output", "json", "status", "--authority", demo.authorityId());
            return status.exit() == 0 && status.out().contains("fw-cli-1") && status.out().contains("AWAITING_APPROVAL");
        });
        final Cli cancel = cli("upgrade", "--ota", ota, "cancel", "--authority", demo.authorityId(), "--proposal", "fw-cli-1", "--reason", "test");
        assertThat(cancel.exit()).as(cancel.out() + cancel.err()).isZero();
        final Cli watch = cli("upgrade", "--ota", ota, "watch", "--authority", demo.authorityId(), "--proposal", "fw-cli-1", "--interval", "PT0.2S");
        assertThat(watch.exit()).as(watch.out() + watch.err()).isEqualTo(io.factfleet.deploy.cli.ExitCodes.CANCELLED);
        // The cancel is signed as an OperatorRolloutTransition naming the operator; the console's rollout page shows who.
        final String byOperator = "data-action=\"CANCEL\" data-operator=\"" + StackIdentities.LOCAL_OPERATOR + "\"";
        Await.until("the console's rollout page names who cancelled", VISIBLE_WITHIN,
                () -> get(URI.create(stack.consoleUrl() + "/api/rollouts")).path("html").asText().contains(byOperator));
        final io.factfleet.testkit.HeadlessChromium chromium = io.factfleet.testkit.HeadlessChromium.find(dataDir.resolve("chromium-profile")).orElse(null);
        if (chromium != null) {
            final String password = Files.readString(stack.dataDirectory().operatorPassword()).strip();
            final String console = stack.consoleUrl().toString().replace("http://", "http://" + StackIdentities.LOCAL_OPERATOR + ":" + password + "@");
            assertThat(chromium.dumpDom(console + "/rollouts")).contains(byOperator, "fw-cli-1");
        } else {
            org.junit.jupiter.api.Assumptions.abort("chromium is not installed (apt-get install chromium; .ci/run installs it)");
        }
        assertThat(cli("upgrade", "--ota", ota, "watch", "--authority", demo.authorityId(), "--proposal", "no-such").exit())
                .isEqualTo(io.factfleet.deploy.cli.ExitCodes.REFUSED);
    }

    private record Cli(int exit, String out, String err) {
    }

    /** Runs a command as the stack's local operator: its key is in the test's data directory, so it is named with --key. */
    private static Cli cli(final String... given) {
        final List<String> args = new ArrayList<>(List.of(given));
        final String key = stack.dataDirectory().operatorKey().toString();
        if (args.get(0).equals("upgrade")) {
            args.addAll(1, List.of("--key", key));
        } else if (List.of("snapshot", "state", "lag").contains(args.get(0))) {
            args.addAll(List.of("--key", key));
        }
        return cliAsGiven(args.toArray(String[]::new));
    }

    private static Cli cliAsGiven(final String... args) {
        final java.io.StringWriter out = new java.io.StringWriter();
        final java.io.StringWriter err = new java.io.StringWriter();
        final CommandLine command = StackMain.commandLine();
        command.setOut(new java.io.PrintWriter(out, true));
        command.setErr(new java.io.PrintWriter(err, true));
        final int exit = command.execute(args);
        return new Cli(exit, out.toString(), err.toString());
    }

    /** Reason codes of the rejected facts of authorities whose id starts with {@code prefix}. */
    private static List<String> rejectedCodesOf(final String prefix) {
        final Map<String, Object> props = new HashMap<>(stack.kafkaClientConfig());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final Deserializer<RejectedFact> values = FactFleetTopics.REJECTED.valueSerde(new HttpSchemaRegistryClient(stack.registryClientConfig())).deserializer();
        final List<String> codes = new ArrayList<>();
        try (KafkaConsumer<String, RejectedFact> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            final List<TopicPartition> partitions = consumer.partitionsFor(FactFleetTopics.REJECTED.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (final ConsumerRecord<String, RejectedFact> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value().getAuthorityId() != null && r.value().getAuthorityId().startsWith(prefix)) {
                        codes.add(r.value().getReasonCode());
                    }
                }
            }
        }
        return codes;
    }

    /** A GET signed as the stack's local operator (the services other than the bridge authenticate every caller). */
    private static HttpResponse<String> send(final URI uri) throws IOException, InterruptedException {
        return HTTP.send(stack.operatorGet(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void produce(final String authorityId, final List<FactEnvelope> facts) throws Exception {
        final SpecificAvroSerializer<FactEnvelope> values = new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(stack.registryClientConfig()));
        final Map<String, Object> props = new HashMap<>(stack.kafkaClientConfig());
        props.put("acks", "all");
        try (KafkaProducer<String, FactEnvelope> producer = new KafkaProducer<>(props, new StringSerializer(), values)) {
            for (final FactEnvelope fact : facts) {
                producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), authorityId, fact)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static long factCount(final URI state) throws IOException, InterruptedException {
        return get(state).path("state").path("factCount").asLong(-1);
    }

    private static JsonNode get(final URI uri) throws IOException, InterruptedException {
        final HttpResponse<String> response = HTTP.send(stack.operatorGet(uri).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
