package io.factfleet.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.Reducer;
import io.factfleet.core.RejectionCode;
import io.factfleet.core.StateDigest;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.EpochAdvance;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.schema.snapshot.SnapshotPointer;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.snapshot.internal.CoordinatorProcessor;
import io.factfleet.snapshot.internal.Json;
import io.factfleet.snapshot.internal.SnapshotStats;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The coordinator's decisions, one per test, with the journal and ingest played by the test. */
class CoordinatorTopologyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
    private final AuthorityGenesis fleet = AuthorityGenesis.generate("fleet-c", 5, 3);
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(registry);
    private final SpecificAvroDeserializer<FactEnvelope> deserializer = new SpecificAvroDeserializer<>(registry, FactEnvelope.class);
    private final List<FactEnvelope> journalSoFar = new ArrayList<>();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> journal;
    private TestInputTopic<String, RejectedFact> rejected;
    private TestInputTopic<String, byte[]> requests;
    private TestOutputTopic<String, byte[]> inbound;
    private TestOutputTopic<String, byte[]> journalOut;
    private TestOutputTopic<String, byte[]> pointers;

    private void start(final AdminKeyRing keys) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "coordinator-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
        props.put(SnapshotConfig.TIMEOUT_MS, Long.toString(TIMEOUT.toMillis()));
        final SnapshotConfig config = SnapshotConfig.of(props, keys);
        driver = new TopologyTestDriver(SnapshotTopology.build(registry, config, new SnapshotMetrics()), config.streamsProperties());
        journal = driver.createInputTopic(FactFleetTopics.JOURNAL.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        rejected = driver.createInputTopic(FactFleetTopics.REJECTED.name(), Serdes.String().serializer(),
                FactFleetTopics.REJECTED.valueSerde(registry).serializer());
        requests = driver.createInputTopic(FactFleetTopics.SNAPSHOT_REQUESTS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        inbound = driver.createOutputTopic(FactFleetTopics.INBOUND.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        journalOut = driver.createOutputTopic(FactFleetTopics.JOURNAL.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        pointers = driver.createOutputTopic(FactFleetTopics.SNAPSHOTS.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        admit(fleet.genesisFact(operator));
        for (int i = 0; i < 4; i++) {
            admit(fleet.device(i).journalEntry(0, ("k" + i).getBytes(), new byte[] {(byte) i}));
        }
    }

    private void start() {
        start(AdminKeyRing.of(Map.of(fleet.authorityId(), fleet.adminKey())));
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    /** Plays ingest: the fact is admitted to the journal. */
    private void admit(final FactEnvelope fact) {
        journalSoFar.add(fact);
        journal.pipeInput(JournalKey.of(fact.getBody().getAuthorityId(), Facts.idHex(fact)), serializer.serialize(FactFleetTopics.JOURNAL.name(), fact));
    }

    private List<FactEnvelope> emitted() {
        final List<FactEnvelope> facts = new ArrayList<>();
        inbound.readValuesToList().forEach(v -> facts.add(deserializer.deserialize(FactFleetTopics.INBOUND.name(), v)));
        return facts;
    }

    private FactEnvelope requestProposal() {
        requests.pipeInput(fleet.authorityId(), "{\"requestedBy\":\"test\"}".getBytes());
        final List<FactEnvelope> out = emitted();
        assertThat(out).singleElement().satisfies(f -> assertThat(f.getBody().getPayload()).isInstanceOf(SnapshotProposed.class));
        return out.get(0);
    }

    private SnapshotStats stats() {
        final byte[] bytes = driver.<String, byte[]>getKeyValueStore(SnapshotStoresSpec.STATS).get(fleet.authorityId());
        return bytes == null ? SnapshotStats.none() : Json.read(bytes, SnapshotStats.class);
    }

    @Test
    void aRequestProposesOverTheStateOfEveryFactInTheJournal() {
        start();
        final SnapshotProposed p = (SnapshotProposed) requestProposal().getBody().getPayload();
        assertThat(p.getPrefixFactCount()).isEqualTo(5);
        assertThat(Canonical.array(p.getPrefixDigest())).isEqualTo(StateDigest.of(Reducer.standard().reduce(fleet.authorityId(), journalSoFar)));
        assertThat(p.getProposer()).isEqualTo("test");
    }

    @Test
    void aStateInTheOneRecordLayoutMovesIntoEntriesOnStartAndIsProposedOver() {
        final AuthorityGenesis moved = AuthorityGenesis.generate("fleet-m", 4, 2);
        start(AdminKeyRing.of(Map.of(fleet.authorityId(), fleet.adminKey(), moved.authorityId(), moved.adminKey())));
        final List<FactEnvelope> facts = List.of(moved.genesisFact(operator), moved.device(0).journalEntry(0, "k".getBytes(), new byte[] {1}));
        final MaintenanceState old = Reducer.standard().reduce(moved.authorityId(), facts);
        final org.apache.kafka.streams.state.KeyValueStore<String, byte[]> legacy = driver.getKeyValueStore(SnapshotStoresSpec.LEGACY_STATE);
        legacy.put(moved.authorityId(), Canonical.bytes(old));

        driver.advanceWallClockTime(CoordinatorProcessor.MIGRATE_AFTER);
        assertThat(legacy.get(moved.authorityId())).isNull();
        final MaintenanceState entries = AuthorityEntries.state(driver.getKeyValueStore(SnapshotStoresSpec.ENTRIES), moved.authorityId());
        assertThat(StateDigest.of(entries)).isEqualTo(StateDigest.of(old));

        requests.pipeInput(moved.authorityId(), "{\"requestedBy\":\"test\"}".getBytes());
        final SnapshotProposed p = (SnapshotProposed) emitted().get(0).getBody().getPayload();
        assertThat(p.getPrefixFactCount()).isEqualTo(2);
        assertThat(Canonical.array(p.getPrefixDigest())).isEqualTo(StateDigest.of(old));
    }

    @Test
    void aRequestWithoutTheAuthoritysAdminKeyIsRefusedWithAReason() {
        start(AdminKeyRing.empty());
        requests.pipeInput(fleet.authorityId(), new byte[0]);
        assertThat(emitted()).isEmpty();
        assertThat(stats().lastError()).startsWith("NO_ADMIN_KEY");
    }

    @Test
    void anOpenProposalWithoutEnoughApprovalsIsAbortedAtTheTimeout() {
        start();
        final FactEnvelope proposal = requestProposal();
        admit(proposal);
        admit(fleet.device(0).approveSnapshot(0, ((SnapshotProposed) proposal.getBody().getPayload()).getProposalId(), 0,
                Canonical.array(((SnapshotProposed) proposal.getBody().getPayload()).getPrefixDigest())));
        driver.advanceWallClockTime(TIMEOUT.plusSeconds(1));
        assertThat(emitted()).singleElement().satisfies(f -> {
            assertThat(f.getBody().getPayload()).isInstanceOf(SnapshotAborted.class);
            assertThat(((SnapshotAborted) f.getBody().getPayload()).getReason()).startsWith("TIMEOUT: 1 of 3 approvals");
        });
    }

    @Test
    void anEpochAdvanceAbortsTheProposalWhichIsProposedAgainUnderTheNewEpoch() {
        start();
        final FactEnvelope proposal = requestProposal();
        admit(proposal);
        final EpochAdvance advance = new EpochAdvance(fleet.authorityId(), 0L, "rotation drill");
        admit(fleet.admin().sign(0, new EpochAdvanced(advance, ThresholdCertificates.of(advance, fleet.deviceKeys().subList(0, 3)))));
        final List<FactEnvelope> abort = emitted();
        assertThat(abort).singleElement().satisfies(f ->
                assertThat(((SnapshotAborted) f.getBody().getPayload()).getReason()).startsWith("EPOCH_ADVANCED"));
        admit(abort.get(0));
        assertThat(emitted()).singleElement().satisfies(f -> {
            final SnapshotProposed again = (SnapshotProposed) f.getBody().getPayload();
            assertThat(again.getTargetEpoch()).isEqualTo(1);
            assertThat(again.getPrefixFactCount()).isEqualTo(8);
        });
    }

    @Test
    void aProposalIngestRefusesAsStaleIsProposedAgain() {
        start();
        final FactEnvelope proposal = requestProposal();
        admit(fleet.device(4).journalEntry(0, "late".getBytes(), new byte[] {9}));
        rejected.pipeInput(fleet.authorityId(), RejectedFact.newBuilder().setAuthorityId(fleet.authorityId()).setFactId(Facts.idHex(proposal))
                .setReasonCode(RejectionCode.STALE_PREFIX.name()).setMessage("stale").setOriginalBytes(ByteBuffer.allocate(0))
                .setSourceTopic("inbound").setSourcePartition(0).setSourceOffset(0).setRejectedAtMillis(0).build());
        driver.advanceWallClockTime(Duration.ofMillis(600));
        assertThat(emitted()).singleElement().satisfies(f ->
                assertThat(((SnapshotProposed) f.getBody().getPayload()).getPrefixFactCount()).isEqualTo(6));
    }

    @Test
    void aProposalWhoseDigestIsNotTheJournalsIsAborted() {
        start();
        final FactEnvelope forged = fleet.admin().sign(0, new SnapshotProposed("forged", "mallory", 0L, ByteBuffer.wrap(new byte[32]), 5L));
        admit(forged);
        assertThat(emitted()).singleElement().satisfies(f ->
                assertThat(((SnapshotAborted) f.getBody().getPayload()).getReason()).startsWith("DIGEST_MISMATCH"));
    }

    @Test
    void threeDistinctApprovalsCompleteAndTheCompletionTombstonesThePrefix() {
        start();
        final FactEnvelope proposal = requestProposal();
        final SnapshotProposed p = (SnapshotProposed) proposal.getBody().getPayload();
        admit(proposal);
        final byte[] digest = Canonical.array(p.getPrefixDigest());
        admit(fleet.device(0).approveSnapshot(0, p.getProposalId(), 0, digest));
        admit(fleet.device(1).approveSnapshot(0, p.getProposalId(), 0, digest));
        assertThat(emitted()).isEmpty();
        admit(fleet.device(2).approveSnapshot(0, p.getProposalId(), 0, digest));
        final List<FactEnvelope> out = emitted();
        assertThat(out).singleElement().satisfies(f -> assertThat(f.getBody().getPayload()).isInstanceOf(SnapshotCompleted.class));
        final SnapshotCompleted c = (SnapshotCompleted) out.get(0).getBody().getPayload();
        assertThat(c.getCertificate().getSignatures()).hasSize(3);
        assertThat(c.getFactCount()).isEqualTo(5);
        journalOut.readKeyValuesToList();
        admit(out.get(0));
        final List<KeyValue<String, byte[]>> tombstones = journalOut.readKeyValuesToList();
        assertThat(tombstones).hasSize(5).allSatisfy(kv -> assertThat(kv.value).isNull());
        assertThat(tombstones).extracting(kv -> kv.key)
                .contains(JournalKey.of(fleet.authorityId(), Facts.idHex(journalSoFar.get(0))))
                .doesNotContain(JournalKey.of(fleet.authorityId(), Facts.idHex(proposal)));
        final SnapshotPointer pointer = Canonical.decode(pointers.readValue(), SnapshotPointer.class);
        assertThat(pointer.getBlobCid()).isEqualTo(c.getBlobCid());
        assertThat(stats().factsPruned()).isEqualTo(5);
    }
}
