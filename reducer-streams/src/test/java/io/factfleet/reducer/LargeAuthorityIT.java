package io.factfleet.reducer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An authority whose reduced state outgrows Kafka's default 1 MiB record limit (800 devices that
 * each report a long list of installed packages) is folded to the core's digest by a real reducer,
 * and the stream thread survives the authority's next fact. (A state kept as one record made the
 * changelog send fail here; the reducer now keeps it as keyed entries, and the services that still
 * keep one record take records up to 16 MiB.)
 */
class LargeAuthorityIT {
    private static final int DEVICES = 800;
    private static final int PACKAGES = 64;

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    @TempDir
    static Path stateDir;

    private static SchemaRegistryService registry;
    private static ReducerService reducer;
    private static io.factfleet.testkit.TestOperators operators;

    @BeforeAll
    static void start() {
        KAFKA.createTopic(FactFleetTopics.JOURNAL.name(), 2, 1, FactFleetTopics.JOURNAL.configs());
        KAFKA.createTopic(FactFleetTopics.REJECTED.name(), 2, 1, FactFleetTopics.REJECTED.configs());
        KAFKA.createTopic(FactFleetTopics.SNAPSHOTS.name(), 1, 1, FactFleetTopics.SNAPSHOTS.configs());
        KAFKA.createTopic(FactFleetTopics.SNAPSHOT_BLOBS.name(), 1, 1, FactFleetTopics.SNAPSHOT_BLOBS.configs());
        operators = io.factfleet.testkit.TestOperators.create(stateDir.resolve("operators"));
        final Properties registryProps = operators.serviceProps();
        registryProps.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.setProperty("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        final Properties p = operators.serviceProps();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "reducer-large-it");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("reducer").toString());
        p.put(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        p.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        p.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "localhost");
        reducer = new ReducerService(ReducerConfig.of(p)).start();
        Await.until("the reducer running", Duration.ofSeconds(60), () -> reducer.streamsState() == KafkaStreams.State.RUNNING);
    }

    @AfterAll
    static void stop() {
        if (reducer != null) {
            reducer.stop();
        }
        if (registry != null) {
            registry.stop();
        }
    }

    @Test
    void aStateLargerThanOneMebibyteIsFoldedAndServedWithTheCoresDigest() throws Exception {
        final AuthorityGenesis site = AuthorityGenesis.generate("large-site", DEVICES, 3);
        final List<FactEnvelope> facts = new ArrayList<>();
        facts.add(site.genesisFact(Ed25519Keys.generate()));
        final List<InstalledPackage> installed = new ArrayList<>();
        for (int i = 0; i < PACKAGES; i++) {
            installed.add(new InstalledPackage("vendor.component.package-" + i, 1_000L + i));
        }
        for (int i = 0; i < DEVICES; i++) {
            facts.add(site.device(i).deviceMetadata(0, installed, "auto"));
        }
        // The last metadata fact is what pushes the state past 1 MiB; the one after it must still be folded.
        facts.add(site.device(0).journalEntry(0, "after".getBytes(), "1".getBytes()));
        final String expectedDigest = StateDigest.hex(Reducer.standard().reduce(site.authorityId(), facts));
        assertThat(Canonical.bytes(Reducer.standard().reduce(site.authorityId(), facts)).length).isGreaterThan(1 << 20);

        final java.util.Map<String, Object> producerProps = KAFKA.producerProps();
        producerProps.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class);
        try (KafkaProducer<String, FactEnvelope> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                FactFleetTopics.JOURNAL.valueSerde(new HttpSchemaRegistryClient(operators.registryClient(registry.url()))).serializer())) {
            for (final FactEnvelope fact : facts) {
                producer.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), site.authorityId() + "/" + Facts.idHex(fact), fact));
            }
            producer.flush();
        }

        Await.until("the reducer folded all " + facts.size() + " facts", Duration.ofMinutes(3),
                () -> reducer.metrics().snapshot().factsFolded() >= facts.size() || !reducer.streamsState().isRunningOrRebalancing());
        assertThat(reducer.streamsState()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(reducer.metrics().snapshot().processingErrors()).isZero();
        final HttpResponse<String> answer = HttpClient.newHttpClient().send(io.factfleet.testkit.TestOperators.get(
                URI.create(reducer.httpUri() + "/authorities/" + site.authorityId() + "/state")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(200);
        final JsonNode state = new ObjectMapper().readTree(answer.body());
        assertThat(state.get("state").get("factCount").asLong()).isEqualTo(facts.size());
        assertThat(state.get("digest").asText()).isEqualTo(expectedDigest);
    }
}
