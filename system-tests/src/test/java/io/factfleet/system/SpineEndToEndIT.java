package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spine, end to end, on three brokers: signed facts produced to factfleet.facts.inbound pass
 * ingest into the journal and become visible through GET /authorities/{id}/state on either of two
 * reducer instances, each answering for authorities the other owns, with the digest the core
 * computes over the same facts.
 */
class SpineEndToEndIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.brokers(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final int AUTHORITIES = 16;

    @TempDir
    static Path dataDir;
    private static SchemaRegistryService registry;
    private static IngestService ingest;
    private static final List<ReducerService> REDUCERS = new ArrayList<>();
    private static final Map<String, List<FactEnvelope>> SENT = new LinkedHashMap<>();

    @BeforeAll
    static void startTheSpine() throws Exception {
        for (final var topic : FactFleetTopics.all()) {
            KAFKA.createTopic(topic.name(), 6, 3, topic.configs());
        }
        final Properties registryProps = new Properties();
        registryProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        final String registryUrl = "http://127.0.0.1:" + registry.port();

        final Properties ingestProps = new Properties();
        ingestProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        ingestProps.put("state.dir", dataDir.resolve("ingest").toString());
        ingestProps.put("schema.registry.url", registryUrl);
        ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        ingest = new IngestService(ingestProps);
        ingest.start();

        for (int i = 0; i < 2; i++) {
            final Properties reducerProps = new Properties();
            reducerProps.put("bootstrap.servers", KAFKA.bootstrapServers());
            reducerProps.put("state.dir", dataDir.resolve("reducer-" + i).toString());
            reducerProps.put("schema.registry.url", registryUrl);
            reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
            reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
            reducerProps.put("num.stream.threads", "1");
            REDUCERS.add(new ReducerService(ReducerConfig.of(reducerProps)).start());
        }
        Await.until("ingest and both reducers are RUNNING", Duration.ofSeconds(90), () -> ingest.state() == KafkaStreams.State.RUNNING
                && REDUCERS.stream().allMatch(r -> r.streamsState() == KafkaStreams.State.RUNNING));

        final Map<String, Object> producerProps = new HashMap<>(KAFKA.producerProps());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(Map.of("schema.registry.url", registryUrl)));
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
            for (int a = 0; a < AUTHORITIES; a++) {
                final AuthorityGenesis authority = AuthorityGenesis.generate("e2e-" + a, 3, 2);
                final List<FactEnvelope> facts = new ArrayList<>();
                facts.add(authority.genesisFact(OPERATOR));
                for (int f = 0; f < 5; f++) {
                    facts.add(authority.device(f % 3).journalEntry(0, ("k" + f).getBytes(), ("v" + f).getBytes()));
                }
                facts.add(authority.device(1).cacheInvalidated(0, List.of("cache-" + a), a));
                for (final FactEnvelope fact : facts) {
                    producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), authority.authorityId(),
                            serializer.serialize(FactFleetTopics.INBOUND.name(), fact)));
                }
                SENT.put(authority.authorityId(), facts);
            }
            producer.flush();
        }
    }

    @AfterAll
    static void stopTheSpine() {
        REDUCERS.forEach(ReducerService::close);
        if (ingest != null) {
            ingest.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private static JsonNode get(final ReducerService reducer, final String path) throws Exception {
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + reducer.applicationServer() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return null;
        }
        return JSON.readTree(response.body());
    }

    private static JsonNode stateWhenComplete(final ReducerService reducer, final String authority) {
        final JsonNode[] answer = new JsonNode[1];
        Await.until(authority + " is complete at " + reducer.applicationServer(), Duration.ofSeconds(60), () -> {
            answer[0] = get(reducer, "/authorities/" + authority + "/state");
            return answer[0] != null && answer[0].path("state").path("factCount").asLong() == SENT.get(authority).size();
        });
        return answer[0];
    }

    @Test
    void aSignedFactProducedToInboundIsVisibleThroughEitherReducerWithTheCoresDigest() throws Exception {
        int forwardedAnswers = 0;
        for (final String authority : SENT.keySet()) {
            final String expectedDigest = StateDigest.hex(Reducer.standard().reduce(authority, SENT.get(authority)));
            final JsonNode fromFirst = stateWhenComplete(REDUCERS.get(0), authority);
            final JsonNode fromSecond = stateWhenComplete(REDUCERS.get(1), authority);
            assertThat(fromFirst.path("digest").asText()).isEqualTo(expectedDigest);
            assertThat(fromSecond.path("digest").asText()).isEqualTo(expectedDigest);
            assertThat(fromFirst.path("servedBy").asText()).isEqualTo(fromSecond.path("servedBy").asText());
            assertThat(fromFirst.path("state").path("journalEntryCount").asLong()).isEqualTo(5);
            forwardedAnswers++;
        }
        assertThat(forwardedAnswers).isEqualTo(AUTHORITIES);
    }

    @Test
    void eachInstanceAnswersForAuthoritiesTheOtherOwns() throws Exception {
        final Map<String, List<String>> ownedBy = new HashMap<>();
        for (final String authority : SENT.keySet()) {
            final String owner = stateWhenComplete(REDUCERS.get(0), authority).path("servedBy").asText();
            ownedBy.computeIfAbsent(owner, k -> new ArrayList<>()).add(authority);
        }
        assertThat(ownedBy.keySet()).as("both instances own some authorities")
                .containsExactlyInAnyOrder(REDUCERS.get(0).applicationServer(), REDUCERS.get(1).applicationServer());
        for (int i = 0; i < 2; i++) {
            final ReducerService asked = REDUCERS.get(i);
            final ReducerService owner = REDUCERS.get(1 - i);
            for (final String authority : ownedBy.get(owner.applicationServer())) {
                final JsonNode answer = stateWhenComplete(asked, authority);
                assertThat(answer.path("servedBy").asText()).as("%s answered by its owner", authority).isEqualTo(owner.applicationServer());
                assertThat(answer.path("digest").asText()).isEqualTo(StateDigest.hex(Reducer.standard().reduce(authority, SENT.get(authority))));
            }
        }
    }

    @Test
    void theMerkleRootOfEachAuthorityIsTheCoresRootOverTheSentFactIds() throws Exception {
        for (final String authority : SENT.keySet()) {
            stateWhenComplete(REDUCERS.get(1), authority);
            final List<byte[]> ids = new ArrayList<>();
            SENT.get(authority).forEach(f -> ids.add(Facts.id(f)));
            final JsonNode merkle = get(REDUCERS.get(1), "/authorities/" + authority + "/merkle");
            assertThat(merkle.path("merkleRoot").asText()).isEqualTo(Hashing.hex(MerkleRoot.of(ids)));
        }
    }
}
