package io.factfleet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminReplacementFacts;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Facts;
import io.factfleet.core.RejectionCode;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.WireFormat;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.ingest.RejectedFact;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One behaviour per test: each rejection reason, sent between good facts that must still arrive. */
class IngestTopologyTest {
    private static final int MAX_FACT_BYTES = 4096;

    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
    private final AuthorityGenesis fleet = AuthorityGenesis.generate("fleet-a", 3, 2);
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(registry);
    private final IngestCounters counters = new IngestCounters();
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> inbound;
    private TestOutputTopic<String, byte[]> journal;
    private TestOutputTopic<String, RejectedFact> rejected;
    private int sequence;

    @BeforeEach
    void start() {
        start(FactSizeLimits.of(MAX_FACT_BYTES));
    }

    private void start(final FactSizeLimits limits) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        final FactAdmission admission = new FactAdmission(Map.of(operator.keyId(), operator.publicKey()), SignatureVerifier.bouncyCastle());
        driver = new TopologyTestDriver(IngestTopology.build(registry, admission, limits, counters, IngestConfig.MAX_FENCE_MILLIS_DEFAULT), props);
        inbound = driver.createInputTopic(FactFleetTopics.INBOUND.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        journal = driver.createOutputTopic(FactFleetTopics.JOURNAL.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        rejected = driver.createOutputTopic(FactFleetTopics.REJECTED.name(), Serdes.String().deserializer(),
                FactFleetTopics.REJECTED.valueSerde(registry).deserializer());
        send(fleet.genesisFact(operator));
        assertThat(journal.readKeyValuesToList()).hasSize(1);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private byte[] bytes(final FactEnvelope fact) {
        return serializer.serialize(FactFleetTopics.INBOUND.name(), fact);
    }

    private void send(final FactEnvelope fact) {
        inbound.pipeInput(fact.getBody().getAuthorityId(), bytes(fact));
    }

    private FactEnvelope good() {
        return fleet.device(0).journalEntry(0, ("k" + sequence++).getBytes(), new byte[] {1});
    }

    /** Sends good, poison, good; the poison is rejected with {@code code}, both good facts reach the journal. */
    private RejectedFact assertRejectedBetweenGoodFacts(final String key, final byte[] poison, final RejectionCode code) {
        final FactEnvelope before = good();
        final FactEnvelope after = good();
        send(before);
        inbound.pipeInput(key, poison);
        send(after);
        final List<KeyValue<String, byte[]>> admitted = journal.readKeyValuesToList();
        assertThat(admitted).extracting(kv -> kv.key)
                .containsExactly(JournalKey.of("fleet-a", Facts.idHex(before)), JournalKey.of("fleet-a", Facts.idHex(after)));
        final List<RejectedFact> refused = rejected.readValuesToList();
        assertThat(refused).singleElement().satisfies(r -> {
            assertThat(r.getReasonCode()).isEqualTo(code.name());
            assertThat(r.getMessage()).isNotBlank();
            assertThat(Canonical.array(r.getOriginalBytes())).isEqualTo(poison);
            assertThat(r.getSourceTopic()).isEqualTo(FactFleetTopics.INBOUND.name());
        });
        assertThat(counters.rejectedCount(code)).isEqualTo(1);
        return refused.get(0);
    }

    @Test
    void admittedFactsReachTheJournalKeyedByAuthorityAndFactIdWithTheirOriginalBytes() {
        final FactEnvelope fact = good();
        send(fact);
        final KeyValue<String, byte[]> record = journal.readKeyValue();
        assertThat(record.key).isEqualTo(JournalKey.of("fleet-a", Facts.idHex(fact)));
        assertThat(record.value).isEqualTo(bytes(fact));
        assertThat(rejected.isEmpty()).isTrue();
    }

    @Test
    void aDuplicateFactIsANoOpNotAnError() {
        final FactEnvelope fact = good();
        send(fact);
        send(fact);
        assertThat(journal.readKeyValuesToList()).hasSize(1);
        assertThat(rejected.isEmpty()).isTrue();
        assertThat(counters.duplicateCount()).isEqualTo(1);
    }

    @Test
    void bytesThatAreNotTheWireFormatAreRejected() {
        assertRejectedBetweenGoodFacts("fleet-a", "{\"not\":\"avro\"}".getBytes(), RejectionCode.MALFORMED_WIRE_FORMAT);
    }

    @Test
    void undecodableAvroIsRejected() {
        final byte[] good = bytes(good());
        final byte[] truncated = Arrays.copyOf(good, good.length / 2);
        assertRejectedBetweenGoodFacts("fleet-a", truncated, RejectionCode.UNDECODABLE);
    }

    @Test
    void anUnknownSchemaIdIsRejected() {
        final byte[] good = bytes(good());
        final byte[] unknown = WireFormat.frame(987_654, Arrays.copyOfRange(good, WireFormat.HEADER_SIZE, good.length));
        final RejectedFact refused = assertRejectedBetweenGoodFacts("fleet-a", unknown, RejectionCode.UNKNOWN_SCHEMA_ID);
        assertThat(refused.getMessage()).contains("987654");
    }

    @Test
    void anOversizedFactIsRejectedNamingBothLimits() {
        final FactEnvelope huge = fleet.device(0).journalEntry(0, "big".getBytes(), new byte[MAX_FACT_BYTES]);
        final RejectedFact refused = assertRejectedBetweenGoodFacts("fleet-a", bytes(huge), RejectionCode.TOO_LARGE);
        assertThat(refused.getMessage()).contains(Integer.toString(MAX_FACT_BYTES)).contains(IngestConfig.MAX_FACT_BYTES)
                .contains(IngestConfig.MAX_ROSTER_BATCH_BYTES).contains("put large content in a blob");
        assertThat(refused.getFactId()).isEqualTo(Facts.idHex(huge));
    }

    private FactEnvelope rosterBatch(final int devices) {
        final List<RosterMember> enrol = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            enrol.add(new RosterMember("new-" + i, ByteBuffer.wrap(Ed25519Keys.generate().publicKey())));
        }
        final RosterBatchChange change = new RosterBatchChange(fleet.authorityId(), 0L, enrol, List.of(), null);
        return fleet.admin().sign(0, new RosterBatchChanged(change, ThresholdCertificates.of(change, fleet.deviceKeys().subList(0, 2))));
    }

    @Test
    void aRosterBatchLargerThanOtherFactsMayBeIsAdmittedUnderItsOwnLimit() {
        final FactEnvelope batch = rosterBatch(200);
        assertThat(bytes(batch).length).isGreaterThan(MAX_FACT_BYTES);
        send(batch);
        assertThat(journal.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(JournalKey.of("fleet-a", Facts.idHex(batch)));
        assertThat(rejected.isEmpty()).isTrue();
    }

    @Test
    void aRosterBatchOverItsOwnLimitIsRefusedNamingBothLimits() {
        driver.close();
        start(new FactSizeLimits(MAX_FACT_BYTES, 3 * MAX_FACT_BYTES));
        final FactEnvelope batch = rosterBatch(400);
        final RejectedFact refused = assertRejectedBetweenGoodFacts("fleet-a", bytes(batch), RejectionCode.TOO_LARGE);
        assertThat(refused.getMessage()).contains(MAX_FACT_BYTES + " bytes (" + IngestConfig.MAX_FACT_BYTES + ")")
                .contains(3 * MAX_FACT_BYTES + " bytes (" + IngestConfig.MAX_ROSTER_BATCH_BYTES + ")").contains("split a roster batch");
    }

    @Test
    void aFactForAnUnknownAuthorityIsRejected() {
        final AuthorityGenesis stranger = AuthorityGenesis.generate("never-created", 1, 1);
        final FactEnvelope fact = stranger.device(0).journalEntry(0, new byte[] {1}, new byte[] {2});
        assertRejectedBetweenGoodFacts("never-created", bytes(fact), RejectionCode.UNKNOWN_AUTHORITY);
    }

    @Test
    void aSignerNotOnTheRosterAtTheFactsEpochIsRejected() {
        final FactEnvelope fact = new DeviceSigner("fleet-a", "intruder", Ed25519Keys.generate()).journalEntry(0, new byte[] {1}, new byte[] {2});
        assertRejectedBetweenGoodFacts("fleet-a", bytes(fact), RejectionCode.SIGNER_NOT_ROSTERED);
    }

    @Test
    void aBadSignatureIsRejected() {
        final FactEnvelope fact = good();
        final byte[] signature = Canonical.array(fact.getSignature());
        signature[10] ^= 0x40;
        fact.setSignature(ByteBuffer.wrap(signature));
        assertRejectedBetweenGoodFacts("fleet-a", bytes(fact), RejectionCode.BAD_SIGNATURE);
    }

    @Test
    void aFactSignedByARetiredAdminAtTheActivationEpochIsRejected() {
        final Ed25519Keys.SigningKey newAdmin = Ed25519Keys.generate();
        send(AdminReplacementFacts.replace(fleet, 0, newAdmin, 1));
        journal.readKeyValuesToList();
        final FactEnvelope byRetired = fleet.admin().cacheInvalidated(1, List.of("cache"), 1);
        final FactEnvelope before = fleet.device(0).journalEntry(1, "x".getBytes(), new byte[] {1});
        send(before);
        inbound.pipeInput("fleet-a", bytes(byRetired));
        assertThat(journal.readKeyValuesToList()).hasSize(1);
        assertThat(rejected.readValuesToList()).singleElement()
                .satisfies(r -> assertThat(r.getReasonCode()).isEqualTo(RejectionCode.RETIRED_ADMIN.name()));
    }

    @Test
    void aRecordKeyedByAnotherAuthorityIsRejected() {
        assertRejectedBetweenGoodFacts("fleet-b", bytes(good()), RejectionCode.KEY_MISMATCH);
    }

    @Test
    void anEmptyRecordIsRejected() {
        assertRejectedBetweenGoodFacts("fleet-a", new byte[0], RejectionCode.MALFORMED_WIRE_FORMAT);
    }
}
