package io.factfleet.system.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.deploy.LocalBroker;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.Outbox;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 12's failure harness: FactFleet as separate processes on three Kafka nodes ({@link ReliabilityStack}) under a steady
 * load of signed facts from devices through the bridge ({@link DeviceLoad}); each test injects one fault, {@code
 * reliability.trials} times (1 in the test command, 3 with {@code -Preliability}; the faults tagged {@value #LONG} only in
 * the long run), and then checks, the same for every fault:
 * <ul>
 *   <li>every fact the bridge acknowledged is in the journal, exactly once, and no fact is in it twice;</li>
 *   <li>every authority's reduced state, asked of each reducer instance, counts the journal's distinct facts and has the
 *       digest the shared core computes by replaying the journal;</li>
 *   <li>each authority's facts are in the journal in the order ingest took them from the inbound topic (facts held by a
 *       snapshot's writer fence are released in order);</li>
 *   <li>the bridge answered only success or a retriable refusal (503, or no answer while it was down): never a 500 or a
 *       rejection of a good fact;</li>
 *   <li>how long the system took to take and reduce a new fact after the fault healed (the recovery time).</li>
 * </ul>
 * Two faults strike in the middle of a protocol: one while a snapshot proposal is open (the writer fence holding an
 * authority's facts), one while a rollout's first wave is open; the snapshot must complete and the rollout must end in the
 * same state as the same rollout without a fault.
 * The figures go to {@code reliability.results} (target/reliability.json; -Preliability writes system-tests/results).
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class ReliabilityIT {
    /**
     * Faults only the long run ({@code -Preliability}) injects. On two cores each fault costs 20 to 50 s (a restarted JVM
     * among thirteen), so the test command takes a set that covers each kind of failure once (a broker, the controller,
     * a paused broker, ingest, a reducer, the bridge, a fault inside the snapshot protocol and one inside a rollout) and
     * keeps the suite under its time; the long run injects all of them, three times each.
     */
    static final String LONG = "reliability-long";
    private static final int TRIALS = Integer.getInteger("reliability.trials", 1);
    private static final int REGISTRY_DOWN_SECONDS = Integer.getInteger("reliability.registry.down.seconds", 30);
    private static final Duration FAULT_HELD = Duration.ofSeconds(4);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Map<String, ObjectNode> RESULTS = new TreeMap<>();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReliabilityIT.class);
    /** Set by a fault struck inside a protocol, which measures its own recovery (the heal is inside the protocol). */
    private static volatile Double scenarioRecoverySeconds;

    /** Under target, not a temporary directory: the services' logs stay for a look after a failure. */
    private static final Path dir = Path.of("target", "reliability-stack").toAbsolutePath();
    private static ReliabilityStack stack;
    private static DeviceLoad load;
    private static BridgeClient probe;
    private static DeviceSigner probeSigner;
    private static final List<AuthorityGenesis> AUTHORITIES = new ArrayList<>();

    @BeforeAll
    static void startTheStackUnderLoad() throws Exception {
        deleteRecursively(dir);
        for (int a = 0; a < 3; a++) {
            AUTHORITIES.add(AuthorityGenesis.generate("site-" + a, 4, 2));
        }
        final Path keyRing = dir.resolve("admin-keys");
        Files.createDirectories(dir);
        final Map<String, io.factfleet.core.Ed25519Keys.SigningKey> adminKeys = new TreeMap<>();
        AUTHORITIES.forEach(a -> adminKeys.put(a.authorityId(), a.adminKey()));
        AdminKeyRing.write(keyRing, AdminKeyRing.of(adminKeys));
        final long starting = System.nanoTime();
        stack = new ReliabilityStack(dir, keyRing).start();
        LOG.info("the stack of {} processes started in {} s", stack.services().size() + ProcessKafkaCluster.NODES,
                Math.round((System.nanoTime() - starting) / 1e8) / 10.0);
        publishGenesis();
        Await.until("every authority is reduced", Duration.ofSeconds(60), () -> AUTHORITIES.stream()
                .allMatch(a -> state(stack.reducerUrls.get(0), a.authorityId()) != null));
        load = new DeviceLoad(stack.bridgeUri, AUTHORITIES, 3).start();
        probeSigner = AUTHORITIES.get(0).device(3);
        probe = new BridgeClient(stack.bridgeUri, probeSigner.authorityId(), probeSigner.deviceId(), probeSigner.key(), System::currentTimeMillis);
        awaitProgress(30);
    }

    @AfterAll
    static void stopAndReport() throws Exception {
        if (load != null) {
            load.close();
        }
        if (stack != null) {
            stack.close();
        }
        final Path out = Path.of(System.getProperty("reliability.results", "target/reliability.json"));
        final ObjectNode root = JSON.createObjectNode();
        final ObjectNode faults = root.putObject("faults");
        RESULTS.forEach(faults::set);
        root.put("trials_per_fault", TRIALS);
        root.set("fuzz", fuzzStats());
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), root);
    }

    // ---- faults ---------------------------------------------------------------------------

    @Test
    void brokerKilled() throws Exception {
        run("broker_sigkill", ReliabilityIT::killBroker);
    }

    @Test
    @Tag(LONG)
    void brokerRestartedCleanly() throws Exception {
        run("broker_clean_restart", trial -> {
            final LocalBroker broker = stack.kafka.node(notTheController(trial));
            broker.stop(); // SIGTERM: Kafka's controlled shutdown moves its leaders first
            holdFault();
            return () -> restart(broker);
        });
    }

    @Test
    void activeControllerKilled() throws Exception {
        run("active_controller_sigkill", trial -> {
            final LocalBroker controller = stack.kafka.node(stack.kafka.activeController());
            controller.kill();
            holdFault();
            return () -> restart(controller);
        });
    }

    @Test
    @Tag(LONG)
    void activeControllerRestartedCleanly() throws Exception {
        run("active_controller_clean_restart", trial -> {
            final LocalBroker controller = stack.kafka.node(stack.kafka.activeController());
            controller.stop(); // SIGTERM: the quorum elects another controller, the broker moves its leaders first
            holdFault();
            return () -> restart(controller);
        });
    }

    @Test
    void brokerPausedPastItsSessionTimeout() throws Exception {
        run("broker_sigstop", trial -> {
            final LocalBroker broker = stack.kafka.node(notTheController(trial));
            ServiceProcess.signal(broker.pid(), "STOP");
            holdFault(Duration.ofSeconds(10)); // broker.session.timeout.ms is 4 s: the controller fences it
            return () -> {
                ServiceProcess.signal(broker.pid(), "CONT");
                stack.kafka.awaitFullyReplicated();
            };
        });
    }

    @Test
    @Tag(LONG)
    void allBrokersRestartedAtOnce() throws Exception {
        run("all_brokers_restart", trial -> {
            stack.kafka.nodes().forEach(LocalBroker::kill);
            holdFault();
            return () -> {
                stack.kafka.nodes().forEach(LocalBroker::launch);
                stack.kafka.nodes().forEach(LocalBroker::awaitReady);
                stack.kafka.awaitFullyReplicated();
            };
        });
    }

    @Test
    void ingestInstanceKilled() throws Exception {
        run("ingest_sigkill", trial -> kill(stack.ingest.get(trial % 2)));
    }

    @Test
    @Tag(LONG)
    void ingestInstanceRestartedCleanly() throws Exception {
        run("ingest_clean_restart", trial -> stop(stack.ingest.get(trial % 2)));
    }

    @Test
    @Tag(LONG)
    void reducerInstanceRestartedCleanly() throws Exception {
        run("reducer_clean_restart", trial -> stop(stack.reducers.get(trial % 2)));
    }

    @Test
    @Tag(LONG)
    void bridgeRestartedCleanly() throws Exception {
        run("bridge_clean_restart", trial -> stop(stack.bridge));
    }

    @Test
    void reducerInstanceKilled() throws Exception {
        run("reducer_sigkill", trial -> kill(stack.reducers.get(trial % 2)));
    }

    @Test
    void bridgeKilled() throws Exception {
        run("bridge_sigkill", trial -> kill(stack.bridge));
    }

    @Test
    @Tag(LONG)
    void schemaRegistryDown() throws Exception {
        run("registry_down_" + REGISTRY_DOWN_SECONDS + "s", trial -> {
            stack.registry.kill();
            holdFault(Duration.ofSeconds(REGISTRY_DOWN_SECONDS));
            return () -> stack.registry.start().awaitHealthy(ReliabilityStack.START_TIMEOUT);
        });
    }

    @Test
    @Tag(LONG)
    void snapshotCoordinatorKilled() throws Exception {
        run("snapshot_coordinator_sigkill", trial -> kill(stack.snapshots.get(trial % 2)));
    }

    @Test
    @Tag(LONG)
    void snapshotCoordinatorRestartedCleanly() throws Exception {
        run("snapshot_coordinator_clean_restart", trial -> stop(stack.snapshots.get(trial % 2)));
    }

    @Test
    @Tag(LONG)
    void otaCoordinatorKilled() throws Exception {
        run("ota_coordinator_sigkill", trial -> kill(stack.otas.get(trial % 2)));
    }

    @Test
    @Tag(LONG)
    void otaCoordinatorRestartedCleanly() throws Exception {
        run("ota_coordinator_clean_restart", trial -> stop(stack.otas.get(trial % 2)));
    }

    /**
     * A snapshot proposal of site-1 is open (its writer fence holds the devices' facts at ingest) when a snapshot
     * coordinator, an ingest instance or a broker is killed (by trial); after the heal two devices approve, the snapshot
     * completes, and the held facts are released: the common checks then include their order.
     */
    @Test
    void faultWhileASnapshotProposalIsOpen() throws Exception {
        final AuthorityGenesis site = AUTHORITIES.get(1);
        final String a = site.authorityId();
        final int[] held = new int[1];
        run("snapshot_open_proposal", trial -> {
            final String coordinator = stack.snapshotUrls.get(trial % 2);
            Await.until("a snapshot coordinator takes the proposal", Duration.ofSeconds(120), () -> post(URI.create(coordinator
                    + "/authorities/" + a + "/snapshots"), "{\"requestedBy\":\"reliability\",\"reason\":\"trial " + trial + "\"}") == 202);
            Await.until("the proposal is open, the fence up", Duration.ofSeconds(120),
                    () -> "OPEN".equals(snapshotStatus(a).path("openProposal").path("phase").asText()));
            final JsonNode open = snapshotStatus(a).path("openProposal");
            final String proposalId = open.path("proposalId").asText();
            final long epoch = open.path("targetEpoch").asLong();
            final byte[] digest = Hashing.unhex(open.path("digest").asText());
            final int ackedAtFence = load.acknowledgedCount(a);
            final Heal heal = switch (trial % 3) {
                case 0 -> kill(stack.snapshots.get(trial % 2));
                case 1 -> kill(stack.ingest.get(trial % 2));
                default -> killBroker(trial);
            };
            return () -> {
                heal.run();
                stack.awaitAllHealthy();
                for (final int d : new int[] {2, 3}) {
                    final DeviceSigner approver = site.device(d);
                    submitUntilAcknowledged(approver, approver.approveSnapshot(0, proposalId, epoch, digest));
                }
                Await.until("snapshot " + proposalId + " completes", Duration.ofSeconds(180),
                        () -> proposalId.equals(snapshotStatus(a).path("lastSnapshot").path("proposalId").asText()));
                held[0] += load.acknowledgedCount(a) - ackedAtFence;
            };
        });
        assertThat(held[0]).as("facts of %s acknowledged while its fence was up (the fence held something)", a).isPositive();
    }

    /**
     * A rollout of site-2 in two waves (devices 0 and 1, then 2 and 3): wave one's devices report READY, then the OTA
     * coordinator instance, a reducer instance or a broker is killed (by trial), then wave two's devices report. The upgrade
     * must end exactly as the same rollout without a fault did: every step, every wave's counts.
     */
    @Test
    void faultDuringARolloutWave() throws Exception {
        final AuthorityGenesis site = AUTHORITIES.get(2);
        final JsonNode reference = rollOut(site, 100, null);
        assertThat(reference.path("state").asText()).as("the rollout without a fault").isEqualTo("COMPLETED");
        run("rollout_wave", trial -> {
            final Fault[] faults = {
                t -> kill(stack.otas.get(t % 2)),
                t -> kill(stack.reducers.get(t % 2)),
                ReliabilityIT::killBroker};
            final JsonNode faulted = rollOut(site, 101 + trial, faults[trial % 3]);
            assertThat(normalised(faulted)).as("the rollout through a fault, compared with the one without")
                    .isEqualTo(normalised(reference));
            return () -> { };
        });
    }

    // ---- the protocols under a fault ------------------------------------------------------

    /**
     * Proposes version {@code version} of package fw to the site in two waves, approves it, has each wave's devices report
     * READY when it opens, with {@code fault} (if any) injected and healed between the waves, and returns the upgrade's
     * final view from the OTA coordinator.
     */
    private static JsonNode rollOut(final AuthorityGenesis site, final int version, final Fault fault) throws Exception {
        final String a = site.authorityId();
        final String proposalId = "fw-" + version;
        final String ota = stack.otaUrls.get(version % 2);
        final List<RolloutWave> waves = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            waves.add(RolloutWave.newBuilder(UpgradeFacts.wave("wave-" + w, 2, 100, 0, 0))
                    .setDeviceFilter(Pattern.quote(site.deviceIds().get(2 * w)) + "|" + Pattern.quote(site.deviceIds().get(2 * w + 1))).build());
        }
        final UpgradeMetadata metadata = UpgradeFacts.metadata(a, proposalId, "fw", version, ("fw " + version).getBytes(StandardCharsets.UTF_8),
                UpgradeKind.SOFT, null, Long.MAX_VALUE, new RolloutPlan(waves, true));
        final UpgradeProposed proposed = new UpgradeProposed(metadata, ThresholdCertificates.of(metadata, site.deviceKeys().subList(0, 2)));
        final String body = JSON.writeValueAsString(Map.of("proposal", Base64.getEncoder().encodeToString(Canonical.bytes(proposed))));
        Await.until("the OTA coordinator takes " + proposalId, Duration.ofSeconds(120),
                () -> post(URI.create(ota + "/authorities/" + a + "/upgrades"), body) == 202);
        Await.until(proposalId + " awaits approval", Duration.ofSeconds(120),
                () -> "AWAITING_APPROVAL".equals(upgrade(a, proposalId).path("state").asText()));
        Await.until("the operator's approval of " + proposalId + " is taken", Duration.ofSeconds(120),
                () -> post(URI.create(ota + "/authorities/" + a + "/upgrades/" + proposalId + "/approve"), "{\"reason\":\"reliability\"}") == 202);
        for (int w = 0; w < 2; w++) {
            final int wave = w;
            Await.until(proposalId + " opens wave " + wave, Duration.ofSeconds(180),
                    () -> "OPEN".equals(upgrade(a, proposalId).path("waves").path(wave).path("state").asText()));
            for (int d = 2 * w; d < 2 * w + 2; d++) {
                final DeviceSigner device = site.device(d);
                submitUntilAcknowledged(device, device.readiness(0, proposalId, "fw", version, ReadinessStatus.READY, null));
            }
            if (w == 0 && fault != null) {
                final Heal heal = fault.inject(version);
                final long healedAt = System.nanoTime();
                heal.run();
                stack.awaitAllHealthy();
                Await.until(proposalId + " opens wave 1 after the fault", Duration.ofSeconds(180),
                        () -> "OPEN".equals(upgrade(a, proposalId).path("waves").path(1).path("state").asText()));
                scenarioRecoverySeconds = (System.nanoTime() - healedAt) / 1e9;
            }
        }
        Await.until(proposalId + " completes", Duration.ofSeconds(180), () -> "COMPLETED".equals(upgrade(a, proposalId).path("state").asText()));
        return upgrade(a, proposalId);
    }

    /** The upgrade's view without what differs between two rollouts of different versions: ids, versions, times. */
    private static String normalised(final JsonNode upgrade) {
        final ObjectNode o = upgrade.deepCopy();
        o.remove(List.of("proposalId", "version"));
        for (final JsonNode step : o.withArray("steps")) {
            ((ObjectNode) step).remove(List.of("issuedAtMillis", "factId", "reason"));
        }
        return o.toString();
    }

    private static JsonNode upgrade(final String authority, final String proposalId) {
        for (final String ota : stack.otaUrls) {
            final JsonNode all = get(URI.create(ota + "/authorities/" + authority + "/upgrades"));
            if (all != null) {
                for (final JsonNode u : all) {
                    if (proposalId.equals(u.path("proposalId").asText())) {
                        return u;
                    }
                }
                return JSON.createObjectNode();
            }
        }
        return JSON.createObjectNode();
    }

    private static JsonNode snapshotStatus(final String authority) {
        for (final String coordinator : stack.snapshotUrls) {
            final JsonNode s = get(URI.create(coordinator + "/authorities/" + authority + "/snapshots/status"));
            if (s != null) {
                return s;
            }
        }
        return JSON.createObjectNode();
    }

    /** Sends the fact through the bridge as the device, again and again, until the bridge acknowledges it. */
    private static void submitUntilAcknowledged(final DeviceSigner device, final FactEnvelope fact) {
        final BridgeClient client = new BridgeClient(stack.bridgeUri, device.authorityId(), device.deviceId(), device.key(), System::currentTimeMillis);
        Await.until("the bridge acknowledges " + Facts.idHex(fact) + " from " + device.deviceId(), Duration.ofSeconds(180), () -> {
            final var r = client.submit(List.of(fact)).get(0);
            if (r.outcome() == Outbox.Outcome.REJECTED) {
                throw new AssertionError("the bridge rejected " + device.deviceId() + "'s fact: " + r.code() + " " + r.message());
            }
            return true;
        });
    }

    /** The operator's signed POST; the status code, 0 if the service did not answer. */
    private static int post(final URI uri, final String body) {
        try {
            return HTTP.send(TestOperators.post(uri, body).header("Content-Type", "application/json").timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (final java.io.IOException e) {
            return 0;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The operator's signed GET, parsed; null unless 200. */
    private static JsonNode get(final URI uri) {
        try {
            final HttpResponse<String> r = HTTP.send(TestOperators.get(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (final java.io.IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    // ---- the harness ----------------------------------------------------------------------

    /** A fault: injects it, holds it, and returns what heals it. */
    @FunctionalInterface
    private interface Fault {
        Heal inject(int trial) throws Exception;
    }

    @FunctionalInterface
    private interface Heal {
        void run() throws Exception;
    }

    /** SIGKILL of a broker that is not the active controller (which one alternates by trial). */
    private static Heal killBroker(final int trial) {
        final LocalBroker broker = stack.kafka.node(notTheController(trial));
        broker.kill();
        holdFault();
        return () -> restart(broker);
    }

    private static Heal kill(final ServiceProcess service) {
        service.kill();
        holdFault();
        return () -> service.start().awaitHealthy(ReliabilityStack.START_TIMEOUT);
    }

    /** SIGTERM: the service's shutdown hook closes it (Kafka Streams commits and leaves the group). */
    private static Heal stop(final ServiceProcess service) {
        service.stop();
        holdFault();
        return () -> service.start().awaitHealthy(ReliabilityStack.START_TIMEOUT);
    }

    private static void restart(final LocalBroker broker) {
        broker.launch();
        broker.awaitReady();
        stack.kafka.awaitFullyReplicated();
    }

    private static int notTheController(final int trial) {
        final int controller = stack.kafka.activeController();
        return (controller + 1 + trial % 2) % ProcessKafkaCluster.NODES;
    }

    private static void holdFault() {
        holdFault(FAULT_HELD);
    }

    /** Keeps the fault for a while, the load running; waiting on the clock is the point here, not a race. */
    private static void holdFault(final Duration duration) {
        final long until = System.nanoTime() + duration.toNanos();
        Await.until("the fault was held for " + duration, duration.plusSeconds(5), () -> System.nanoTime() >= until);
    }

    private static void run(final String name, final Fault fault) throws Exception {
        final Map<String, Long> answersBefore = load.answers();
        final int ackedBefore = load.acknowledgedCount();
        double maxRecovery = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            awaitProgress(20);
            final long trialStart = System.nanoTime();
            scenarioRecoverySeconds = null;
            final Heal heal = fault.inject(trial);
            final long healedAt = System.nanoTime();
            heal.run();
            stack.awaitAllHealthy();
            awaitProbeReduced();
            maxRecovery = Math.max(maxRecovery, scenarioRecoverySeconds != null ? scenarioRecoverySeconds : (System.nanoTime() - healedAt) / 1e9);
            LOG.info("{} trial {}: injected and held in {} s, healed and recovered in {} s", name, trial,
                    Math.round((healedAt - trialStart) / 1e8) / 10.0, Math.round((System.nanoTime() - healedAt) / 1e8) / 10.0);
            awaitProgress(20);
        }
        final long drainStart = System.nanoTime();
        load.drain(Duration.ofSeconds(120));
        try {
            final long checkStart = System.nanoTime();
            final Check check = check();
            LOG.info("{}: drained in {} s, checked in {} s", name, Math.round((checkStart - drainStart) / 1e8) / 10.0,
                    Math.round((System.nanoTime() - checkStart) / 1e8) / 10.0);
            final ObjectNode result = JSON.createObjectNode();
            result.put("trials", TRIALS);
            result.put("acknowledged_facts", load.acknowledgedCount() - ackedBefore);
            result.put("acknowledged_total", check.acknowledged);
            result.put("lost", check.lost.size());
            result.put("duplicated", check.duplicated.size());
            result.put("digest_mismatches", check.digestMismatches.size());
            result.put("out_of_order", check.outOfOrder.size());
            result.put("device_order_inversions_total", check.deviceOrderInversions);
            result.put("max_recovery_seconds", Math.round(maxRecovery * 10) / 10.0);
            final ObjectNode answers = result.putObject("bridge_answers");
            final Map<String, Long> after = load.answers();
            after.forEach((k, v) -> {
                final long during = v - answersBefore.getOrDefault(k, 0L);
                if (during > 0) {
                    answers.put(k, during);
                }
            });
            RESULTS.put(name, result);
            assertThat(check.lost).as("acknowledged facts missing from the journal after %s", name).isEmpty();
            assertThat(check.duplicated).as("facts in the journal more than once after %s", name).isEmpty();
            assertThat(check.digestMismatches).as("reducer states that differ from a replay of the journal after %s", name).isEmpty();
            assertThat(check.outOfOrder).as("authorities whose facts are in the journal out of the order ingest took them in, after %s", name)
                    .isEmpty();
            assertThat(load.unexpectedAnswers()).as("bridge answers other than success or a retriable refusal").isEmpty();
            assertThat(load.rejections()).as("good facts the bridge rejected").isEmpty();
        } finally {
            load.start();
        }
    }

    /**
     * The fuzz targets' figures of this build, from each module's target/fuzz-stats (written by journal-core's
     * FuzzStats after each target ran); empty when the fuzz targets did not run in this tree (e.g. -pl system-tests).
     */
    private static ObjectNode fuzzStats() throws java.io.IOException {
        final ObjectNode fuzz = JSON.createObjectNode();
        final Path root = Path.of("").toAbsolutePath().getParent();
        try (var modules = Files.walk(root, 3)) {
            for (final Path statsDir : modules.filter(d -> d.endsWith(Path.of("target", "fuzz-stats"))).sorted().toList()) {
                try (var files = Files.list(statsDir)) {
                    for (final Path f : files.filter(x -> x.toString().endsWith(".json")).sorted().toList()) {
                        final JsonNode stats = JSON.readTree(f.toFile());
                        fuzz.putObject(f.getFileName().toString().replace(".json", ""))
                                .put("module", root.relativize(statsDir.getParent().getParent()).toString())
                                .put("mode", stats.path("mode").asText())
                                .put("executions", stats.path("executions").asLong())
                                .put("findings", stats.path("findings").asLong());
                    }
                }
            }
        }
        return fuzz;
    }

    private record Check(int acknowledged, Map<String, String> lost, Map<String, Integer> duplicated, Map<String, String> digestMismatches,
                         Map<String, String> outOfOrder, int deviceOrderInversions) {
    }

    /**
     * Per authority, the load's acknowledged facts in the order ingest took them from the inbound topic: each must be in the
     * journal after the one before (ingest keeps its input's order, and the writer fence releases what it held in order).
     */
    private static Map<String, String> releasedOutOfOrder(final Set<String> acknowledged, final JournalAudit journal) {
        final Map<String, TreeMap<Long, String>> byAuthority = new TreeMap<>();
        for (final String key : load.made().keySet()) {
            final Long inbound = journal.inboundOffsets.get(key);
            if (acknowledged.contains(key) && inbound != null && journal.offsets.containsKey(key)) {
                byAuthority.computeIfAbsent(JournalKey.authorityOf(key), x -> new TreeMap<>()).put(inbound, key);
            }
        }
        final Map<String, String> problems = new TreeMap<>();
        byAuthority.forEach((authority, facts) -> {
            long previous = -1;
            long previousInbound = -1;
            for (final Map.Entry<Long, String> f : facts.entrySet()) {
                final long offset = journal.offsets.get(f.getValue());
                if (offset < previous) {
                    problems.putIfAbsent(authority, "the fact at inbound offset " + f.getKey() + " is at journal offset " + offset
                            + ", before the one at inbound offset " + previousInbound + " (journal offset " + previous + ")");
                }
                previous = offset;
                previousInbound = f.getKey();
            }
        });
        return problems;
    }

    /**
     * Facts in the journal before one their device made earlier: not a fault (the state is a join of the facts, in any
     * order), reported to show what a produce failure does to the order. The bridge answers 503 for a whole batch that Kafka
     * did not acknowledge; the idempotent producer keeps order only while no batch fails, so after an expired batch a later
     * one of the same device may land first, and the device's retry of the earlier facts lands after it.
     */
    private static int deviceOrderInversions(final Set<String> acknowledged, final JournalAudit journal) {
        final Map<String, TreeMap<Long, String>> byDevice = new TreeMap<>();
        load.made().forEach((key, made) -> {
            if (acknowledged.contains(key) && journal.offsets.containsKey(key)) {
                byDevice.computeIfAbsent(made.deviceId(), d -> new TreeMap<>()).put(made.sequence(), key);
            }
        });
        int inversions = 0;
        for (final TreeMap<Long, String> facts : byDevice.values()) {
            long latest = -1;
            for (final String key : facts.values()) {
                final long offset = journal.offsets.get(key);
                if (offset < latest) {
                    inversions++;
                }
                latest = Math.max(latest, offset);
            }
        }
        return inversions;
    }

    private static void deleteRecursively(final Path path) throws java.io.IOException {
        if (Files.exists(path)) {
            try (var walk = Files.walk(path)) {
                for (final Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The checks of the class comment, once the load is drained. */
    private static Check check() {
        final Set<String> acknowledged = load.acknowledged();
        final JournalAudit[] journal = new JournalAudit[1];
        final Map<String, String> mismatches = new TreeMap<>();
        final Map<String, String> lost = new TreeMap<>();
        // Ingest and the reducers may still be working through the last facts: wait until the journal holds every
        // acknowledged fact and the reducers have all of it, then compare. What is still missing then is lost.
        try {
            Await.until("the journal holds every acknowledged fact and every reducer instance has reduced it", Duration.ofSeconds(90), () -> {
                journal[0] = JournalAudit.read(stack);
                lost.clear();
                for (final String key : acknowledged) {
                    if (!journal[0].occurrences.containsKey(key)) {
                        lost.put(key, journal[0].rejected.getOrDefault(key, "neither in the journal nor refused by ingest"));
                    }
                }
                mismatches.clear();
                final Map<String, String> replayed = journal[0].replayedDigests();
                for (final String reducer : stack.reducerUrls) {
                    for (final Map.Entry<String, String> e : replayed.entrySet()) {
                        final JsonNode state = state(reducer, e.getKey());
                        final long count = state == null ? -1 : state.path("state").path("factCount").asLong();
                        final String digest = state == null ? "(no answer)" : state.path("digest").asText();
                        if (count != journal[0].factsByAuthority.get(e.getKey()).size() || !digest.equals(e.getValue())) {
                            mismatches.put(reducer + " " + e.getKey(), "factCount " + count + " of " + journal[0].factsByAuthority.get(e.getKey()).size()
                                    + ", digest " + digest + " instead of " + e.getValue());
                        }
                    }
                }
                return lost.isEmpty() && mismatches.isEmpty();
            });
        } catch (final AssertionError timedOut) {
            if (journal[0] == null) {
                throw timedOut;
            }
        }
        return new Check(acknowledged.size(), Map.copyOf(lost), journal[0].duplicates(), Map.copyOf(mismatches),
                releasedOutOfOrder(acknowledged, journal[0]), deviceOrderInversions(acknowledged, journal[0]));
    }

    /** Waits until the devices' acknowledged facts grew by {@code facts}. */
    private static void awaitProgress(final int facts) {
        final int target = load.acknowledgedCount() + facts;
        try {
            Await.until("the bridge acknowledges " + facts + " more facts", Duration.ofSeconds(120), () -> load.acknowledgedCount() >= target);
        } catch (final AssertionError e) {
            throw new AssertionError(e.getMessage() + "; the bridge's answers so far: " + load.answers(), e);
        }
    }

    /** Sends one new fact (again and again until the bridge accepts it), then waits until the reducer has it. */
    private static void awaitProbeReduced() {
        final FactEnvelope fact = probeSigner.journalEntry(0, ("probe-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8), new byte[0]);
        final String id = Facts.idHex(fact);
        Await.until("the bridge accepts a probe fact", Duration.ofSeconds(180), () -> {
            final var r = probe.submit(List.of(fact)).get(0);
            return r.outcome() == Outbox.Outcome.ACCEPTED || r.outcome() == Outbox.Outcome.DUPLICATE;
        });
        Await.until("the reducer has the probe fact", Duration.ofSeconds(180),
                () -> "IN_JOURNAL".equals(probe.statuses(List.of(id)).get(0).status()));
    }

    /** The reducer instance's answer for the authority's state; null if it does not answer 200 now. */
    private static JsonNode state(final String reducerUrl, final String authority) {
        return get(URI.create(reducerUrl + "/authorities/" + authority + "/state"));
    }

    private static void publishGenesis() throws Exception {
        final Map<String, Object> props = new LinkedHashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(
                new HttpSchemaRegistryClient(stack.operators.registryClient(stack.registryUrl)));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (final AuthorityGenesis a : AUTHORITIES) {
                producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), a.authorityId(),
                        serializer.serialize(FactFleetTopics.INBOUND.name(), a.genesisFact(stack.operator)))).get(60, TimeUnit.SECONDS);
            }
        }
    }
}
