package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.device.DeviceAgent;
import io.factfleet.device.Outbox;
import io.factfleet.reducer.ReducerService;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.simulator.FleetPlan;
import io.factfleet.simulator.FleetSimulator;
import io.factfleet.simulator.SimulatedDevice;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 simulated devices in 5 authorities talk to the edge bridge. 20% go offline while the others
 * keep producing; the offline ones keep signing into their outboxes, are then handed to real
 * processes that send and are killed mid-send, are restarted from their on-disk outbox, reconnect,
 * and end with the server's state digest. Every fact any device was told was accepted is in the
 * journal exactly once.
 */
class FleetCatchUpIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static ReducerService reducer;
    private static EdgeBridgeService bridge;

    @BeforeAll
    static void startTheStack() {
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 1, 4, 1);
        reducer = spine.reducer(0);
        final Properties bridgeProps = spine.operators.bridgeProps();
        bridgeProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        bridgeProps.put("schema.registry.url", spine.registryUrl);
        bridgeProps.put(BridgeConfig.REDUCER_URL, "http://" + reducer.applicationServer());
        bridgeProps.put(BridgeConfig.HTTP_PORT, "0");
        bridgeProps.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
        bridge = new EdgeBridgeService(BridgeConfig.of(bridgeProps)).start();
    }

    @AfterAll
    static void stopTheStack() {
        if (bridge != null) {
            bridge.close();
        }
        if (spine != null) {
            spine.close();
        }
    }

    private static void publishGenesis(final FactEnvelope genesis) {
        spine.publish(genesis);
    }

    private static JsonNode reducerGet(final String path) throws Exception {
        final HttpResponse<String> r = HTTP.send(TestOperators.get(URI.create("http://" + reducer.applicationServer() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    @Test
    void devicesThatWereOfflineAndKilledMidSendCatchUpExactlyAndLoseNothing() throws Exception {
        final FleetPlan plan = new FleetPlan(5, 10, 3, 2, Duration.ofMillis(100), 0.0, Duration.ofSeconds(60));
        try (FleetSimulator fleet = FleetSimulator.create(plan, "fleet", dir.resolve("devices"), bridge.uri(), OPERATOR,
                FleetCatchUpIT::publishGenesis)) {
            for (final var authority : fleet.authorities()) {
                Await.until(authority.authorityId() + " exists", Duration.ofSeconds(60),
                        () -> reducerGet("/authorities/" + authority.authorityId() + "/roster") != null);
            }
            final List<SimulatedDevice> devices = fleet.devices();
            assertThat(devices).hasSize(50);

            // Everybody online for a few rounds.
            for (int i = 0; i < 3; i++) {
                fleet.round();
            }
            // 20% (two per authority) go offline and keep signing while the others keep producing.
            final List<SimulatedDevice> offline = new ArrayList<>();
            for (final var authority : fleet.authorities()) {
                offline.addAll(fleet.devicesOf(authority.authorityId()).subList(0, 2));
            }
            offline.forEach(d -> d.forceOffline(true));
            for (int i = 0; i < 6; i++) {
                fleet.round();
            }
            assertThat(offline).allSatisfy(d -> assertThat(d.agent().outbox().pendingCount()).isGreaterThan(5));

            // The offline devices come back as processes that are killed in the middle of sending.
            int killedWithWorkLeft = 0;
            for (final SimulatedDevice device : offline) {
                device.stop();
                if (sendAndKillMidway(device)) {
                    killedWithWorkLeft++;
                }
                device.restart();
                device.forceOffline(false);
            }
            assertThat(killedWithWorkLeft).as("devices killed with facts still in their outbox").isPositive();

            // A few more rounds with everybody, then quiet: nobody signs, everybody drains and syncs.
            for (int i = 0; i < 3; i++) {
                fleet.round();
            }
            for (final SimulatedDevice device : devices) {
                Await.until(device.agent().deviceId() + " drains and is in sync", Duration.ofSeconds(60), () -> {
                    device.agent().flush();
                    return device.agent().outbox().pendingCount() == 0 && device.agent().sync().inSync();
                });
            }

            // Every device ends with the server's state digest.
            for (final var authority : fleet.authorities()) {
                final JsonNode server = reducerGet("/authorities/" + authority.authorityId() + "/state");
                for (final SimulatedDevice device : fleet.devicesOf(authority.authorityId())) {
                    assertThat(Hashing.hex(device.agent().replica().digest())).as(device.agent().deviceId())
                            .isEqualTo(server.path("digest").asText());
                }
            }

            // Every fact any device was told was accepted is in the journal exactly once.
            final Set<String> accepted = new HashSet<>();
            for (final SimulatedDevice device : devices) {
                for (final Outbox.Delivery d : device.agent().outbox().deliveries()) {
                    assertThat(d.outcome()).as("no honest fact is rejected").isNotEqualTo(Outbox.Outcome.REJECTED);
                    accepted.add(d.factId());
                }
            }
            final Map<String, Integer> journal = journalFactCounts();
            for (final String id : accepted) {
                assertThat(journal.get(id)).as("fact %s in the journal", id).isEqualTo(1);
            }
            assertThat(accepted).hasSizeGreaterThan(500);
            assertThat(fleet.factsSigned()).isEqualTo(accepted.size());
        }
    }

    @Test
    void aDeviceRunningInTheBackgroundHearsOfAProposalAwaitingItsApprovalAndApprovesIt() throws Exception {
        final FleetPlan plan = new FleetPlan(1, 3, 2, 0, Duration.ofMillis(100), 0.0, Duration.ofSeconds(60));
        try (FleetSimulator fleet = FleetSimulator.create(plan, "pending", dir.resolve("pending-devices"), bridge.uri(), OPERATOR,
                FleetCatchUpIT::publishGenesis)) {
            final var authority = fleet.authorities().get(0);
            Await.until("the authority exists", Duration.ofSeconds(60),
                    () -> reducerGet("/authorities/" + authority.authorityId() + "/roster") != null);
            final DeviceAgent proposer = fleet.devicesOf(authority.authorityId()).get(0).agent();
            final DeviceAgent approver = fleet.devicesOf(authority.authorityId()).get(1).agent();
            final java.util.concurrent.CopyOnWriteArrayList<io.factfleet.core.PendingWork> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
            approver.onPendingWork(work -> {
                heard.add(work);
                for (final var request : work.snapshotApprovals()) {
                    approver.approveSnapshot(request.proposalId(), request.targetEpoch(), Hashing.unhex(request.prefixDigestHex()));
                }
            });
            approver.startBackground(Duration.ofMillis(200));
            final byte[] digest = Hashing.sha256("prefix".getBytes());
            proposer.sign(new io.factfleet.schema.SnapshotProposed("snap-1", proposer.deviceId(), 0L, java.nio.ByteBuffer.wrap(digest), 1L));
            proposer.flush();
            Await.until("the approver heard of the proposal", Duration.ofSeconds(60),
                    () -> heard.stream().anyMatch(w -> w.snapshotApprovals().stream().anyMatch(r -> r.proposalId().equals("snap-1"))));
            Await.until("the approval reached the server", Duration.ofSeconds(60), () -> {
                final JsonNode state = reducerGet("/authorities/" + authority.authorityId() + "/state");
                return state != null && state.path("state").path("proposals").path(0).path("countedApprovals").asInt() == 1;
            });
            approver.stopBackground();
        }
    }

    /** Runs the device as a process that sends from its outbox; kills it after its second acknowledged batch. */
    private static boolean sendAndKillMidway(final SimulatedDevice device) throws Exception {
        final DeviceAgent agent = device.agent();
        final String authority = agent.replica().authorityId();
        final String java = ProcessHandle.current().info().command().orElse("java");
        final Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), DeviceSendProcess.class.getName(),
                authority, agent.deviceId(), device.dataDir().toString(), bridge.uri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int batches = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACKED ") && Integer.parseInt(line.substring(6)) > 0 && ++batches == 2) {
                    break;
                }
                if (line.equals("EMPTY")) {
                    break;
                }
            }
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (Outbox outbox = Outbox.open(device.dataDir().resolve("outbox.db"))) {
            return outbox.pendingCount() > 0;
        }
    }

    private static Map<String, Integer> journalFactCounts() {
        final Map<String, Object> props = new HashMap<>(KAFKA.consumerProps("journal-check-" + System.nanoTime()));
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(FactFleetTopics.JOURNAL.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    counts.merge(JournalKey.factIdOf(r.key()), 1, Integer::sum);
                }
            }
        }
        return counts;
    }
}
