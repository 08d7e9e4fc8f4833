package io.factfleet.reducer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.core.StateDigest;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.PrometheusText;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.config.ConfigException;
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
 * the core's. The device-protocol endpoints are asked of the instance that does NOT own the
 * authority, so every answer went through forwarding.
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
    /** The operator every request is signed by: the reducers run with operator auth on, forwarding included. */
    private static final io.factfleet.core.Ed25519Keys.SigningKey OPERATOR = io.factfleet.core.Ed25519Keys.generate();
    private static final io.factfleet.auth.OperatorCredential SIGNED = io.factfleet.auth.OperatorCredential.ed25519(OPERATOR);
    private static final Map<String, AuthorityFacts> AUTHORITIES = new LinkedHashMap<>();
    /** Per authority, its fact ids in the order they were first produced: the order of their seqs. */
    private static final Map<String, List<String>> ARRIVAL_ORDER = new LinkedHashMap<>();
    private static final byte[] PREFIX_DIGEST = Hashing.sha256("prefix".getBytes(StandardCharsets.UTF_8));
    private static final String PROPOSAL_ID = "snap-it";
    /** Authorities a test creates for itself, after the shared ones: not in the listings other tests compare. */
    private static final Set<String> LATE_AUTHORITIES = Set.of("pending-follows");
    /** The authority the device-protocol tests use: it has an open snapshot proposal and a rejected fact. */
    private static AuthorityFacts protocol;
    private static FactEnvelope rejectedFact;
    private static SchemaRegistryService registry;
    private static ReducerService first;
    private static ReducerService second;

    @BeforeAll
    static void startReducersAndProduceFacts() throws Exception {
        KAFKA.createTopic(FactFleetTopics.JOURNAL.name(), PARTITIONS, 1, FactFleetTopics.JOURNAL.configs());
        KAFKA.createTopic(FactFleetTopics.REJECTED.name(), PARTITIONS, 1, FactFleetTopics.REJECTED.configs());
        // The reducer mirrors the snapshot topics in global stores (hydration of authorities restored from a snapshot).
        KAFKA.createTopic(FactFleetTopics.SNAPSHOTS.name(), 1, 1, FactFleetTopics.SNAPSHOTS.configs());
        KAFKA.createTopic(FactFleetTopics.SNAPSHOT_BLOBS.name(), 1, 1, FactFleetTopics.SNAPSHOT_BLOBS.configs());
        final Properties registryProps = new Properties();
        registryProps.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.setProperty("listeners", "http://127.0.0.1:0");
        registryProps.setProperty("factfleet.auth.enabled", "false"); // the reducers' operator auth is what this test runs with
        registry = new SchemaRegistryService(registryProps);
        io.factfleet.auth.OperatorsFile.write(stateDirs.resolve("operators.json"), List.of(io.factfleet.auth.OperatorEntry.ed25519("it-operator",
                List.of(Hashing.hex(OPERATOR.publicKey())), Map.of("*", List.of("viewer")))));
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
        protocol = AUTHORITIES.values().iterator().next();
        protocol.rivalGenesis = null; // one roster: the genesis's, whose devices the tests ask for
        protocol.extra.add(protocol.admin.sign(0, new SnapshotProposed(PROPOSAL_ID, "admin", 0L, ByteBuffer.wrap(PREFIX_DIGEST), 3L)));
        rejectedFact = protocol.devices.get(1).journalEntry(0, "refused".getBytes(StandardCharsets.UTF_8), new byte[] {1});

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
                ARRIVAL_ORDER.put(facts.authorityId, new ArrayList<>(new LinkedHashSet<>(arrivals.stream().map(Facts::idHex).toList())));
            }
            producer.flush();
        }
        // As fact-ingest writes them: keyed by authority id, Kafka's default partitioner, the registry's serde.
        try (KafkaProducer<String, RejectedFact> rejections = new KafkaProducer<>(KAFKA.producerProps(), new StringSerializer(),
                FactFleetTopics.REJECTED.valueSerde(HttpSchemaRegistryClient.forUrl(registry.url())).serializer())) {
            rejections.send(new ProducerRecord<>(FactFleetTopics.REJECTED.name(), protocol.authorityId, RejectedFact.newBuilder()
                    .setAuthorityId(protocol.authorityId).setFactId(Facts.idHex(rejectedFact)).setReasonCode("BAD_SIGNATURE")
                    .setMessage("the signature does not verify").setOriginalBytes(ByteBuffer.wrap(Canonical.bytes(rejectedFact)))
                    .setSourceTopic(FactFleetTopics.INBOUND.name()).setSourcePartition(0).setSourceOffset(0)
                    .setRejectedAtMillis(System.currentTimeMillis()).build())).get();
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

        final URI uri = notOwner.httpUri().resolve("/authorities/" + facts.authorityId + "/state");
        final HttpResponse<String> response = HTTP.send(SIGNED.sign(HttpRequest.newBuilder(uri), "GET", uri, new byte[0])
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
            assertThat(get(instance, "/metrics.json").json().get("streamsState").asText()).isEqualTo("RUNNING");
        }
    }

    @Test
    void listingAuthoritiesFromEitherInstanceGivesEveryAuthorityOfBothInstances() throws Exception {
        for (final ReducerService instance : List.of(first, second)) {
            Await.until("GET /authorities on " + instance.applicationServer() + " lists every authority", FOLD_TIMEOUT, () -> {
                final Answer answer = get(instance, "/authorities");
                if (answer.status() != 200) {
                    return false;
                }
                final Set<String> listed = new HashSet<>();
                answer.json().get("authorities").forEach(n -> listed.add(n.asText()));
                return listed.equals(AUTHORITIES.keySet());
            });
            final JsonNode body = get(instance, "/authorities").json();
            assertThat(body.get("instances")).hasSize(2);
            assertThat(body.get("instances").get(0).asText()).as("the instance asked answers first").isEqualTo(instance.applicationServer());
        }
    }

    @Test
    void aForwardedListingNamesOnlyTheInstancesOwnAuthorities() throws Exception {
        final Set<String> union = new HashSet<>();
        int total = 0;
        for (final ReducerService instance : List.of(first, second)) {
            final URI uri = URI.create(instance.httpUri() + "/authorities");
            final HttpResponse<String> response = HTTP.send(SIGNED.sign(HttpRequest.newBuilder(uri), "GET", uri, new byte[0])
                    .header("X-FactFleet-Forwarded", "1").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            final JsonNode body = JSON.readTree(response.body());
            assertThat(body.get("instances")).hasSize(1);
            for (final JsonNode n : body.get("authorities")) {
                if (!LATE_AUTHORITIES.contains(n.asText())) {
                    union.add(n.asText());
                    total++;
                }
            }
        }
        assertThat(union).isEqualTo(AUTHORITIES.keySet());
        assertThat(total).as("each authority is owned by one instance").isEqualTo(AUTHORITIES.size());
    }

    @Test
    void metricsArePrometheusTextWithKafkaStreamsAndReducerFamilies() {
        final List<String> expected = new ArrayList<>(PrometheusText.KAFKA_STREAMS_FAMILIES);
        // Two instances and num.standby.replicas=1 (the reducer's default): each holds standby tasks.
        expected.addAll(PrometheusText.KAFKA_STREAMS_STANDBY_FAMILIES);
        expected.addAll(List.of("factfleet_reducer_facts_folded_total", "factfleet_reducer_processing_errors_total",
                "factfleet_reducer_deserialization_errors_total"));
        for (final ReducerService instance : List.of(first, second)) {
            // Task and node metrics are registered on Micrometer's refresh, a few seconds after the assignment.
            Await.until(instance.applicationServer() + "'s /metrics has every family", FOLD_TIMEOUT,
                    () -> PrometheusText.families(PrometheusText.scrape(URI.create(instance.httpUri() + "/metrics"))).containsAll(expected));
        }
    }

    // ---- device protocol, through the instance that does not own the authority -------------------

    @Test
    void syncThroughTheNonOwnerReturnsTheOtherDevicesFactsInSeqOrderAndTheRootOverAllFacts() throws Exception {
        final ReducerService notOwner = nonOwnerOf(protocol);
        final String device = protocol.devices.get(0).deviceId();
        final List<String> all = ARRIVAL_ORDER.get(protocol.authorityId);
        final Map<String, FactEnvelope> byId = new LinkedHashMap<>();
        protocol.all().forEach(f -> byId.put(Facts.idHex(f), f));
        final List<String> others = all.stream().filter(id -> !byId.get(id).getBody().getDeviceId().equals(device)).toList();
        final String root = Hashing.hex(MerkleRoot.of(protocol.all().stream().map(Facts::id).toList()));

        final Answer answer = post(notOwner, "/authorities/" + protocol.authorityId + "/sync",
                "{\"afterSeq\":0,\"excludeDevice\":\"" + device + "\",\"includeOwn\":false}");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.servedBy()).isNotEqualTo(notOwner.applicationServer());
        final JsonNode sync = answer.json();
        assertThat(factIds(sync)).containsExactlyElementsOf(others).hasSizeLessThan(all.size());
        assertThat(sync.get("authorityId").asText()).isEqualTo(protocol.authorityId);
        assertThat(sync.get("indexId").asText()).matches("[0-9a-f]{32}");
        assertThat(sync.get("complete").asBoolean()).isTrue();
        assertThat(sync.get("upToSeq").asLong()).isEqualTo(all.size());
        assertThat(sync.get("merkleRoot").asText()).isEqualTo(root);
        assertThat(sync.get("factCount").asInt()).isEqualTo(all.size());

        // Page by page (one fact per page), with the device's own facts, again through the non-owner.
        final List<String> paged = new ArrayList<>();
        long after = 0;
        JsonNode page;
        do {
            page = post(notOwner, "/authorities/" + protocol.authorityId + "/sync",
                    "{\"afterSeq\":" + after + ",\"excludeDevice\":\"" + device + "\",\"includeOwn\":true,\"maxBytes\":1}").json();
            assertThat(page.get("indexId").asText()).isEqualTo(sync.get("indexId").asText());
            paged.addAll(factIds(page));
            after = page.get("upToSeq").asLong();
        } while (!page.get("complete").asBoolean());
        assertThat(paged).containsExactlyElementsOf(all);

        // A device without a cursor: a salted Bloom filter of what it holds.
        final byte[] salt = java.util.Arrays.copyOf(Hashing.sha256("it-salt".getBytes(StandardCharsets.UTF_8)), SaltedBloomFilter.SALT_BYTES);
        final List<String> held = all.subList(0, all.size() - 3);
        final SaltedBloomFilter bloom = SaltedBloomFilter.of(salt, held.size(), 0.001, held.stream().map(Hashing::unhex).toList());
        final ObjectNode request = JSON.createObjectNode().put("afterSeq", 0).put("includeOwn", true);
        request.putObject("bloom").put("salt", Hashing.hex(salt)).put("hashes", bloom.hashes())
                .put("bits", Base64.getEncoder().encodeToString(bloom.bitBytes()));
        final JsonNode missing = post(notOwner, "/authorities/" + protocol.authorityId + "/sync", request.toString()).json();
        assertThat(factIds(missing)).containsExactlyElementsOf(all.stream().filter(id -> !bloom.mightContain(Hashing.unhex(id))).toList())
                .doesNotContainAnyElementsOf(held);
        assertThat(missing.get("merkleRoot").asText()).isEqualTo(root);
    }

    @Test
    void factStatusThroughTheNonOwnerSaysInJournalRejectedOrUnknown() throws Exception {
        final ReducerService notOwner = nonOwnerOf(protocol);
        final String refused = Facts.idHex(rejectedFact);
        final String base = "/authorities/" + protocol.authorityId + "/facts/";
        final Answer[] last = new Answer[1];
        Await.until("the rejection is indexed", FOLD_TIMEOUT, () -> {
            last[0] = get(notOwner, base + refused + "/status");
            return last[0].status() == 200 && last[0].json().get("status").asText().equals("REJECTED");
        });
        assertThat(last[0].servedBy()).isNotEqualTo(notOwner.applicationServer());
        final JsonNode rejected = last[0].json();
        assertThat(rejected.get("factId").asText()).isEqualTo(refused);
        assertThat(rejected.get("code").asText()).isEqualTo("BAD_SIGNATURE");
        assertThat(rejected.get("message").asText()).isEqualTo("the signature does not verify");
        assertThat(rejected.get("seq").isNull()).isTrue();

        final String inJournal = ARRIVAL_ORDER.get(protocol.authorityId).get(4);
        final JsonNode journaled = get(notOwner, base + inJournal.toUpperCase() + "/status").json();
        assertThat(journaled.get("status").asText()).isEqualTo("IN_JOURNAL");
        assertThat(journaled.get("seq").asLong()).isEqualTo(5);
        assertThat(journaled.get("code").isNull()).isTrue();

        final String unknown = "c".repeat(64);
        final Answer batch = post(notOwner, base + "status",
                "{\"factIds\":[\"" + inJournal + "\",\"" + refused + "\",\"" + unknown + "\"]}");
        assertThat(batch.status()).isEqualTo(200);
        assertThat(batch.servedBy()).isNotEqualTo(notOwner.applicationServer());
        final List<String> statuses = new ArrayList<>();
        batch.json().get("statuses").forEach(s -> statuses.add(s.get("factId").asText() + " " + s.get("status").asText() + " "
                + s.get("seq").asText() + " " + s.get("code").asText()));
        assertThat(statuses).containsExactly(inJournal + " IN_JOURNAL 5 null", refused + " REJECTED null BAD_SIGNATURE",
                unknown + " UNKNOWN null null");

        for (final ReducerService instance : List.of(first, second)) {
            final Answer nobody = awaitNot503(instance, "/authorities/nobody-here/facts/" + unknown + "/status");
            assertThat(nobody.status()).isEqualTo(404);
            assertThat(nobody.json().get("code").asText()).isEqualTo("UNKNOWN_AUTHORITY");
        }
    }

    @Test
    void pendingThroughTheNonOwnerShowsTheOpenSnapshotProposal() throws Exception {
        final ReducerService notOwner = nonOwnerOf(protocol);
        final String device = protocol.devices.get(0).deviceId();
        final JsonNode state = get(first, "/authorities/" + protocol.authorityId + "/state").json().get("state");

        final Answer answer = get(notOwner, "/authorities/" + protocol.authorityId + "/devices/" + device + "/pending");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.servedBy()).isNotEqualTo(notOwner.applicationServer());
        final JsonNode pending = answer.json();
        assertThat(pending.get("deviceId").asText()).isEqualTo(device);
        assertThat(pending.get("identityEpoch").asLong()).isEqualTo(state.get("identityEpoch").asLong()).isPositive();
        assertThat(pending.get("snapshotApprovals")).hasSize(1);
        final JsonNode approval = pending.get("snapshotApprovals").get(0);
        assertThat(approval.get("proposalId").asText()).isEqualTo(PROPOSAL_ID);
        assertThat(approval.get("targetEpoch").asLong()).isZero();
        assertThat(approval.get("prefixDigest").asText()).isEqualTo(Hashing.hex(PREFIX_DIGEST));
        assertThat(pending.get("upgradeReadiness")).isEmpty();

        final JsonNode stranger = get(notOwner, "/authorities/" + protocol.authorityId + "/devices/stranger/pending").json();
        assertThat(stranger.get("snapshotApprovals")).isEmpty();
    }

    @Test
    void pendingWorkFollowsEveryNewFactWhileDevicesPoll() throws Exception {
        // Pending answers come from a state kept per authority while its header is unchanged: a fact folded between two
        // polls must show in the next one, not a second later.
        final io.factfleet.core.AuthorityGenesis g = io.factfleet.core.AuthorityGenesis.generate("pending-follows", 3, 2);
        final String device = g.deviceIds().get(0);
        final Map<String, Object> producerProps = KAFKA.producerProps();
        producerProps.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class);
        try (KafkaProducer<String, FactEnvelope> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                FactFleetTopics.JOURNAL.valueSerde(HttpSchemaRegistryClient.forUrl(registry.url())).serializer())) {
            final FactEnvelope genesis = g.genesisFact(AuthorityFacts.OPERATOR);
            producer.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), AuthorityFacts.key(genesis), genesis)).get();
            final String path = "/authorities/" + g.authorityId() + "/devices/" + device + "/pending";
            Await.until("the authority is known", FOLD_TIMEOUT, () -> get(first, path).status() == 200);
            for (int p = 0; p < 5; p++) {
                final String proposal = "snap-follow-" + p;
                // Poll (and so cache) before the fact, then publish it and poll until the state shows it.
                assertThat(get(first, path).json().get("snapshotApprovals").toString()).doesNotContain(proposal);
                final FactEnvelope proposed = g.admin().sign(0, new SnapshotProposed(proposal, "admin", 0L, ByteBuffer.wrap(PREFIX_DIGEST), 10L + p));
                producer.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), AuthorityFacts.key(proposed), proposed)).get();
                Await.until("the state shows " + proposal, FOLD_TIMEOUT, () -> get(first, "/authorities/" + g.authorityId() + "/state").json()
                        .path("state").path("proposals").toString().contains(proposal));
                assertThat(get(first, path).json().get("snapshotApprovals").toString()).as("the poll right after the fold").contains(proposal);
            }
        }
    }

    @Test
    void cacheValidityThroughTheNonOwnerIsValidOnlyAboveTheFloor() throws Exception {
        final ReducerService notOwner = nonOwnerOf(protocol);
        final String base = "/authorities/" + protocol.authorityId + "/cache/c1/valid?epoch=";
        final JsonNode atFloor = get(notOwner, base + "5").json();
        assertThat(atFloor.get("key").asText()).isEqualTo("c1");
        assertThat(atFloor.get("floor").asLong()).isEqualTo(5); // floors only rise: 3 then 5
        assertThat(atFloor.get("valid").asBoolean()).isFalse();
        assertThat(get(notOwner, base + "6").json().get("valid").asBoolean()).isTrue();
        assertThat(get(notOwner, "/authorities/" + protocol.authorityId + "/cache/never/valid?epoch=0").json().get("valid").asBoolean()).isTrue();
        final Answer bad = get(notOwner, "/authorities/" + protocol.authorityId + "/cache/c1/valid");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("code").asText()).isEqualTo("BAD_REQUEST");
    }

    @Test
    void theRosterThroughTheNonOwnerIsTheStatesCurrentRoster() throws Exception {
        final ReducerService notOwner = nonOwnerOf(protocol);
        final JsonNode state = get(first, "/authorities/" + protocol.authorityId + "/state").json().get("state");

        final Answer answer = get(notOwner, "/authorities/" + protocol.authorityId + "/roster");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.servedBy()).isNotEqualTo(notOwner.applicationServer());
        final JsonNode roster = answer.json();
        assertThat(roster.get("authorityId").asText()).isEqualTo(protocol.authorityId);
        assertThat(roster.get("identityEpoch").asLong()).isEqualTo(state.get("identityEpoch").asLong());
        assertThat(roster.get("threshold").asInt()).isEqualTo(state.get("threshold").asInt()).isPositive();
        assertThat(roster.get("adminKeyId").asText()).isEqualTo(state.get("adminKeyId").asText());
        assertThat(roster.get("adminPublicKey").asText()).isEqualTo(state.get("adminPublicKey").asText()).matches("[0-9a-f]{64}");
        final List<String> expected = new ArrayList<>();
        state.get("roster").forEach(m -> expected.add(m.get("deviceId").asText() + " " + m.get("keyId").asText() + " " + m.get("publicKey").asText()));
        final List<String> members = new ArrayList<>();
        roster.get("members").forEach(m -> members.add(m.get("deviceId").asText() + " " + m.get("keyId").asText() + " " + m.get("publicKey").asText()));
        assertThat(members).containsExactlyElementsOf(expected).hasSizeGreaterThan(4);
        assertThat(members).anyMatch(m -> m.startsWith(protocol.devices.get(0).deviceId() + " "));
    }

    @Test
    void oneDevicesRosterEntryThroughTheNonOwnerIsItsEntryOfTheFullRoster() throws Exception {
        final ReducerService notOwner = nonOwnerOf(protocol);
        final JsonNode full = get(first, "/authorities/" + protocol.authorityId + "/roster").json();
        final String device = protocol.devices.get(1).deviceId();

        final Answer answer = get(notOwner, "/authorities/" + protocol.authorityId + "/roster?device=" + device);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.servedBy()).isNotEqualTo(notOwner.applicationServer());
        final JsonNode one = answer.json();
        for (final String field : List.of("authorityId", "identityEpoch", "threshold", "memberCount", "adminKeyId", "adminPublicKey", "requiredPackages")) {
            assertThat(one.get(field)).as(field).isEqualTo(full.get(field));
        }
        assertThat(one.get("memberCount").asInt()).as("the whole roster's size").isEqualTo(full.get("members").size());
        final List<JsonNode> expected = new ArrayList<>();
        full.get("members").forEach(m -> {
            if (m.get("deviceId").asText().equals(device)) {
                expected.add(m);
            }
        });
        assertThat(one.get("members")).containsExactlyElementsOf(expected).hasSize(1);
        final JsonNode nobody = get(notOwner, "/authorities/" + protocol.authorityId + "/roster?device=not-rostered").json();
        assertThat(nobody.get("members")).isEmpty();
        assertThat(nobody.get("identityEpoch")).isEqualTo(full.get("identityEpoch"));
        assertThat(get(notOwner, "/authorities/never-created/roster?device=" + device).status()).isEqualTo(404);
    }

    @Test
    void malformedProtocolRequestsAreBadRequestsAndUnknownAuthoritiesAre404() throws Exception {
        final String authority = "/authorities/" + protocol.authorityId;
        for (final ReducerService instance : List.of(first, second)) {
            final Answer badSync = post(instance, authority + "/sync", "{\"afterSeq\":\"soon\"}");
            assertThat(badSync.status()).isEqualTo(400);
            assertThat(badSync.json().get("code").asText()).isEqualTo("BAD_REQUEST");
            assertThat(badSync.json().get("message").asText()).contains("afterSeq");
            assertThat(get(instance, authority + "/facts/xyz/status").json().get("code").asText()).isEqualTo("BAD_REQUEST");
            assertThat(post(instance, authority + "/facts/status", "{}").status()).isEqualTo(400);
            final Answer nobody = awaitNot503Post(instance, "/authorities/nobody-here/sync", "{}");
            assertThat(nobody.status()).isEqualTo(404);
            assertThat(nobody.json().get("code").asText()).isEqualTo("UNKNOWN_AUTHORITY");
            assertThat(awaitNot503(instance, "/authorities/nobody-here/roster").status()).isEqualTo(404);
        }
    }

    @Test
    void topicsWithDifferentPartitionCountsAreRefused() {
        KAFKA.createTopic("check-two", 2, 1, Map.of());
        KAFKA.createTopic("check-three", 3, 1, Map.of());
        KAFKA.createTopic("check-three-too", 3, 1, Map.of());
        final Properties p = ReducerConfig.of(reducerProperties("check")).streamsProperties(new ReducerMetrics());

        assertThatThrownBy(() -> ReducerService.checkSamePartitionCount(p, "check-two", "check-three"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("same number of partitions");
        assertThatCode(() -> ReducerService.checkSamePartitionCount(p, "check-three", "check-three-too")).doesNotThrowAnyException();
        assertThatCode(() -> ReducerService.checkSamePartitionCount(p, "check-three", "no-such-topic")).doesNotThrowAnyException();
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
        p.put(io.factfleet.auth.OperatorAuthConfig.OPERATORS_FILE, stateDirs.resolve("operators.json").toString());
        p.put(io.factfleet.auth.OperatorAuthConfig.METRICS_OPEN, "true"); // as for a Prometheus scraper without credentials
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

    private static Answer awaitNot503Post(final ReducerService instance, final String path, final String body) {
        final Answer[] last = new Answer[1];
        Await.until(path + " answers without 503", FOLD_TIMEOUT, () -> {
            last[0] = post(instance, path, body);
            return last[0].status() != 503;
        });
        return last[0];
    }

    /** The instance that does not own the authority (once its facts are folded). */
    private static ReducerService nonOwnerOf(final AuthorityFacts facts) throws Exception {
        awaitFolded(facts);
        final Answer state = get(first, "/authorities/" + facts.authorityId + "/state");
        final String owner = state.json().get("servedBy").asText();
        assertThat(state.servedBy()).isEqualTo(owner);
        return owner.equals(first.applicationServer()) ? second : first;
    }

    private static List<String> factIds(final JsonNode sync) {
        final List<String> ids = new ArrayList<>();
        sync.get("facts").forEach(f -> ids.add(Facts.idHex(Canonical.decode(Base64.getDecoder().decode(f.asText()), FactEnvelope.class))));
        return ids;
    }

    /** An HTTP answer and the instance whose stores answered ({@code X-FactFleet-Served-By}). */
    private record Answer(int status, String body, String servedBy) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    private static Answer get(final ReducerService instance, final String pathAndQuery) throws IOException, InterruptedException {
        final URI uri = URI.create(instance.httpUri() + pathAndQuery);
        return send(instance, SIGNED.sign(HttpRequest.newBuilder(uri), "GET", uri, new byte[0]).GET());
    }

    private static Answer post(final ReducerService instance, final String path, final String json) throws IOException, InterruptedException {
        final URI uri = URI.create(instance.httpUri() + path);
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return send(instance, SIGNED.sign(HttpRequest.newBuilder(uri), "POST", uri, body).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private static Answer send(final ReducerService instance, final HttpRequest.Builder request) throws IOException, InterruptedException {
        final HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body(), response.headers().firstValue("X-FactFleet-Served-By").orElse(null));
    }
}
