package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.device.DeviceAgent;
import io.factfleet.reducer.ReducerService;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaCluster;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 4's protocol end to end on a real in-process cluster: 5 devices, M = 3, approvals through the
 * device SDK and the edge bridge, the writer fence at ingest, completion, garbage collection with real
 * log compaction, and a fresh reducer restored from snapshot + tail.
 */
class SnapshotCoordinatorIT {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCoordinatorIT.class);

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.of(KafkaCluster.builder()
            .brokerConfig("log.cleaner.backoff.ms", "200")
            .brokerConfig("log.cleaner.threads", "1"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AuthorityGenesis FLEET = AuthorityGenesis.generate("fleet-snap", 5, 3);
    private static final String A = FLEET.authorityId();

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static EdgeBridgeService bridge;
    private static SnapshotCoordinatorService coordinator;

    @BeforeAll
    static void startTheStack() {
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 1, 2, 1);
        bridge = spine.startBridge(Map.of());
        coordinator = spine.startSnapshots(dir.resolve("coordinator"), OPERATOR, AdminKeyRing.of(Map.of(A, FLEET.adminKey())),
                Map.of(SnapshotConfig.TIMEOUT_MS, "90000"));
    }

    @AfterAll
    static void stopTheStack() {
        if (coordinator != null) {
            coordinator.close();
        }
        if (bridge != null) {
            bridge.close();
        }
        if (spine != null) {
            spine.close();
        }
    }

    private static JsonNode get(final URI base, final String path) throws Exception {
        final HttpResponse<String> r = HTTP.send(TestOperators.get(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static JsonNode status() throws Exception {
        return get(coordinator.httpUri(), "/authorities/" + A + "/snapshots/status");
    }

    private static JsonNode reducerState(final ReducerService reducer) throws Exception {
        return get(URI.create("http://" + reducer.applicationServer()), "/authorities/" + A + "/state");
    }

    private static long partitionBytes(final TopicPartition tp) throws Exception {
        final Map<Integer, Map<String, LogDirDescription>> dirs = KAFKA.admin().describeLogDirs(KAFKA.brokerIds()).allDescriptions().get();
        long bytes = 0;
        for (final Map<String, LogDirDescription> byDir : dirs.values()) {
            for (final LogDirDescription d : byDir.values()) {
                if (d.replicaInfos().containsKey(tp)) {
                    bytes += d.replicaInfos().get(tp).size();
                }
            }
        }
        return bytes;
    }

    private static List<String> journalKeys(final int partition) {
        final Map<String, Object> props = KAFKA.consumerProps("journal-reader-" + System.nanoTime());
        props.put("isolation.level", "read_committed");
        final List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            final TopicPartition tp = new TopicPartition(FactFleetTopics.JOURNAL.name(), partition);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        keys.add(r.key());
                    }
                }
            }
        }
        return keys;
    }

    @Test
    void aCoordinatorAdvertisesItsConfiguredApplicationServerSoOthersCanForwardToIt() {
        // What a pod sets (its DNS name; port 0: this instance's HTTP port). It used to advertise localhost whatever was set.
        try (SnapshotCoordinatorService other = spine.startSnapshots(dir.resolve("advertised"), OPERATOR, AdminKeyRing.empty(),
                Map.of("application.id", "factfleet-snapshot-advertised", "application.server", "127.0.0.1:0"))) {
            assertThat(other.advertised().host()).isEqualTo("127.0.0.1");
            assertThat(other.advertised().port()).isEqualTo(other.httpPort());
        }
    }

    @Test
    void aSnapshotNeedsThreeHonestApprovalsHoldsWritesDuringTheFenceAndGarbageCollectsThePrefix() throws Exception {
        spine.publish(FLEET.genesisFact(OPERATOR));
        for (int i = 0; i < 300; i++) {
            spine.publishAsync(FLEET.device(i % 5).journalEntry(0, ("key-" + i).getBytes(), ("a value of some length " + i).repeat(4).getBytes()));
        }
        spine.flush();
        Await.until("the coordinator folded 301 facts", Duration.ofSeconds(60), () -> {
            final JsonNode s = status();
            return s != null && s.path("factCount").asLong() == 301;
        });
        final List<DeviceAgent> agents = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            agents.add(DeviceAgent.open(A, FLEET.deviceIds().get(d), FLEET.deviceKeys().get(d), dir.resolve("device-" + d), bridge.uri(),
                    new io.factfleet.device.Backoff(Duration.ofMillis(50), Duration.ofSeconds(1)), System::currentTimeMillis));
        }
        try {
            // Propose through the HTTP API; a second request while it is open is refused with a reason.
            final HttpResponse<String> proposed = HTTP.send(TestOperators.post(coordinator.httpUri().resolve("/authorities/" + A + "/snapshots"),
                    "{\"requestedBy\":\"it\",\"reason\":\"issue 4\"}").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(proposed.statusCode()).isEqualTo(202);
            Await.until("the proposal is open (fence up)", Duration.ofSeconds(60), () -> "OPEN".equals(status().path("openProposal").path("phase").asText()));
            final JsonNode open = status().path("openProposal");
            final String proposalId = open.path("proposalId").asText();
            assertThat(open.path("threshold").asInt()).isEqualTo(3);
            assertThat(status().path("fence").asText()).isEqualTo("FENCED");
            final HttpResponse<String> competing = HTTP.send(TestOperators.post(coordinator.httpUri().resolve("/authorities/" + A + "/snapshots"), "")
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(competing.statusCode()).isEqualTo(409);
            assertThat(competing.body()).contains("PROPOSAL_OPEN").contains(proposalId);

            // Writes during the fence: acknowledged by Kafka, held by ingest, in this order.
            final List<FactEnvelope> fenced = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                final FactEnvelope f = FLEET.device(4).journalEntry(0, ("during-" + i).getBytes(), new byte[] {(byte) i});
                spine.publish(f);
                fenced.add(f);
            }
            final int partition = AuthorityPartitioner.partition(A, 2);
            final TopicPartition journalPartition = new TopicPartition(FactFleetTopics.JOURNAL.name(), partition);

            // An approval over a wrong digest, two honest ones, and a duplicate of one of them: no completion.
            final byte[] digest = Hashing.unhex(open.path("digest").asText());
            final byte[] wrong = digest.clone();
            wrong[0] ^= 1;
            spine.publish(FLEET.device(3).approveSnapshot(0, proposalId, 0, wrong));
            for (final DeviceAgent agent : agents.subList(0, 2)) {
                agent.sync();
                assertThat(agent.approveOpenSnapshots()).singleElement().satisfies(d -> assertThat(d.approved()).as(d.reason()).isTrue());
                assertThat(agent.flush()).isEqualTo(1);
            }
            spine.publish(new io.factfleet.core.DeviceSigner(A, FLEET.deviceIds().get(0), FLEET.deviceKeys().get(0), () -> 42L)
                    .approveSnapshot(0, proposalId, 0, digest));
            Await.until("four approvals are recorded", Duration.ofSeconds(60), () -> status().path("openProposal").path("approvalList").size() == 4);
            final JsonNode twoOfThree = status();
            assertThat(twoOfThree.path("openProposal").path("approvals").asInt()).isEqualTo(2);
            assertThat(twoOfThree.path("lastSnapshot").isNull()).isTrue();
            assertThat(twoOfThree.path("openProposal").path("problems").toString()).contains("DIGEST_MISMATCH").contains("DUPLICATE_APPROVER");
            assertThat(journalKeys(partition)).as("nothing posted during the fence is in the journal yet")
                    .doesNotContain(JournalKey.of(A, Facts.idHex(fenced.get(0))));
            final long bytesBefore = partitionBytes(journalPartition);

            // The third distinct honest approval completes it.
            agents.get(2).sync();
            assertThat(agents.get(2).approveOpenSnapshots()).singleElement().satisfies(d -> assertThat(d.approved()).isTrue());
            agents.get(2).flush();
            Await.until("the snapshot completes", Duration.ofSeconds(60), () -> proposalId.equals(status().path("lastSnapshot").path("proposalId").asText()));
            final JsonNode done = status();
            assertThat(done.path("openProposal").isNull()).isTrue();
            assertThat(done.path("factsPruned").asLong()).isEqualTo(301);
            final long prunedBytes = done.path("bytesReclaimed").asLong();
            LOG.info("Snapshot {} completed in {} ms; {} facts ({} bytes) pruned", proposalId,
                    done.path("lastSnapshot").path("proposalToCompletionMillis").asLong(), done.path("factsPruned").asLong(), prunedBytes);

            // The fenced facts arrive after completion, in order, none lost.
            Await.until("the held facts reach the journal", Duration.ofSeconds(60),
                    () -> journalKeys(partition).contains(JournalKey.of(A, Facts.idHex(fenced.get(9)))));
            final List<String> keys = journalKeys(partition);
            final List<Integer> positions = new ArrayList<>();
            for (final FactEnvelope f : fenced) {
                positions.add(keys.indexOf(JournalKey.of(A, Facts.idHex(f))));
            }
            assertThat(positions).doesNotContain(-1).isSorted();
            final ReducerService reducer = spine.reducer(0);
            Await.until("the reducer folded the held facts", Duration.ofSeconds(60),
                    () -> reducerState(reducer).path("state").path("journalEntryCount").asLong() == 310);

            // Compaction reclaims the pruned prefix.
            final ConfigResource journal = new ConfigResource(ConfigResource.Type.TOPIC, FactFleetTopics.JOURNAL.name());
            KAFKA.admin().incrementalAlterConfigs(Map.of(journal, List.of(
                    new AlterConfigOp(new ConfigEntry("segment.ms", "300"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("delete.retention.ms", "0"), AlterConfigOp.OpType.SET)))).all().get();
            // Each poll appends a fact: once segment.ms has passed one of them rolls the segment, and the cleaner compacts it.
            Await.until("compaction reclaims the pruned facts", Duration.ofSeconds(60), () -> {
                spine.publish(FLEET.device(4).journalEntry(0, ("tick-" + System.nanoTime()).getBytes(), new byte[] {1}));
                return partitionBytes(journalPartition) < bytesBefore - prunedBytes / 2;
            });
            final long bytesAfter = partitionBytes(journalPartition);
            LOG.info("Journal partition {}: {} bytes before GC, {} after compaction; pruned facts were {} bytes (reclaimed fraction {})",
                    journalPartition, bytesBefore, bytesAfter, prunedBytes, (double) (bytesBefore - bytesAfter) / prunedBytes);
            assertThat(journalKeys(partition)).doesNotContain(JournalKey.of(A, Facts.idHex(FLEET.genesisFact(OPERATOR))));

            // A fresh reducer restores from snapshot + tail and reports the digest of one that saw everything.
            final ReducerService fresh = spine.startFreshReducer("fresh-reducer", dir.resolve("fresh-reducer"), OPERATOR);
            Await.until("the fresh reducer has the same digest", Duration.ofSeconds(90), () -> {
                final JsonNode freshState = reducerState(fresh);
                final JsonNode fullState = reducerState(reducer);
                return freshState != null && fullState != null && freshState.path("digest").asText().equals(fullState.path("digest").asText());
            });
            assertThat(reducerState(fresh).path("state").path("lastSnapshot").path("proposalId").asText()).isEqualTo(proposalId);

            // Devices after garbage collection. One that kept every fact compacts to the snapshot (verified against its own
            // roster) and is in sync again; one that starts empty verifies the snapshot against the operator key and hydrates.
            final String serverDigest = reducerState(reducer).path("digest").asText();
            final DeviceAgent.SyncReport kept = agents.get(0).sync();
            assertThat(kept.inSync()).as(kept.toString()).isTrue();
            assertThat(agents.get(0).replica().snapshotProposalId()).contains(proposalId);
            assertThat(Hashing.hex(agents.get(0).replica().digest())).isEqualTo(serverDigest);
            try (DeviceAgent empty = DeviceAgent.open(A, FLEET.deviceIds().get(3), FLEET.deviceKeys().get(3), dir.resolve("device-3-new"),
                    bridge.uri(), new io.factfleet.device.Backoff(Duration.ofMillis(50), Duration.ofSeconds(1)), System::currentTimeMillis)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(empty::sync).hasMessageContaining("SNAPSHOT_UNTRUSTED");
                empty.trustOperatorKeys(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()));
                final DeviceAgent.SyncReport restored = empty.sync();
                assertThat(restored.inSync()).as(restored.toString()).isTrue();
                assertThat(empty.replica().snapshotProposalId()).contains(proposalId);
                assertThat(Hashing.hex(empty.replica().digest())).isEqualTo(serverDigest);
            }
        } finally {
            agents.forEach(DeviceAgent::close);
        }
    }
}
