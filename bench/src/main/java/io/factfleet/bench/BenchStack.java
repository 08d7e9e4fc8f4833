package io.factfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.Topic;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RosterBatches;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Closeables;
import io.factfleet.testkit.KafkaCluster;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The whole stack as the site benchmarks run it: one in-process broker with FactFleet's topics, the schema registry,
 * ingest, a reducer, both coordinators and (optionally) the edge bridge, all with operator authentication on, their
 * state under {@code dataDir/<service>}. Also the operator's side of what the benchmarks do through it: genesis onto the
 * inbound topic, a co-signed roster batch through the snapshot coordinator, HTTP reads and writes as the test operator.
 */
final class BenchStack implements AutoCloseable {
    final Path dataDir;
    final KafkaCluster kafka;
    final TestOperators operators;
    final SchemaRegistryService registry;
    final String registryUrl;
    final IngestService ingest;
    final ReducerService reducer;
    final SnapshotCoordinatorService snapshots;
    final OtaCoordinatorService ota;
    final EdgeBridgeService bridge;
    final BridgeConfig bridgeConfig;
    private final KafkaProducer<String, byte[]> producer;
    private final SpecificAvroSerializer<FactEnvelope> serializer;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> started;

    private BenchStack(final Path dataDir, final KafkaCluster kafka, final TestOperators operators, final SchemaRegistryService registry,
                       final IngestService ingest, final ReducerService reducer, final SnapshotCoordinatorService snapshots,
                       final OtaCoordinatorService ota, final EdgeBridgeService bridge, final BridgeConfig bridgeConfig,
                       final List<AutoCloseable> started) {
        this.dataDir = dataDir;
        this.kafka = kafka;
        this.operators = operators;
        this.registry = registry;
        this.registryUrl = "http://127.0.0.1:" + registry.port();
        this.ingest = ingest;
        this.reducer = reducer;
        this.snapshots = snapshots;
        this.ota = ota;
        this.bridge = bridge;
        this.bridgeConfig = bridgeConfig;
        this.started = started;
        final Map<String, Object> producerProps = new java.util.HashMap<>(kafka.producerProps());
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        this.serializer = new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
        started.add(producer);
    }

    /**
     * Starts everything and waits until every Streams app is RUNNING. {@code operator} is the key ingest and the reducer
     * trust for genesis; the coordinators sign with {@code adminKeys} (authority id to admin key).
     */
    static BenchStack start(final Path dataDir, final Ed25519Keys.SigningKey operator, final Map<String, Ed25519Keys.SigningKey> adminKeys,
                            final int partitions, final boolean withBridge) throws Exception {
        final List<AutoCloseable> started = new ArrayList<>();
        try {
            final KafkaCluster kafka = KafkaCluster.singleBroker();
            started.add(kafka);
            kafka.start();
            for (final Topic<?, ?> topic : FactFleetTopics.all()) {
                kafka.createTopic(topic.name(), partitions, 1, topic.configs());
            }
            final TestOperators operators = TestOperators.create(dataDir.resolve("operators"));
            final Properties registryProps = operators.serviceProps();
            registryProps.put("bootstrap.servers", kafka.bootstrapServers());
            registryProps.put("listeners", "http://127.0.0.1:0");
            final SchemaRegistryService registry = new SchemaRegistryService(registryProps);
            started.add(registry);
            registry.start();
            final String registryUrl = "http://127.0.0.1:" + registry.port();
            final Path keyRing = dataDir.resolve("admin-keys.properties");
            AdminKeyRing.write(keyRing, AdminKeyRing.of(adminKeys));
            final String operatorHex = Hashing.hex(operator.publicKey());
            final IngestService ingest = new IngestService(props(operators, kafka, registryUrl, dataDir, "ingest",
                    Map.of(IngestConfig.OPERATOR_KEYS, operatorHex)));
            started.add(ingest);
            final ReducerService reducer = new ReducerService(ReducerConfig.of(props(operators, kafka, registryUrl, dataDir, "reducer",
                    Map.of(ReducerConfig.HTTP_PORT_CONFIG, "0", ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1",
                            ReducerConfig.OPERATOR_KEYS_CONFIG, operatorHex))));
            started.add(reducer);
            final SnapshotCoordinatorService snapshots = new SnapshotCoordinatorService(SnapshotConfig.of(props(operators, kafka, registryUrl,
                    dataDir, "snapshots", Map.of(SnapshotConfig.HTTP_PORT, "0", SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1",
                            SnapshotConfig.OPERATOR_KEYS, operatorHex)), AdminKeyRing.following(keyRing)));
            started.add(snapshots);
            final OtaCoordinatorService ota = new OtaCoordinatorService(OtaConfig.of(props(operators, kafka, registryUrl, dataDir, "ota",
                    Map.of(OtaConfig.HTTP_PORT_CONFIG, "0", OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1",
                            OtaConfig.ADMIN_KEYS_CONFIG, keyRing.toString()))));
            started.add(ota);
            ingest.start();
            reducer.start();
            snapshots.start();
            ota.start();
            await("every service RUNNING", Duration.ofSeconds(120), () -> ingest.state() == KafkaStreams.State.RUNNING
                    && reducer.streamsState() == KafkaStreams.State.RUNNING && snapshots.streamsState() == KafkaStreams.State.RUNNING
                    && ota.streamsState() == KafkaStreams.State.RUNNING);
            EdgeBridgeService bridge = null;
            BridgeConfig bridgeConfig = null;
            if (withBridge) {
                final Properties bridgeProps = operators.bridgeProps();
                bridgeProps.put("bootstrap.servers", kafka.bootstrapServers());
                bridgeProps.put("schema.registry.url", registryUrl);
                bridgeProps.put(BridgeConfig.REDUCER_URL, reducer.httpUri().toString());
                bridgeProps.put(BridgeConfig.HTTP_PORT, "0");
                bridgeProps.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
                bridgeConfig = BridgeConfig.of(bridgeProps);
                bridge = new EdgeBridgeService(bridgeConfig);
                started.add(bridge);
                bridge.start();
            }
            return new BenchStack(dataDir, kafka, operators, registry, ingest, reducer, snapshots, ota, bridge, bridgeConfig, started);
        } catch (final Exception | Error e) {
            closeReversed(started);
            throw e;
        }
    }

    private static Properties props(final TestOperators operators, final KafkaCluster kafka, final String registryUrl, final Path dataDir,
                                    final String name, final Map<String, String> extra) {
        final Properties p = operators.serviceProps();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("schema.registry.url", registryUrl);
        p.put("state.dir", dataDir.resolve(name).toString());
        p.putAll(extra);
        return p;
    }

    /** Produces {@code fact} to the inbound topic, keyed by its authority, as a device or the operator would; not waited for. */
    java.util.concurrent.Future<?> send(final FactEnvelope fact) {
        return producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                serializer.serialize(FactFleetTopics.INBOUND.name(), fact)));
    }

    void flush() {
        producer.flush();
    }

    /** The authority's genesis, signed by {@code operator}, onto the inbound topic. */
    void sendGenesis(final AuthorityGenesis authority, final Ed25519Keys.SigningKey operator) throws Exception {
        send(authority.genesisFact(operator)).get();
    }

    /**
     * Enrols {@code devices} into {@code authority} in one roster batch: prepared by the snapshot coordinator, co-signed
     * offline by the authority's first M devices, submitted (202). What an operator does with {@code factfleet devices enrol}.
     */
    void enrolBatch(final AuthorityGenesis authority, final Map<String, Ed25519Keys.SigningKey> devices) throws Exception {
        final String id = authority.authorityId();
        final StringBuilder manifest = new StringBuilder("device_id,public_key\n");
        devices.forEach((device, key) -> manifest.append(device).append(',').append(Hashing.hex(key.publicKey())).append('\n'));
        final ObjectNode batch = ResultsFile.JSON.createObjectNode().put("manifest", manifest.toString());
        batch.putArray("remove");
        batch.putNull("newThreshold");
        final JsonNode prepared = ResultsFile.JSON.readTree(expect(200, post(snapshots.httpUri().resolve("/authorities/" + id
                + "/roster/batches/prepare"), batch.toString())));
        final byte[] statement = HexFormat.of().parseHex(prepared.path("statementHex").asText());
        final ObjectNode submission = batch.deepCopy();
        submission.put("fromEpoch", prepared.path("fromEpoch").asLong());
        submission.put("issuedAtMillis", prepared.path("issuedAtMillis").asLong());
        final ArrayNode signatures = submission.putArray("signatures");
        for (int a = 0; a < authority.threshold(); a++) {
            signatures.add(ResultsFile.JSON.createObjectNode().put("deviceId", authority.deviceIds().get(a)).put("signature",
                    Hashing.hex(Canonical.array(RosterBatches.cosign(statement, authority.deviceKeys().get(a)).getSignature()))));
        }
        expect(202, post(snapshots.httpUri().resolve("/authorities/" + id + "/roster/batches"), submission.toString()));
    }

    /** The reducer's roster answer for the authority ({@code query} e.g. {@code ?device=d}), or null unless 200. */
    JsonNode roster(final String authorityId, final String query) throws Exception {
        return get(URI.create(reducer.httpUri() + "/authorities/" + authorityId + "/roster" + query));
    }

    /** The snapshot coordinator's status of the authority, or null unless 200. */
    JsonNode snapshotStatus(final String authorityId) throws Exception {
        return get(snapshots.httpUri().resolve("/authorities/" + authorityId + "/snapshots/status"));
    }

    /** The OTA coordinator's view of one upgrade of the authority, or an empty object. */
    JsonNode upgrade(final String authorityId, final String proposalId) throws Exception {
        final JsonNode all = get(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + authorityId + "/upgrades"));
        if (all != null) {
            for (final JsonNode u : all) {
                if (proposalId.equals(u.path("proposalId").asText())) {
                    return u;
                }
            }
        }
        return ResultsFile.JSON.createObjectNode();
    }

    JsonNode get(final URI uri) throws Exception {
        final HttpResponse<String> r = http.send(TestOperators.get(uri).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? ResultsFile.JSON.readTree(r.body()) : null;
    }

    HttpResponse<String> post(final URI uri, final String body) throws Exception {
        return http.send(TestOperators.post(uri, body).header("Content-Type", "application/json").timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String expect(final int status, final HttpResponse<String> r) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.request().method() + " " + r.uri() + " answered " + r.statusCode() + " (expected " + status + "): " + r.body());
        }
        return r.body();
    }

    static void await(final String what, final Duration timeout, final Callable<Boolean> condition) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        closeReversed(started);
    }

    private static void closeReversed(final List<AutoCloseable> started) {
        final List<AutoCloseable> reversed = new ArrayList<>(started);
        java.util.Collections.reverse(reversed);
        Closeables.closeAll(reversed.toArray(new AutoCloseable[0]));
    }
}
