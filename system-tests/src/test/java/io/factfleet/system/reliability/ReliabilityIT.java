package io.factfleet.system.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Facts;
import io.factfleet.deploy.LocalBroker;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.Outbox;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 12's failure harness: FactFleet as separate processes on three Kafka nodes ({@link ReliabilityStack}) under a steady
 * load of signed facts from devices through the bridge ({@link DeviceLoad}); each test injects one fault, {@code
 * reliability.trials} times (1 in the test command, 3 with {@code -Preliability}), and then checks, the same for every fault:
 * <ul>
 *   <li>every fact the bridge acknowledged is in the journal, exactly once, and no fact is in it twice;</li>
 *   <li>every authority's reduced state, asked of each reducer instance, counts the journal's distinct facts and has the
 *       digest the shared core computes by replaying the journal;</li>
 *   <li>the bridge answered only success or a retriable refusal (503, or no answer while it was down): never a 500 or a
 *       rejection of a good fact;</li>
 *   <li>how long the system took to take and reduce a new fact after the fault healed (the recovery time).</li>
 * </ul>
 * The figures go to {@code reliability.results} (target/reliability.json; -Preliability writes system-tests/results).
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class ReliabilityIT {
    private static final int TRIALS = Integer.getInteger("reliability.trials", 1);
    private static final int REGISTRY_DOWN_SECONDS = Integer.getInteger("reliability.registry.down.seconds", 30);
    private static final Duration FAULT_HELD = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Map<String, ObjectNode> RESULTS = new TreeMap<>();

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
        stack = new ReliabilityStack(dir).start();
        for (int a = 0; a < 3; a++) {
            AUTHORITIES.add(AuthorityGenesis.generate("site-" + a, 4, 2));
        }
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
        Files.createDirectories(out.toAbsolutePath().getParent());
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), root);
    }

    // ---- faults ---------------------------------------------------------------------------

    @Test
    void brokerKilled() throws Exception {
        run("broker_sigkill", trial -> {
            final LocalBroker broker = stack.kafka.node(notTheController(trial));
            broker.kill();
            holdFault();
            return () -> restart(broker);
        });
    }

    @Test
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
    void ingestInstanceRestartedCleanly() throws Exception {
        run("ingest_clean_restart", trial -> stop(stack.ingest.get(trial % 2)));
    }

    @Test
    void reducerInstanceRestartedCleanly() throws Exception {
        run("reducer_clean_restart", trial -> stop(stack.reducers.get(trial % 2)));
    }

    @Test
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
    void schemaRegistryDown() throws Exception {
        run("registry_down_" + REGISTRY_DOWN_SECONDS + "s", trial -> {
            stack.registry.kill();
            holdFault(Duration.ofSeconds(REGISTRY_DOWN_SECONDS));
            return () -> stack.registry.start().awaitHealthy(ReliabilityStack.START_TIMEOUT);
        });
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
            final Heal heal = fault.inject(trial);
            final long healedAt = System.nanoTime();
            heal.run();
            stack.awaitAllHealthy();
            awaitProbeReduced();
            maxRecovery = Math.max(maxRecovery, (System.nanoTime() - healedAt) / 1e9);
            awaitProgress(20);
        }
        load.drain(Duration.ofSeconds(120));
        try {
            final Check check = check();
            final ObjectNode result = JSON.createObjectNode();
            result.put("trials", TRIALS);
            result.put("acknowledged_facts", load.acknowledgedCount() - ackedBefore);
            result.put("acknowledged_total", check.acknowledged);
            result.put("lost", check.lost.size());
            result.put("duplicated", check.duplicated.size());
            result.put("digest_mismatches", check.digestMismatches.size());
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
            assertThat(load.unexpectedAnswers()).as("bridge answers other than success or a retriable refusal").isEmpty();
            assertThat(load.rejections()).as("good facts the bridge rejected").isEmpty();
        } finally {
            load.start();
        }
    }

    private record Check(int acknowledged, Map<String, String> lost, Map<String, Integer> duplicated, Map<String, String> digestMismatches) {
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
        return new Check(acknowledged.size(), Map.copyOf(lost), journal[0].duplicates(), Map.copyOf(mismatches));
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
        try {
            final HttpResponse<String> r = HTTP.send(TestOperators.get(URI.create(reducerUrl + "/authorities/" + authority + "/state"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (final java.io.IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
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
