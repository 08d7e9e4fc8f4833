package io.factfleet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminReplacementFacts;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.RejectionCode;
import io.factfleet.core.RosterBatches;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.WireFormat;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.testkit.Await;
import java.net.URI;
import io.factfleet.testkit.PrometheusText;
import io.factfleet.testkit.KafkaClusterExtension;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * fact-ingest on a real broker with a real schema registry: each rejection reason is sent between
 * two good facts; the rejection appears in factfleet.facts.rejected with its reason and both good
 * facts reach the journal (read_committed, so only what exactly-once committed is seen).
 */
class IngestIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final int MAX_FACT_BYTES = 8192;
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AtomicInteger AUTHORITIES = new AtomicInteger();

    @TempDir
    static Path stateDir;
    private static SchemaRegistryService registryService;
    private static SchemaRegistryClient registry;
    private static IngestService ingest;
    private static KafkaProducer<String, byte[]> producer;
    private static SpecificAvroSerializer<FactEnvelope> serializer;

    @BeforeAll
    static void startServices() {
        for (final var topic : FactFleetTopics.all()) {
            KAFKA.createTopic(topic.name(), 3, 1, topic.configs());
        }
        final Properties registryProps = new Properties();
        registryProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        registryProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        registryService = new SchemaRegistryService(registryProps);
        registryService.start();
        final String url = "http://127.0.0.1:" + registryService.port();
        registry = new HttpSchemaRegistryClient(Map.of("schema.registry.url", url));
        serializer = new SpecificAvroSerializer<>(registry);

        final Properties props = new Properties();
        props.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("application.id", "ingest-it");
        props.put("state.dir", stateDir.toString());
        props.put("schema.registry.url", url);
        props.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        props.put(IngestConfig.MAX_FACT_BYTES, Integer.toString(MAX_FACT_BYTES));
        props.put("num.stream.threads", "1");
        props.put(IngestConfig.HTTP_PORT, "0");
        props.put(IngestConfig.HTTP_BIND_HOST, "127.0.0.1");
        ingest = new IngestService(props);
        ingest.start();
        Await.until("ingest is RUNNING", Duration.ofSeconds(60), () -> ingest.state() == KafkaStreams.State.RUNNING);

        final Map<String, Object> producerProps = new HashMap<>(KAFKA.producerProps());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, FactFleetTopics.MAX_FACT_RECORD_BYTES);
        producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stopServices() {
        if (producer != null) {
            producer.close();
        }
        if (ingest != null) {
            ingest.close();
        }
        if (registryService != null) {
            registryService.close();
        }
    }

    private static AuthorityGenesis newAuthority() {
        final AuthorityGenesis authority = AuthorityGenesis.generate("it-" + AUTHORITIES.incrementAndGet(), 3, 2);
        send(authority.authorityId(), bytes(authority.genesisFact(OPERATOR)));
        return authority;
    }

    private static byte[] bytes(final FactEnvelope fact) {
        return serializer.serialize(FactFleetTopics.INBOUND.name(), fact);
    }

    private static void send(final String key, final byte[] value) {
        try {
            producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), key, value)).get();
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static <V> List<ConsumerRecord<String, V>> readAll(final String topic, final org.apache.kafka.common.serialization.Deserializer<V> values,
                                                              final java.util.function.Predicate<ConsumerRecord<String, V>> until) {
        final Map<String, Object> props = new HashMap<>(KAFKA.consumerProps("reader-" + System.nanoTime()));
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            Await.until("records on " + topic, Duration.ofSeconds(60), () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.stream().anyMatch(until);
            });
        }
        return out;
    }

    /** Sends good, poison, good for {@code authority}; returns the rejection after checking both good facts arrived. */
    private static RejectedFact rejectedBetweenGoodFacts(final AuthorityGenesis authority, final String key, final byte[] poison,
                                                         final RejectionCode code) {
        final FactEnvelope before = authority.device(0).journalEntry(0, "before".getBytes(), new byte[] {1});
        final FactEnvelope after = authority.device(1).journalEntry(0, "after".getBytes(), new byte[] {2});
        send(authority.authorityId(), bytes(before));
        send(key, poison);
        send(authority.authorityId(), bytes(after));
        final String afterKey = JournalKey.of(authority.authorityId(), Facts.idHex(after));
        final List<ConsumerRecord<String, FactEnvelope>> journal = readAll(FactFleetTopics.JOURNAL.name(),
                new SpecificAvroDeserializer<>(registry, FactEnvelope.class), r -> r.key().equals(afterKey));
        assertThat(journal).extracting(ConsumerRecord::key).contains(JournalKey.of(authority.authorityId(), Facts.idHex(before)), afterKey);
        final List<ConsumerRecord<String, RejectedFact>> rejected = readAll(FactFleetTopics.REJECTED.name(),
                new SpecificAvroDeserializer<>(registry, RejectedFact.class),
                r -> Arrays.equals(Canonical.array(r.value().getOriginalBytes()), poison));
        final RejectedFact rejection = rejected.stream().map(ConsumerRecord::value)
                .filter(r -> Arrays.equals(Canonical.array(r.getOriginalBytes()), poison)).findFirst().orElseThrow();
        assertThat(rejection.getReasonCode()).isEqualTo(code.name());
        assertThat(rejection.getMessage()).isNotBlank();
        return rejection;
    }

    @Test
    void metricsArePrometheusTextWithKafkaStreamsAndIngestFamilies() {
        final AuthorityGenesis authority = newAuthority();
        rejectedBetweenGoodFacts(authority, authority.authorityId(), "not a fact".getBytes(), RejectionCode.MALFORMED_WIRE_FORMAT);
        final List<String> expected = new ArrayList<>(PrometheusText.KAFKA_STREAMS_FAMILIES);
        expected.addAll(List.of("factfleet_ingest_facts_accepted_total", "factfleet_ingest_facts_duplicate_total", "factfleet_ingest_facts_rejected_total"));
        final URI metrics = URI.create("http://127.0.0.1:" + ingest.httpPort().orElseThrow() + "/metrics");
        // Task and node metrics are registered on Micrometer's refresh, a few seconds after the assignment.
        Await.until("ingest's /metrics has every family", Duration.ofSeconds(60), () -> {
            final List<String> missing = new ArrayList<>(expected);
            missing.removeAll(PrometheusText.families(PrometheusText.scrape(metrics)));
            if (!missing.isEmpty()) {
                System.out.println("ingest's /metrics lacks " + missing);
            }
            return missing.isEmpty();
        });
        assertThat(ingest.scrapeMetrics()).contains("factfleet_ingest_facts_rejected_total{code=\"MALFORMED_WIRE_FORMAT\"} ");
    }

    @Test
    void undecodableBytesAreRejectedAndGoodFactsAroundThemArrive() {
        final AuthorityGenesis authority = newAuthority();
        final byte[] good = bytes(authority.device(0).journalEntry(0, "x".getBytes(), new byte[] {3}));
        rejectedBetweenGoodFacts(authority, authority.authorityId(), Arrays.copyOf(good, good.length - 7), RejectionCode.UNDECODABLE);
    }

    @Test
    void bytesWithoutTheWireFormatAreRejected() {
        final AuthorityGenesis authority = newAuthority();
        rejectedBetweenGoodFacts(authority, authority.authorityId(), "hello".getBytes(), RejectionCode.MALFORMED_WIRE_FORMAT);
    }

    @Test
    void anUnknownSchemaIdIsRejected() {
        final AuthorityGenesis authority = newAuthority();
        final byte[] good = bytes(authority.device(0).journalEntry(0, "y".getBytes(), new byte[] {4}));
        final byte[] unknown = WireFormat.frame(424_242, Arrays.copyOfRange(good, WireFormat.HEADER_SIZE, good.length));
        rejectedBetweenGoodFacts(authority, authority.authorityId(), unknown, RejectionCode.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void anOversizedFactIsRejected() {
        final AuthorityGenesis authority = newAuthority();
        final byte[] huge = bytes(authority.device(0).journalEntry(0, "z".getBytes(), new byte[MAX_FACT_BYTES]));
        final RejectedFact refused = rejectedBetweenGoodFacts(authority, authority.authorityId(), huge, RejectionCode.TOO_LARGE);
        assertThat(refused.getMessage()).contains(MAX_FACT_BYTES + " bytes (" + IngestConfig.MAX_FACT_BYTES + ")")
                .contains(IngestConfig.MAX_ROSTER_BATCH_BYTES_DEFAULT + " bytes (" + IngestConfig.MAX_ROSTER_BATCH_BYTES + ")");
    }

    @Test
    void aRosterBatchOfTenThousandDevicesIsAdmittedUnderItsOwnLimitAndItsDevicesSignAtTheNextEpoch() {
        final AuthorityGenesis authority = newAuthority();
        final List<RosterMember> enrol = new ArrayList<>();
        final List<Ed25519Keys.SigningKey> keys = new ArrayList<>();
        for (int i = 0; i < RosterBatches.MAX_ENTRIES; i++) {
            final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
            keys.add(key);
            enrol.add(new RosterMember(String.format("site-%05d", i), ByteBuffer.wrap(key.publicKey())));
        }
        final RosterBatchChange change = new RosterBatchChange(authority.authorityId(), 0L, enrol, List.of(), null);
        final FactEnvelope batch = authority.admin().sign(0, new RosterBatchChanged(change,
                ThresholdCertificates.of(change, authority.deviceKeys().subList(0, 2))));
        final byte[] batchBytes = bytes(batch);
        assertThat(batchBytes.length).as("far above the limit of every other kind").isGreaterThan(50 * MAX_FACT_BYTES);
        send(authority.authorityId(), batchBytes);
        // Signed at epoch 1 by the last device the batch enrolled: admitted only once ingest's roster has the batch.
        final FactEnvelope byNewDevice = new DeviceSigner(authority.authorityId(), enrol.get(enrol.size() - 1).getDeviceId(),
                keys.get(keys.size() - 1)).journalEntry(1, "joined".getBytes(), new byte[] {1});
        send(authority.authorityId(), bytes(byNewDevice));
        final String newDeviceKey = JournalKey.of(authority.authorityId(), Facts.idHex(byNewDevice));
        final List<ConsumerRecord<String, FactEnvelope>> journal = readAll(FactFleetTopics.JOURNAL.name(),
                new SpecificAvroDeserializer<>(registry, FactEnvelope.class), r -> r.key().equals(newDeviceKey));
        assertThat(journal).filteredOn(r -> r.key().equals(JournalKey.of(authority.authorityId(), Facts.idHex(batch)))).singleElement()
                .satisfies(r -> assertThat(((RosterBatchChanged) r.value().getBody().getPayload()).getStatement().getEnrol()).hasSize(10_000));
    }

    @Test
    void aFactForAnUnknownAuthorityIsRejected() {
        final AuthorityGenesis authority = newAuthority();
        final AuthorityGenesis ghost = AuthorityGenesis.generate("ghost-" + AUTHORITIES.incrementAndGet(), 1, 1);
        rejectedBetweenGoodFacts(authority, ghost.authorityId(), bytes(ghost.device(0).journalEntry(0, new byte[] {1}, new byte[] {1})),
                RejectionCode.UNKNOWN_AUTHORITY);
    }

    @Test
    void aSignerNotOnTheRosterAtTheFactsEpochIsRejected() {
        final AuthorityGenesis authority = newAuthority();
        final FactEnvelope intruder = new DeviceSigner(authority.authorityId(), "intruder", Ed25519Keys.generate())
                .journalEntry(0, new byte[] {1}, new byte[] {1});
        rejectedBetweenGoodFacts(authority, authority.authorityId(), bytes(intruder), RejectionCode.SIGNER_NOT_ROSTERED);
    }

    @Test
    void aBadSignatureIsRejected() {
        final AuthorityGenesis authority = newAuthority();
        final FactEnvelope forged = authority.device(2).journalEntry(0, "f".getBytes(), new byte[] {1});
        final byte[] signature = Canonical.array(forged.getSignature());
        signature[63] ^= 0x01;
        forged.setSignature(ByteBuffer.wrap(signature));
        rejectedBetweenGoodFacts(authority, authority.authorityId(), bytes(forged), RejectionCode.BAD_SIGNATURE);
    }

    @Test
    void aFactSignedByARetiredAdminAtTheActivationEpochIsRejected() {
        final AuthorityGenesis authority = newAuthority();
        send(authority.authorityId(), bytes(AdminReplacementFacts.replace(authority, 0, Ed25519Keys.generate(), 1)));
        final FactEnvelope byRetired = authority.admin().cacheInvalidated(1, List.of("k"), 2);
        final FactEnvelope before = authority.device(0).journalEntry(1, "b".getBytes(), new byte[] {1});
        final FactEnvelope after = authority.device(1).journalEntry(1, "a".getBytes(), new byte[] {1});
        send(authority.authorityId(), bytes(before));
        send(authority.authorityId(), bytes(byRetired));
        send(authority.authorityId(), bytes(after));
        final String afterKey = JournalKey.of(authority.authorityId(), Facts.idHex(after));
        assertThat(readAll(FactFleetTopics.JOURNAL.name(), new SpecificAvroDeserializer<>(registry, FactEnvelope.class),
                r -> r.key().equals(afterKey))).extracting(ConsumerRecord::key)
                .contains(JournalKey.of(authority.authorityId(), Facts.idHex(before)));
        final String retiredId = Facts.idHex(byRetired);
        assertThat(readAll(FactFleetTopics.REJECTED.name(), new SpecificAvroDeserializer<>(registry, RejectedFact.class),
                r -> retiredId.equals(r.value().getFactId())))
                .filteredOn(r -> retiredId.equals(r.value().getFactId()))
                .singleElement().satisfies(r -> assertThat(r.value().getReasonCode()).isEqualTo(RejectionCode.RETIRED_ADMIN.name()));
    }

    @Test
    void aDuplicateFactIsANoOp() {
        final AuthorityGenesis authority = newAuthority();
        final FactEnvelope fact = authority.device(0).journalEntry(0, "dup".getBytes(), new byte[] {1});
        final long duplicatesBefore = ingest.counters().duplicateCount();
        send(authority.authorityId(), bytes(fact));
        send(authority.authorityId(), bytes(fact));
        final FactEnvelope marker = authority.device(1).journalEntry(0, "marker".getBytes(), new byte[] {1});
        send(authority.authorityId(), bytes(marker));
        final String markerKey = JournalKey.of(authority.authorityId(), Facts.idHex(marker));
        final List<ConsumerRecord<String, FactEnvelope>> journal = readAll(FactFleetTopics.JOURNAL.name(),
                new SpecificAvroDeserializer<>(registry, FactEnvelope.class), r -> r.key().equals(markerKey));
        assertThat(journal).filteredOn(r -> r.key().equals(JournalKey.of(authority.authorityId(), Facts.idHex(fact)))).hasSize(1);
        assertThat(ingest.counters().duplicateCount()).isGreaterThan(duplicatesBefore);
    }
}
