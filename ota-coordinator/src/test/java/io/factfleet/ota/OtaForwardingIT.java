package io.factfleet.ota;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.TestOperators;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Two coordinator instances share the journal's partitions; either answers for any authority by forwarding to its owner. */
class OtaForwardingIT {
    private static final int PARTITIONS = 3;

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;
    private TestOperators operators;

    @Test
    void eitherInstanceAnswersForEveryAuthority() throws Exception {
        for (final var topic : FactFleetTopics.all()) {
            KAFKA.createTopic(topic.name(), PARTITIONS, 1, topic.configs());
        }
        // Operator auth on: a forwarded request carries the caller's signature and the owning instance checks it again,
        // so a 200 from the instance that does not own the authority shows the Authorization travelled with it.
        operators = TestOperators.create(dir.resolve("operators"));
        final Properties registryProps = operators.serviceProps();
        registryProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        try (SchemaRegistryService registry = new SchemaRegistryService(registryProps)) {
            registry.start();
            final String registryUrl = "http://127.0.0.1:" + registry.port();
            // Two authorities on every partition, so that each instance owns some and must forward the others.
            final List<AuthorityGenesis> authorities = new ArrayList<>();
            final int[] perPartition = new int[PARTITIONS];
            for (int i = 0; authorities.size() < 2 * PARTITIONS; i++) {
                final String id = "fwd-" + i;
                final int p = AuthorityPartitioner.partition(id, PARTITIONS);
                if (perPartition[p] < 2) {
                    perPartition[p]++;
                    authorities.add(AuthorityGenesis.generate(id, 3, 2));
                }
            }
            final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
            final SpecificAvroSerializer<FactEnvelope> serializer =
                    new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
            final Map<String, Object> producerProps = new HashMap<>(KAFKA.producerProps());
            producerProps.put("partitioner.class", AuthorityPartitioner.class.getName());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
                // Written as ingest writes the journal (the coordinator reads only the journal).
                for (final AuthorityGenesis a : authorities) {
                    final FactEnvelope genesis = a.genesisFact(operator);
                    producer.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), JournalKey.of(a.authorityId(), Facts.idHex(genesis)),
                            serializer.serialize(FactFleetTopics.JOURNAL.name(), genesis))).get();
                }
            }
            try (OtaCoordinatorService first = instance(registryUrl, "a"); OtaCoordinatorService second = instance(registryUrl, "b")) {
                Await.until("both instances RUNNING with the partitions shared", Duration.ofSeconds(90),
                        () -> first.streamsState() == KafkaStreams.State.RUNNING && second.streamsState() == KafkaStreams.State.RUNNING);
                for (final AuthorityGenesis a : authorities) {
                    for (final OtaCoordinatorService instance : List.of(first, second)) {
                        Await.until(a.authorityId() + " answered by the instance on port " + instance.port(), Duration.ofSeconds(60),
                                () -> get(instance, "/authorities/" + a.authorityId() + "/upgrades").statusCode() == 200);
                        assertThat(get(instance, "/authorities/" + a.authorityId() + "/upgrades").body()).isEqualTo("[]");
                    }
                }
                assertThat(get(first, "/authorities/no-such-authority/upgrades").statusCode()).isEqualTo(404);
            }
        }
    }

    private OtaCoordinatorService instance(final String registryUrl, final String name) {
        final Properties p = operators.serviceProps();
        p.put("bootstrap.servers", KAFKA.bootstrapServers());
        p.put("state.dir", dir.resolve("ota-" + name).toString());
        p.put("schema.registry.url", registryUrl);
        p.put("num.standby.replicas", "0");
        p.put(OtaConfig.HTTP_PORT_CONFIG, "0");
        p.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        return new OtaCoordinatorService(OtaConfig.of(p)).start(); // no key ring: it watches, which is all this test needs
    }

    private static HttpResponse<String> get(final OtaCoordinatorService instance, final String path) throws Exception {
        return HTTP.send(TestOperators.get(URI.create("http://127.0.0.1:" + instance.port() + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
