package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The spine started in-process on a test cluster: every topic, a schema registry, fact-ingest
 * trusting one operator key, and some reducer instances; plus an operator producer for facts that
 * do not come through the bridge (genesis). Operator authentication is on everywhere ({@link #operators}).
 */
final class InProcessSpine implements AutoCloseable {
    final SchemaRegistryService registry;
    final String registryUrl;
    final IngestService ingest;
    final List<ReducerService> reducers = new ArrayList<>();
    private final KafkaProducer<String, byte[]> producer;
    final String bootstrapServers;
    private final SpecificAvroSerializer<FactEnvelope> serializer;
    /** Who may call the services: the tests' operator, the bridge's key, the services' registry login. */
    final TestOperators operators;

    private InProcessSpine(final KafkaClusterExtension kafka, final Path dir, final Ed25519Keys.SigningKey operator, final int reducerCount,
                           final int partitions, final int replication, final TestOperators operators) {
        this.bootstrapServers = kafka.bootstrapServers();
        this.operators = operators;
        for (final var topic : FactFleetTopics.all()) {
            kafka.createTopic(topic.name(), partitions, replication, topic.configs());
        }
        final Properties registryProps = operators.serviceProps();
        registryProps.put("bootstrap.servers", kafka.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        registryUrl = registry.url();

        final Properties ingestProps = operators.serviceProps();
        ingestProps.put("bootstrap.servers", kafka.bootstrapServers());
        ingestProps.put("state.dir", dir.resolve("ingest").toString());
        ingestProps.put("schema.registry.url", registryUrl);
        ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
        ingestProps.put(IngestConfig.HTTP_PORT, "0"); // its /metrics, behind operator auth
        ingestProps.put(IngestConfig.HTTP_BIND_HOST, "127.0.0.1");
        ingest = new IngestService(ingestProps);
        ingest.start();

        for (int i = 0; i < reducerCount; i++) {
            final Properties reducerProps = operators.serviceProps();
            reducerProps.put("bootstrap.servers", kafka.bootstrapServers());
            reducerProps.put("state.dir", dir.resolve("reducer-" + i).toString());
            reducerProps.put("schema.registry.url", registryUrl);
            reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
            reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
            reducerProps.put("num.stream.threads", "1");
            reducerProps.put(ReducerConfig.OPERATOR_KEYS_CONFIG, Hashing.hex(operator.publicKey()));
            reducers.add(new ReducerService(ReducerConfig.of(reducerProps)).start());
        }
        Await.until("ingest and the reducers are RUNNING", Duration.ofSeconds(90), () -> ingest.state() == KafkaStreams.State.RUNNING
                && reducers.stream().allMatch(r -> r.streamsState() == KafkaStreams.State.RUNNING));

        final Map<String, Object> producerProps = new HashMap<>(kafka.producerProps());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, FactFleetTopics.MAX_FACT_RECORD_BYTES);
        producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        serializer = new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
    }

    static InProcessSpine start(final KafkaClusterExtension kafka, final Path dir, final Ed25519Keys.SigningKey operator,
                                final int reducers, final int partitions, final int replication) {
        return start(kafka, dir, operator, reducers, partitions, replication, TestOperators.create(dir.resolve("operators")));
    }

    /** As above, with these operators (extra identities, a JWKS). */
    static InProcessSpine start(final KafkaClusterExtension kafka, final Path dir, final Ed25519Keys.SigningKey operator,
                                final int reducers, final int partitions, final int replication, final TestOperators operators) {
        return new InProcessSpine(kafka, dir, operator, reducers, partitions, replication, operators);
    }

    /** Starts one more reducer with its own application id: it reads the journal from the start, as a fresh deployment would. */
    ReducerService startFreshReducer(final String applicationId, final Path stateDir, final Ed25519Keys.SigningKey operator) {
        final Properties reducerProps = operators.serviceProps();
        reducerProps.put("bootstrap.servers", bootstrapServers);
        reducerProps.put("application.id", applicationId);
        reducerProps.put("state.dir", stateDir.toString());
        reducerProps.put("schema.registry.url", registryUrl);
        reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        reducerProps.put("num.stream.threads", "1");
        reducerProps.put(ReducerConfig.OPERATOR_KEYS_CONFIG, Hashing.hex(operator.publicKey()));
        final ReducerService fresh = new ReducerService(ReducerConfig.of(reducerProps)).start();
        reducers.add(fresh);
        return fresh;
    }

    ReducerService reducer(final int i) {
        return reducers.get(i);
    }

    /**
     * Starts an OTA coordinator on this spine that acts for the authorities whose admin keys are in
     * {@code adminKeys} (a key ring file), with {@code extra} settings, and waits until it is RUNNING.
     * The caller closes it.
     */
    io.factfleet.ota.OtaCoordinatorService startOta(final Path stateDir, final Path adminKeys, final Map<String, String> extra) {
        final Properties otaProps = operators.serviceProps();
        otaProps.put("bootstrap.servers", bootstrapServers);
        otaProps.put("state.dir", stateDir.toString());
        otaProps.put("schema.registry.url", registryUrl);
        otaProps.put(io.factfleet.ota.OtaConfig.HTTP_PORT_CONFIG, "0");
        otaProps.put(io.factfleet.ota.OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        otaProps.put(io.factfleet.ota.OtaConfig.ADMIN_KEYS_CONFIG, adminKeys.toString());
        otaProps.put("commit.interval.ms", "100");
        otaProps.putAll(extra);
        final io.factfleet.ota.OtaCoordinatorService ota = new io.factfleet.ota.OtaCoordinatorService(io.factfleet.ota.OtaConfig.of(otaProps)).start();
        Await.until("the OTA coordinator is RUNNING", Duration.ofSeconds(90), () -> ota.streamsState() == KafkaStreams.State.RUNNING);
        return ota;
    }

    /**
     * Starts an edge bridge in front of the first reducer (plain HTTP on a free port), with {@code extra} settings.
     * The caller closes it.
     */
    io.factfleet.bridge.EdgeBridgeService startBridge(final Map<String, String> extra) {
        final Properties bridgeProps = operators.bridgeProps();
        bridgeProps.put("bootstrap.servers", bootstrapServers);
        bridgeProps.put("schema.registry.url", registryUrl);
        bridgeProps.put(io.factfleet.bridge.BridgeConfig.REDUCER_URL, "http://" + reducer(0).applicationServer());
        bridgeProps.put(io.factfleet.bridge.BridgeConfig.HTTP_PORT, "0");
        bridgeProps.put(io.factfleet.bridge.BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
        bridgeProps.putAll(extra);
        return new io.factfleet.bridge.EdgeBridgeService(io.factfleet.bridge.BridgeConfig.of(bridgeProps)).start();
    }

    /**
     * Starts a snapshot coordinator on this spine that trusts {@code operator}'s key and acts with the admin keys of
     * {@code adminKeys}, with {@code extra} settings, and waits until it is RUNNING. The caller closes it.
     */
    io.factfleet.snapshot.SnapshotCoordinatorService startSnapshots(final Path stateDir, final Ed25519Keys.SigningKey operator,
                                                                   final io.factfleet.core.AdminKeyRing adminKeys, final Map<String, String> extra) {
        final Properties props = operators.serviceProps();
        props.put("bootstrap.servers", bootstrapServers);
        props.put("schema.registry.url", registryUrl);
        props.put("state.dir", stateDir.toString());
        props.put(io.factfleet.snapshot.SnapshotConfig.HTTP_PORT, "0");
        props.put(io.factfleet.snapshot.SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
        props.put(io.factfleet.snapshot.SnapshotConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
        props.putAll(extra);
        final io.factfleet.snapshot.SnapshotCoordinatorService coordinator = new io.factfleet.snapshot.SnapshotCoordinatorService(
                io.factfleet.snapshot.SnapshotConfig.of(props, adminKeys)).start();
        Await.until("the snapshot coordinator is RUNNING", Duration.ofSeconds(90),
                () -> coordinator.streamsState() == KafkaStreams.State.RUNNING);
        return coordinator;
    }

    /** Produces a fact to the inbound topic as its authority's operator tooling would, and waits for Kafka's acknowledgement. */
    void publish(final FactEnvelope fact) {
        try {
            producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                    serializer.serialize(FactFleetTopics.INBOUND.name(), fact))).get();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot publish fact " + fact.getFactId(), e);
        }
    }

    /** Produces without waiting; {@link #flush} waits for all. */
    void publishAsync(final FactEnvelope fact) {
        producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                serializer.serialize(FactFleetTopics.INBOUND.name(), fact)));
    }

    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
        reducers.forEach(ReducerService::close);
        ingest.close();
        registry.close();
    }
}
