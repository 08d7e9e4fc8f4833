package io.factfleet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Facts;
import io.factfleet.core.RejectionCode;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.EpochAdvance;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.ingest.RejectedFact;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The snapshot writer fence on ingest's write path: what it holds, what gets through, and release in order. */
class WriterFenceTopologyTest {
    private static final long MAX_FENCE_MS = 60_000;
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
    private final AuthorityGenesis fleet = AuthorityGenesis.generate("fleet-a", 3, 2);
    private final AuthorityGenesis other = AuthorityGenesis.generate("fleet-b", 3, 2);
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(registry);
    private final IngestCounters counters = new IngestCounters();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> inbound;
    private TestOutputTopic<String, byte[]> journal;
    private TestOutputTopic<String, RejectedFact> rejected;
    private int sequence;
    private long journalFacts;

    @BeforeEach
    void start() {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fence-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        final FactAdmission admission = new FactAdmission(Map.of(operator.keyId(), operator.publicKey()), SignatureVerifier.bouncyCastle());
        driver = new TopologyTestDriver(IngestTopology.build(registry, admission, 4096, counters, MAX_FENCE_MS), props);
        inbound = driver.createInputTopic(FactFleetTopics.INBOUND.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        journal = driver.createOutputTopic(FactFleetTopics.JOURNAL.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        rejected = driver.createOutputTopic(FactFleetTopics.REJECTED.name(), Serdes.String().deserializer(),
                FactFleetTopics.REJECTED.valueSerde(registry).deserializer());
        send(fleet.genesisFact(operator));
        send(other.genesisFact(operator));
        for (int i = 0; i < 4; i++) {
            send(entry(fleet));
        }
        journalFacts = 5;
        assertThat(journal.readKeyValuesToList()).hasSize(6);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void send(final FactEnvelope fact) {
        inbound.pipeInput(fact.getBody().getAuthorityId(), serializer.serialize(FactFleetTopics.INBOUND.name(), fact));
    }

    private FactEnvelope entry(final AuthorityGenesis authority) {
        return authority.device(0).journalEntry(0, ("k" + sequence++).getBytes(), new byte[] {1});
    }

    private FactEnvelope proposal(final String id, final long prefixFacts) {
        return fleet.admin().sign(0, new SnapshotProposed(id, "operator", 0L, ByteBuffer.wrap(new byte[32]), prefixFacts));
    }

    private FactEnvelope abort(final String id) {
        return fleet.admin().sign(0, new SnapshotAborted(id, "TIMEOUT"));
    }

    private static String key(final FactEnvelope f) {
        return JournalKey.of(f.getBody().getAuthorityId(), Facts.idHex(f));
    }

    private List<String> journalKeys() {
        final List<String> keys = new ArrayList<>();
        journal.readKeyValuesToList().forEach(kv -> keys.add(kv.key));
        return keys;
    }

    @Test
    void factsPostedDuringTheFenceAreHeldAndReleasedInOrderWhenTheProposalEnds() {
        final FactEnvelope p = proposal("p1", journalFacts);
        send(p);
        final List<FactEnvelope> during = List.of(entry(fleet), entry(fleet), entry(fleet));
        during.forEach(this::send);
        final FactEnvelope approval = fleet.device(1).approveSnapshot(0, "p1", 0, new byte[32]);
        send(approval);
        assertThat(journalKeys()).as("the fence holds new facts; the proposal's own facts get through")
                .containsExactly(key(p), key(approval));
        assertThat(counters.heldCount()).isEqualTo(3);

        final FactEnvelope end = abort("p1");
        send(end);
        assertThat(journalKeys()).containsExactly(key(end), key(during.get(0)), key(during.get(1)), key(during.get(2)));
        assertThat(counters.releasedCount()).isEqualTo(3);
        final FactEnvelope after = entry(fleet);
        send(after);
        assertThat(journalKeys()).as("the fence is lifted").containsExactly(key(after));
    }

    @Test
    void otherAuthoritiesAreNotHeld() {
        send(proposal("p1", journalFacts));
        journal.readKeyValuesToList();
        final FactEnvelope b = entry(other);
        send(b);
        assertThat(journalKeys()).containsExactly(key(b));
    }

    @Test
    void aCompetingProposalIsRefusedWhileOneIsOpen() {
        send(proposal("p1", journalFacts));
        send(proposal("p2", journalFacts + 1));
        assertThat(rejected.readValuesToList()).singleElement().satisfies(r -> {
            assertThat(r.getReasonCode()).isEqualTo(RejectionCode.PROPOSAL_OPEN.name());
            assertThat(r.getMessage()).contains("p1");
        });
    }

    @Test
    void aProposalWithAStalePrefixIsRefusedAndAPendingFenceLetsTheRecomputedOneMatch() {
        final FactEnvelope stale = proposal("p1", journalFacts - 1);
        send(stale);
        assertThat(rejected.readValuesToList()).singleElement().satisfies(r -> {
            assertThat(r.getReasonCode()).isEqualTo(RejectionCode.STALE_PREFIX.name());
            assertThat(r.getMessage()).contains("holds " + journalFacts);
        });
        final FactEnvelope meanwhile = entry(fleet);
        send(meanwhile);
        assertThat(journalKeys()).as("a pending fence holds new facts").isEmpty();
        final FactEnvelope recomputed = proposal("p2", journalFacts);
        send(recomputed);
        assertThat(journalKeys()).containsExactly(key(recomputed));
        final FactEnvelope end = abort("p2");
        send(end);
        assertThat(journalKeys()).containsExactly(key(end), key(meanwhile));
    }

    @Test
    void aRosterChangeGetsThroughTheFence() {
        send(proposal("p1", journalFacts));
        journal.readKeyValuesToList();
        final EpochAdvance statement = new EpochAdvance("fleet-a", 0L, "suspected compromise");
        final FactEnvelope advance = fleet.admin().sign(0, new EpochAdvanced(statement,
                ThresholdCertificates.of(statement, fleet.deviceKeys().subList(0, 2))));
        send(advance);
        assertThat(journalKeys()).containsExactly(key(advance));
    }

    @Test
    void ingestLiftsAFenceNobodyEndsAfterItsLimit() {
        send(proposal("p1", journalFacts));
        journal.readKeyValuesToList();
        final FactEnvelope held = entry(fleet);
        send(held);
        assertThat(journalKeys()).isEmpty();
        driver.advanceWallClockTime(Duration.ofMillis(MAX_FENCE_MS + 2_000));
        assertThat(journalKeys()).containsExactly(key(held));
        assertThat(counters.fencesExpiredCount()).isEqualTo(1);
    }

    @Test
    void aDuplicateOfAHeldFactIsReleasedOnce() {
        send(proposal("p1", journalFacts));
        journal.readKeyValuesToList();
        final FactEnvelope held = entry(fleet);
        send(held);
        send(held);
        send(abort("p1"));
        final List<String> keys = journalKeys();
        assertThat(keys).filteredOn(k -> k.equals(key(held))).hasSize(1);
    }
}
