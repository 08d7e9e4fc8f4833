package io.factfleet.system.reliability;

import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeMain;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestMain;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerMain;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaMain;
import io.factfleet.registry.SchemaRegistryMain;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotMain;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * FactFleet as it runs in production, on one machine: three Kafka nodes ({@link ProcessKafkaCluster}), and the schema
 * registry, two instances each of fact-ingest, the reducer, the snapshot coordinator and the OTA coordinator, and the edge
 * bridge, each its own JVM started from its {@code *Main} class with a properties file. The coordinators sign with the
 * admin keys of the key ring file they are given. Every port is fixed when the stack is built, so a service restarted after a
 * fault comes back where its peers and clients look for it.
 */
final class ReliabilityStack implements AutoCloseable {
    static final int PARTITIONS = 4;
    static final Duration START_TIMEOUT = Duration.ofSeconds(180);

    final ProcessKafkaCluster kafka;
    final TestOperators operators;
    final Ed25519Keys.SigningKey operator = TestOperators.ADMIN;
    final ServiceProcess registry;
    final List<ServiceProcess> ingest = new ArrayList<>();
    final List<ServiceProcess> reducers = new ArrayList<>();
    final List<ServiceProcess> snapshots = new ArrayList<>();
    final List<ServiceProcess> otas = new ArrayList<>();
    final List<String> snapshotUrls = new ArrayList<>();
    final List<String> otaUrls = new ArrayList<>();
    final ServiceProcess bridge;
    final String registryUrl;
    final URI bridgeUri;
    final List<String> reducerUrls = new ArrayList<>();

    ReliabilityStack(final Path dir, final Path adminKeyRing) {
        kafka = new ProcessKafkaCluster(dir.resolve("kafka"));
        operators = TestOperators.create(dir.resolve("operators"));
        final int[] ports = ProcessKafkaCluster.freePorts(10);
        registryUrl = "http://127.0.0.1:" + ports[0];
        final Properties registryProps = operators.serviceProps();
        registryProps.put("bootstrap.servers", kafka.bootstrapServers());
        registryProps.put("listeners", registryUrl);
        registryProps.put("kafkastore.topic.replication.factor", "3");
        registry = new ServiceProcess("registry", SchemaRegistryMain.class, dir.resolve("registry"), registryProps, URI.create(registryUrl + "/health"));
        for (int i = 0; i < 2; i++) {
            final Properties p = streamsProps(dir.resolve("ingest-" + i));
            p.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
            p.put(IngestConfig.HTTP_PORT, Integer.toString(ports[1 + i]));
            p.put(IngestConfig.HTTP_BIND_HOST, "127.0.0.1");
            ingest.add(new ServiceProcess("ingest-" + i, IngestMain.class, dir.resolve("ingest-" + i), p,
                    URI.create("http://127.0.0.1:" + ports[1 + i] + "/health")));
        }
        for (int i = 0; i < 2; i++) {
            final Properties p = streamsProps(dir.resolve("reducer-" + i));
            p.put(ReducerConfig.OPERATOR_KEYS_CONFIG, Hashing.hex(operator.publicKey()));
            p.put(ReducerConfig.HTTP_PORT_CONFIG, Integer.toString(ports[3 + i]));
            p.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
            p.put("application.server", "127.0.0.1:" + ports[3 + i]);
            reducerUrls.add("http://127.0.0.1:" + ports[3 + i]);
            reducers.add(new ServiceProcess("reducer-" + i, ReducerMain.class, dir.resolve("reducer-" + i), p,
                    URI.create(reducerUrls.get(i) + "/health")));
        }
        for (int i = 0; i < 2; i++) {
            final int port = ports[6 + i];
            final Properties p = streamsProps(dir.resolve("snapshot-" + i));
            p.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
            p.put(SnapshotConfig.ADMIN_KEYS, adminKeyRing.toString());
            p.put(SnapshotConfig.HTTP_PORT, Integer.toString(port));
            p.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
            // A proposal stays open through the longest fault (all brokers down and back), not aborted by the clock.
            p.put(SnapshotConfig.TIMEOUT_MS, "300000");
            p.put("application.server", "127.0.0.1:" + port);
            snapshotUrls.add("http://127.0.0.1:" + port);
            snapshots.add(new ServiceProcess("snapshot-" + i, SnapshotMain.class, dir.resolve("snapshot-" + i), p,
                    URI.create(snapshotUrls.get(i) + "/health")));
        }
        for (int i = 0; i < 2; i++) {
            final int port = ports[8 + i];
            final Properties p = streamsProps(dir.resolve("ota-" + i));
            p.put(OtaConfig.ADMIN_KEYS_CONFIG, adminKeyRing.toString());
            p.put(OtaConfig.HTTP_PORT_CONFIG, Integer.toString(port));
            p.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
            p.put("application.server", "127.0.0.1:" + port);
            otaUrls.add("http://127.0.0.1:" + port);
            otas.add(new ServiceProcess("ota-" + i, OtaMain.class, dir.resolve("ota-" + i), p, URI.create(otaUrls.get(i) + "/health")));
        }
        final Properties b = operators.bridgeProps();
        b.put("bootstrap.servers", kafka.bootstrapServers());
        b.put("schema.registry.url", registryUrl);
        b.put(BridgeConfig.REDUCER_URL, String.join(",", reducerUrls));
        b.put(BridgeConfig.HTTP_PORT, Integer.toString(ports[5]));
        b.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
        // The load is a few simulated devices sending steadily; the per-device limits are not what is tested here.
        b.put(BridgeConfig.RATE_DEVICE_PER_SECOND, "1000");
        b.put(BridgeConfig.RATE_DEVICE_BURST, "1000");
        bridgeUri = URI.create("http://127.0.0.1:" + ports[5]);
        bridge = new ServiceProcess("bridge", EdgeBridgeMain.class, dir.resolve("bridge"), b, URI.create(bridgeUri + "/health"));
    }

    private Properties streamsProps(final Path dir) {
        final Properties p = operators.serviceProps();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("schema.registry.url", registryUrl);
        p.put("state.dir", dir.resolve("state").toString());
        p.put("num.stream.threads", "1");
        p.put("replication.factor", "3");
        // Eight Streams applications share two cores with three brokers: at 100 ms (exactly_once_v2's default) their
        // transactions kept the brokers busy enough to starve the rest; once a second is still well inside every wait.
        p.put("commit.interval.ms", "1000");
        // A killed instance's partitions move after 4 s instead of Kafka's 45 s.
        p.put("session.timeout.ms", "4000");
        p.put("heartbeat.interval.ms", "1000");
        return p;
    }

    /** Starts Kafka, creates FactFleet's topics (replication 3), then every service, and waits until all are healthy. */
    ReliabilityStack start() {
        kafka.start();
        for (final var topic : FactFleetTopics.all()) {
            kafka.createTopic(topic.name(), PARTITIONS, topic.configs());
        }
        registry.start().awaitHealthy(START_TIMEOUT);
        final List<ServiceProcess> streams = Stream.of(ingest, reducers, snapshots, otas).flatMap(List::stream).toList();
        streams.forEach(ServiceProcess::start);
        streams.forEach(s -> s.awaitHealthy(START_TIMEOUT));
        bridge.start().awaitHealthy(START_TIMEOUT);
        return this;
    }

    List<ServiceProcess> services() {
        return Stream.of(List.of(registry), ingest, reducers, snapshots, otas, List.of(bridge)).flatMap(List::stream).toList();
    }

    /** Waits until every service answers its health check (after a fault healed). */
    void awaitAllHealthy() {
        services().forEach(s -> s.awaitHealthy(START_TIMEOUT));
    }

    @Override
    public void close() {
        final List<ServiceProcess> all = new ArrayList<>(services());
        java.util.Collections.reverse(all);
        all.forEach(ServiceProcess::kill);
        kafka.close();
    }
}
