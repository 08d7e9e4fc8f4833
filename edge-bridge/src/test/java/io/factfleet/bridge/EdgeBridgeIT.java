package io.factfleet.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.device.BridgeClient;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
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
 * The bridge in front of the real pipeline on a real broker: schema registry, fact-ingest and the
 * reducer. Devices authenticate against the reducer's roster, what the bridge accepts reaches the
 * journal, ingest's verdicts come back through fact status, sync returns only what a device lacks, and
 * a device downloads an artifact once its authority's upgrade names it (the reducer's artifacts answer).
 */
class EdgeBridgeIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final Duration PIPELINE = Duration.ofSeconds(90);
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AtomicInteger AUTHORITIES = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path stateDir;
    private static SchemaRegistryService registry;
    private static IngestService ingest;
    private static ReducerService reducer;
    private static EdgeBridgeService bridge;
    private static io.factfleet.artifacts.FileArtifactStore artifacts;
    private static SpecificAvroSerializer<FactEnvelope> facts;
    private static SpecificAvroSerializer<FactBatch> batches;

    @BeforeAll
    static void startPipeline() throws java.io.IOException {
        for (final var topic : FactFleetTopics.all()) {
            KAFKA.createTopic(topic.name(), 2, 1, topic.configs());
        }
        final Properties registryProps = new Properties();
        registryProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        registryProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        final HttpSchemaRegistryClient client = HttpSchemaRegistryClient.forUrl(registry.url());
        facts = new SpecificAvroSerializer<>(client);
        batches = new SpecificAvroSerializer<>(client);

        final Properties ingestProps = new Properties();
        ingestProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        ingestProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        ingestProps.put("application.id", "bridge-it-ingest");
        ingestProps.put("state.dir", stateDir.resolve("ingest").toString());
        ingestProps.put("schema.registry.url", registry.url());
        ingestProps.put("num.stream.threads", "1");
        ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        ingest = new IngestService(ingestProps);
        ingest.start();

        final Properties reducerProps = new Properties();
        reducerProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        reducerProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        reducerProps.put("application.id", "bridge-it-reducer");
        reducerProps.put("state.dir", stateDir.resolve("reducer").toString());
        reducerProps.put("num.standby.replicas", "0");
        reducerProps.put(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "localhost");
        reducer = new ReducerService(ReducerConfig.of(reducerProps)).start();

        artifacts = new io.factfleet.artifacts.FileArtifactStore(stateDir.resolve("artifacts"));
        bridge = new EdgeBridgeService(BridgeConfig.of(Map.of("bootstrap.servers", KAFKA.bootstrapServers(), "schema.registry.url", registry.url(),
                BridgeConfig.REDUCER_URL, reducer.httpUri().toString(), BridgeConfig.HTTP_PORT, 0, BridgeConfig.HTTP_BIND_HOST, "127.0.0.1",
                BridgeConfig.ROSTER_CACHE_MS, 200, BridgeConfig.ARTIFACTS_DIR, artifacts.root().toString()))).start();
        Await.until("ingest and the reducer are RUNNING", PIPELINE,
                () -> ingest.state() == KafkaStreams.State.RUNNING && reducer.streamsState() == KafkaStreams.State.RUNNING);
    }

    @AfterAll
    static void stopPipeline() {
        for (final AutoCloseable service : new AutoCloseable[] {bridge, reducer, ingest, registry}) {
            if (service != null) {
                try {
                    service.close();
                } catch (final Exception e) {
                    // keep closing the others
                }
            }
        }
    }

    /** A new authority, created by its operator-signed genesis on the inbound topic (devices cannot create authorities). */
    private static AuthorityGenesis newAuthority() {
        final AuthorityGenesis authority = AuthorityGenesis.generate("bridge-it-" + AUTHORITIES.incrementAndGet(), 3, 2);
        produceInbound(authority.genesisFact(OPERATOR));
        final TestDevice probe = device(authority, 0);
        Await.until(authority.authorityId() + " is known to the bridge", PIPELINE,
                () -> probe.get(probe.pendingPath() + "?wait=0").status() == 200);
        return authority;
    }

    /** A fact straight onto the inbound topic (what the operator's tools and the coordinators do). */
    private static void produceInbound(final FactEnvelope fact) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KAFKA.producerProps(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                    facts.serialize(FactFleetTopics.INBOUND.name(), fact))).get();
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static TestDevice device(final AuthorityGenesis authority, final int index) {
        return new TestDevice(URI.create("http://localhost:" + bridge.port()), authority, index, HTTP);
    }

    private static byte[] batchOf(final FactEnvelope... envelopes) {
        return batches.serialize(BridgeProtocol.FACT_BATCH_SUBJECT_TOPIC, new FactBatch(Stream.of(envelopes)
                .map(f -> ByteBuffer.wrap(facts.serialize(FactFleetTopics.INBOUND.name(), f))).toList()));
    }

    private static JsonNode awaitStatus(final TestDevice device, final FactEnvelope fact, final String status) {
        final JsonNode[] last = new JsonNode[1];
        Await.until("fact " + Facts.idHex(fact) + " is " + status, PIPELINE, () -> {
            final TestDevice.Answer answer = device.get(device.factsPath() + "/" + Facts.idHex(fact) + "/status");
            last[0] = answer.status() == 200 ? answer.json() : null;
            return last[0] != null && status.equals(last[0].path("status").asText());
        });
        return last[0];
    }

    @Test
    void aDeviceDownloadsTheArtifactItsAuthoritysUpgradeNamesAndAnotherAuthoritysDeviceDoesNot() throws Exception {
        final AuthorityGenesis authority = newAuthority();
        final AuthorityGenesis other = newAuthority();
        final byte[] firmware = ("firmware 2 of " + authority.authorityId()).getBytes(StandardCharsets.UTF_8);
        final String sha256 = artifacts.put(new java.io.ByteArrayInputStream(firmware)).hash().hex();
        final TestDevice device = device(authority, 0);
        final String path = "/v1/authorities/" + authority.authorityId() + "/artifacts/" + sha256;
        final java.net.http.HttpResponse<byte[]> before = device.getBytes(path, Map.of());
        assertThat(before.statusCode()).isEqualTo(404);
        assertThat(new String(before.body(), StandardCharsets.UTF_8)).contains("ARTIFACT_NOT_IN_AUTHORITY");

        produceInbound(io.factfleet.core.UpgradeFacts.propose(authority, 0, io.factfleet.core.UpgradeFacts.metadata(authority.authorityId(),
                "fw-2", "fw", 2, firmware, io.factfleet.schema.UpgradeKind.SOFT, null, Long.MAX_VALUE, io.factfleet.core.UpgradeFacts.noWaves())));

        final java.util.concurrent.atomic.AtomicReference<java.net.http.HttpResponse<byte[]>> served = new java.util.concurrent.atomic.AtomicReference<>();
        Await.until("the reducer's state names the upgrade's artifact", PIPELINE, () -> {
            served.set(device.getBytes(path, Map.of()));
            return served.get().statusCode() == 200;
        });
        assertThat(served.get().body()).isEqualTo(firmware);
        final java.net.http.HttpResponse<byte[]> outsider = device(other, 0).getBytes("/v1/authorities/" + other.authorityId() + "/artifacts/"
                + sha256, Map.of());
        assertThat(outsider.statusCode()).isEqualTo(404);
        assertThat(new String(outsider.body(), StandardCharsets.UTF_8)).contains("ARTIFACT_NOT_IN_AUTHORITY");
    }

    @Test
    void anAcceptedFactReachesTheJournalAndIsThenADuplicate() {
        final TestDevice device = device(newAuthority(), 0);
        final FactEnvelope fact = device.authority.device(0).journalEntry(0, "k".getBytes(StandardCharsets.UTF_8), new byte[] {1});

        final TestDevice.Answer first = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, batchOf(fact));

        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(first.json().at("/results/0/status").asText()).isEqualTo("ACCEPTED");
        assertThat(awaitStatus(device, fact, "IN_JOURNAL").get("seq").asLong()).isPositive();
        final TestDevice.Answer again = device.post(device.factsPath(), BridgeProtocol.JSON, EdgeBridgeHttpTest.jsonBatchOf(fact));
        assertThat(again.json().at("/results/0/status").asText()).as(again.toString()).isEqualTo("DUPLICATE");
    }

    @Test
    void ingestsRejectionIsVisibleToTheDeviceThroughTheFactsStatus() {
        final TestDevice device = device(newAuthority(), 0);
        final FactEnvelope forged = device.authority.device(0).journalEntry(0, "f".getBytes(StandardCharsets.UTF_8), new byte[] {2});
        final byte[] signature = Canonical.array(forged.getSignature());
        signature[0] ^= 1;
        forged.setSignature(ByteBuffer.wrap(signature));

        final TestDevice.Answer answer = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, batchOf(forged));

        assertThat(answer.json().at("/results/0/status").asText()).as(answer.toString()).isEqualTo("ACCEPTED");
        final JsonNode status = awaitStatus(device, forged, "REJECTED");
        assertThat(status.get("code").asText()).isEqualTo("BAD_SIGNATURE");
        assertThat(status.get("message").asText()).isNotBlank();
    }

    @Test
    void syncReturnsOnlyTheFactsTheDeviceLacksAndTheRootOfTheJournal() {
        final AuthorityGenesis authority = newAuthority();
        final TestDevice mine = device(authority, 0);
        final TestDevice theirs = device(authority, 1);
        final FactEnvelope own = authority.device(0).journalEntry(0, "own".getBytes(StandardCharsets.UTF_8), new byte[] {3});
        final FactEnvelope other = authority.device(1).journalEntry(0, "other".getBytes(StandardCharsets.UTF_8), new byte[] {4});
        assertThat(mine.post(mine.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, batchOf(own)).status()).isEqualTo(200);
        assertThat(theirs.post(theirs.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, batchOf(other)).status()).isEqualTo(200);
        awaitStatus(mine, own, "IN_JOURNAL");
        awaitStatus(mine, other, "IN_JOURNAL");

        final TestDevice.Answer answer = mine.post("/v1/authorities/" + authority.authorityId() + "/sync", BridgeProtocol.JSON,
                "{\"afterSeq\": 0, \"bloom\": null}".getBytes(StandardCharsets.UTF_8));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        final JsonNode body = answer.json();
        final Set<String> received = new HashSet<>();
        body.get("facts").forEach(f -> received.add(Facts.idHex(Canonical.decode(Base64.getDecoder().decode(f.asText()), FactEnvelope.class))));
        assertThat(received).contains(Facts.idHex(other)).doesNotContain(Facts.idHex(own));
        assertThat(body.get("complete").asBoolean()).isTrue();
        assertThat(body.get("factCount").asInt()).isEqualTo(3);
        assertThat(body.get("upToSeq").asLong()).isGreaterThanOrEqualTo(3);
        // The device's replica (its own fact plus what it received) now has the journal's root.
        final List<byte[]> replica = new ArrayList<>();
        replica.add(Facts.id(own));
        body.get("facts").forEach(f -> replica.add(Facts.id(Canonical.decode(Base64.getDecoder().decode(f.asText()), FactEnvelope.class))));
        assertThat(body.get("merkleRoot").asText()).isEqualTo(Hashing.hex(MerkleRoot.of(replica)));
    }

    @Test
    void theDeviceSdksBridgeClientSubmitsSyncsAndReadsStatusesThroughTheBridge() {
        final AuthorityGenesis authority = newAuthority();
        final BridgeClient client = new BridgeClient(URI.create("http://localhost:" + bridge.port()), authority.authorityId(),
                authority.deviceIds().get(1), authority.deviceKeys().get(1), System::currentTimeMillis);
        final FactEnvelope fact = authority.device(1).journalEntry(0, "sdk".getBytes(StandardCharsets.UTF_8), new byte[] {5});

        final List<BridgeClient.SubmitResult> results = client.submit(List.of(fact));

        assertThat(results).extracting(BridgeClient.SubmitResult::factId).containsExactly(Facts.idHex(fact));
        assertThat(results.get(0).outcome().name()).isEqualTo("ACCEPTED");
        Await.until("the SDK sees its fact in the journal", PIPELINE,
                () -> "IN_JOURNAL".equals(client.statuses(List.of(Facts.idHex(fact))).get(0).status()));
        final BridgeClient.SyncAnswer all = client.sync("", 0, MerkleRoot.of(List.of()), null, true);
        assertThat(all.complete()).isTrue();
        assertThat(all.facts()).extracting(Facts::idHex).contains(Facts.idHex(fact));
        assertThat(client.pending(Duration.ZERO)).get().extracting(p -> p.get("pollAfterMs").asLong()).isNotEqualTo(0L);
    }

    @Test
    void pendingWorkIsRelayedWithTheIdentityEpochAndAPollInterval() {
        final TestDevice device = device(newAuthority(), 2);

        final TestDevice.Answer answer = device.get(device.pendingPath() + "?wait=0");

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("identityEpoch").asLong()).isZero();
        assertThat(answer.json().get("snapshotApprovals")).isEmpty();
        assertThat(answer.json().get("pollAfterMs").asLong()).isPositive();
    }
}
