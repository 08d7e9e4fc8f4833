package io.factfleet.reducer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two reducer instances of one application on a real cluster, with a real schema registry: each
 * answers for every authority, from its own store or by forwarding to the owner, and the answers are
 * the core's.
 */
class ReducerServiceIntegrationTest {
    private static final int PARTITIONS = 4;
    private static final Duration FOLD_TIMEOUT = Duration.ofSeconds(90);

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    @TempDir
    static Path stateDirs;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Map<String, AuthorityFacts> AUTHORITIES = new LinkedHashMap<>();
    private static SchemaRegistryService registry;
    private static ReducerService first;
    private static ReducerService second;

    @BeforeAll
    static void startReducersAndProduceFacts() throws Exception {
        KAFKA.createTopic(FactFleetTopics.JOURNAL.name(), PARTITIONS, 1, FactFleetTopics.JOURNAL.configs());
        final Properties registryProps = new Properties();
        registryProps.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.setProperty("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        first = new ReducerService(ReducerConfig.of(reducerProperties("first"))).start();
        second = new ReducerService(ReducerConfig.of(reducerProperties("second"))).start();
        for (final ReducerService instance : List.of(first, second)) {
            Await.until(instance.applicationServer() + " is running", FOLD_TIMEOUT, () -> get(instance, "/health").status() == 200);
        }

        // One authority per partition at least, so both instances own some.
        for (int i = 0; AUTHORITIES.size() < 6 || !coversEveryPartition(); i++) {
            final String id = "authority-" + i;
            if (AUTHORITIES.size() < PARTITIONS && partitionTaken(AuthorityPartitioner.partition(id, PARTITIONS))) {
                continue;
            }
            AUTHORITIES.put(id, AuthorityFacts.create(id));
        }

        final Map<String, Object> producerProps = KAFKA.producerProps();
        producerProps.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class);
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(KAFKA.producerProps(), new StringSerializer(), new ByteArraySerializer());
             KafkaProducer<String, FactEnvelope> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                     FactFleetTopics.JOURNAL.valueSerde(HttpSchemaRegistryClient.forUrl(registry.url())).serializer())) {
            raw.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), 0, "garbage/" + "0".repeat(64),
                    "not a fact".getBytes(StandardCharsets.UTF_8))).get();
            final Random random = new Random(42);
            for (final AuthorityFacts facts : AUTHORITIES.values()) {
                final List<FactEnvelope> arrivals = new ArrayList<>(facts.all());
                arrivals.add(facts.epochZero.get(0));
                Collections.shuffle(arrivals, random);
                for (final FactEnvelope fact : arrivals) {
                    producer.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), AuthorityFacts.key(fact), fact));
                }
            }
            producer.flush();
        }
    }

    @AfterAll
    static void stopReducers() {
        if (first != null) {
            first.stop();
        }
        if (second != null) {
            second.stop();
        }
        if (registry != null) {
            registry.stop();
        }
    }

    @Test
    void eachInstanceAnswersForAuthoritiesTheOtherOwnsWithTheCoresState() throws Exception {
        final Set<String> owners = new HashSet<>();
        Await.until("both instances serve every authority's complete state identically", FOLD_TIMEOUT, () -> {
            owners.clear();
            for (final AuthorityFacts facts : AUTHORITIES.values()) {
                final Answer fromFirst = get(first, "/authorities/" + facts.authorityId + "/state");
                final Answer fromSecond = get(second, "/authorities/" + facts.authorityId + "/state");
                if (fromFirst.status() != 200 || !fromFirst.body().equals(fromSecond.body())
                        || !fromFirst.json().get("digest").asText().equals(expectedDigest(facts))) {
                    return false;
                }
                owners.add(fromFirst.json().get("servedBy").asText());
            }
            return true;
        });

        assertThat(owners).containsExactlyInAnyOrder(first.applicationServer(), second.applicationServer());
        for (final AuthorityFacts facts : AUTHORITIES.values()) {
            final JsonNode state = get(first, "/authorities/" + facts.authorityId + "/state").json();
            assertThat(state.get("authorityId").asText()).isEqualTo(facts.authorityId);
            assertThat(state.get("state").get("authorityId").asText()).isEqualTo(facts.authorityId);
            assertThat(state.get("state").get("factCount").asLong()).isEqualTo(facts.all().size());
            assertThat(state.get("state").get("adminPublicKey").asText()).matches("[0-9a-f]{64}");
        }
        assertThat(first.metrics().snapshot().deserializationErrors() + second.metrics().snapshot().deserializationErrors()).isEqualTo(1);
    }

    @Test
    void factsArePagedInCanonicalOrderThroughEitherInstance() throws Exception {
        for (final AuthorityFacts facts : AUTHORITIES.values()) {
            awaitFolded(facts);
            final List<FactEnvelope> sorted = new ArrayList<>(facts.all());
            sorted.sort(Reducer.CANONICAL_ORDER);
            final List<String> expected = sorted.stream().map(Facts::idHex).toList();
            for (final ReducerService instance : List.of(first, second)) {
                final List<String> paged = new ArrayList<>();
                String after = "";
                do {
                    final JsonNode page = get(instance, "/authorities/" + facts.authorityId + "/facts?limit=5&after=" + after).json();
                    page.get("facts").forEach(f -> paged.add(f.get("factId").asText()));
                    assertThat(page.get("facts").size()).isLessThanOrEqualTo(5);
                    after = page.get("next").isNull() ? null : page.get("next").asText();
                } while (after != null);
                assertThat(paged).isEqualTo(expected);
            }
            final JsonNode genesis = get(second, "/authorities/" + facts.authorityId + "/facts?limit=1").json().get("facts").get(0);
            assertThat(genesis.get("kind").asText()).isEqualTo("AuthorityCreated");
            assertThat(genesis.get("identityEpoch").asLong()).isZero();
        }
    }

    @Test
    void theMerkleRootIsTheCoresRootOverTheFactIds() throws Exception {
        for (final AuthorityFacts facts : AUTHORITIES.values()) {
            awaitFolded(facts);
            final List<byte[]> ids = facts.all().stream().map(Facts::id).toList();
            for (final ReducerService instance : List.of(first, second)) {
                final JsonNode merkle = get(instance, "/authorities/" + facts.authorityId + "/merkle").json();
                assertThat(merkle.get("authorityId").asText()).isEqualTo(facts.authorityId);
                assertThat(merkle.get("factCount").asInt()).isEqualTo(ids.size());
                assertThat(merkle.get("merkleRoot").asText()).isEqualTo(Hashing.hex(MerkleRoot.of(ids)));
            }
        }
    }

    @Test
    void anUnknownAuthorityIsA404FromEitherInstance() throws Exception {
        for (final ReducerService instance : List.of(first, second)) {
            final Answer answer = awaitNot503(instance, "/authorities/nobody-here/state");
            assertThat(answer.status()).isEqualTo(404);
            assertThat(answer.json().get("code").asText()).isEqualTo("UNKNOWN_AUTHORITY");
            assertThat(get(instance, "/authorities/bad%20id/state").json().get("code").asText()).isEqualTo("BAD_REQUEST");
        }
    }

    @Test
    void aForwardedRequestThatReachesANonOwnerIsA503RatherThanAnotherHop() throws Exception {
        final AuthorityFacts facts = AUTHORITIES.values().iterator().next();
        awaitFolded(facts);
        final String owner = get(first, "/authorities/" + facts.authorityId + "/state").json().get("servedBy").asText();
        final ReducerService notOwner = owner.equals(first.applicationServer()) ? second : first;

        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        notOwner.httpUri().resolve("/authorities/" + facts.authorityId + "/state"))
                .header("X-FactFleet-Forwarded", "1").GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        final JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("code").asText()).isEqualTo("STORE_REBALANCING");
        assertThat(body.get("retryAfterSeconds").asInt()).isPositive();
    }

    @Test
    void healthIsUpOnBothInstances() throws Exception {
        for (final ReducerService instance : List.of(first, second)) {
            Await.until(instance.applicationServer() + " is healthy", FOLD_TIMEOUT, () -> get(instance, "/health").status() == 200);
            assertThat(get(instance, "/metrics").json().get("streamsState").asText()).isEqualTo("RUNNING");
        }
    }

    // ------------------------------------------------------------------------------------------

    private static Properties reducerProperties(final String name) {
        final Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "reducer-it");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDirs.resolve(name).toString());
        p.put(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        p.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        p.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "localhost");
        return p;
    }

    private static boolean coversEveryPartition() {
        final Set<Integer> partitions = new HashSet<>();
        AUTHORITIES.keySet().forEach(id -> partitions.add(AuthorityPartitioner.partition(id, PARTITIONS)));
        return partitions.size() == PARTITIONS;
    }

    private static boolean partitionTaken(final int partition) {
        return AUTHORITIES.keySet().stream().anyMatch(id -> AuthorityPartitioner.partition(id, PARTITIONS) == partition);
    }

    private static String expectedDigest(final AuthorityFacts facts) {
        return StateDigest.hex(Reducer.standard().reduce(facts.authorityId, facts.all()));
    }

    private static void awaitFolded(final AuthorityFacts facts) {
        final String digest = expectedDigest(facts);
        Await.until(facts.authorityId + " is folded", FOLD_TIMEOUT, () -> {
            final Answer answer = get(first, "/authorities/" + facts.authorityId + "/state");
            return answer.status() == 200 && answer.json().get("digest").asText().equals(digest);
        });
    }

    private static Answer awaitNot503(final ReducerService instance, final String path) {
        final Answer[] last = new Answer[1];
        Await.until(path + " answers without 503", FOLD_TIMEOUT, () -> {
            last[0] = get(instance, path);
            return last[0].status() != 503;
        });
        return last[0];
    }

    private record Answer(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private static Answer get(final ReducerService instance, final String pathAndQuery) throws IOException, InterruptedException {
        final URI uri = URI.create(instance.httpUri() + pathAndQuery);
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }
}
