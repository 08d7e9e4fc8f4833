package io.factfleet.system.reliability;

import io.factfleet.deploy.LocalBroker;
import io.factfleet.testkit.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

/**
 * Three real Kafka nodes (KRaft, each broker and controller, a three-voter quorum), each its own JVM started from Kafka's
 * jars by {@link LocalBroker}: replication 3 and {@code min.insync.replicas=2}, as Kafka's transactions system test. Not
 * Kafka's in-process test kit, because the faults here are the operating system's (SIGKILL, SIGSTOP of one broker, of the
 * active controller), which an in-process broker cannot suffer alone.
 */
final class ProcessKafkaCluster implements AutoCloseable {
    static final int NODES = 3;
    private final List<LocalBroker> nodes = new ArrayList<>();

    ProcessKafkaCluster(final Path dir) {
        final String clusterId = Uuid.randomUuid().toString();
        final int[] ports = freePorts(2 * NODES);
        final String voters = java.util.stream.IntStream.range(0, NODES)
                .mapToObj(i -> i + "@" + LocalBroker.HOST + ":" + ports[NODES + i]).collect(Collectors.joining(","));
        for (int i = 0; i < NODES; i++) {
            nodes.add(LocalBroker.builder(dir.resolve("kafka-" + i)).port(ports[i]).controllerPort(ports[NODES + i]).maxHeap("384m")
                    .cluster(i, voters, clusterId, NODES)
                    // A killed broker's session ends after this, not Kafka's 9 s: the faults' recovery is what is measured.
                    .brokerConfig("broker.session.timeout.ms", "4000").brokerConfig("broker.heartbeat.interval.ms", "500")
                    .brokerConfig("group.min.session.timeout.ms", "1000")
                    .brokerConfig("offsets.topic.num.partitions", "6").brokerConfig("transaction.state.log.num.partitions", "6")
                    .stopTimeout(Duration.ofSeconds(60)).build());
        }
    }

    /** Launches every node and waits until each answers. */
    ProcessKafkaCluster start() {
        nodes.forEach(LocalBroker::launch);
        nodes.forEach(LocalBroker::awaitReady);
        awaitAllRegistered();
        return this;
    }

    String bootstrapServers() {
        return nodes.stream().map(LocalBroker::bootstrapServers).collect(Collectors.joining(","));
    }

    LocalBroker node(final int id) {
        return nodes.get(id);
    }

    List<LocalBroker> nodes() {
        return nodes;
    }

    Admin admin() {
        final Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        return Admin.create(p);
    }

    /** The node id of the KRaft quorum's leader: the active controller. */
    int activeController() {
        try (Admin admin = admin()) {
            return admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot describe the metadata quorum", e);
        }
    }

    void createTopic(final String name, final int partitions, final Map<String, String> configs) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) NODES).configs(configs))).all().get(60, TimeUnit.SECONDS);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot create topic " + name, e);
        }
    }

    /** Waits until all three brokers are in the cluster's metadata (a restarted one has registered again). */
    void awaitAllRegistered() {
        Await.until("all " + NODES + " brokers are registered", Duration.ofSeconds(120), () -> {
            try (Admin admin = admin()) {
                return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == NODES;
            }
        });
    }

    /** Waits until every partition of every topic has all three replicas in sync again (after a broker came back). */
    void awaitFullyReplicated() {
        Await.until("every partition has " + NODES + " in-sync replicas", Duration.ofSeconds(180), () -> {
            try (Admin admin = admin()) {
                final var names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get(10, TimeUnit.SECONDS);
                return admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values().stream()
                        .flatMap(t -> t.partitions().stream()).allMatch(p -> p.isr().size() == NODES);
            }
        });
    }

    static int[] freePorts(final int count) {
        final List<ServerSocket> sockets = new ArrayList<>();
        try {
            final int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                final ServerSocket s = new ServerSocket(0);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            sockets.forEach(s -> {
                try {
                    s.close();
                } catch (final IOException ignored) {
                    // closing a probe socket
                }
            });
        }
    }

    @Override
    public void close() {
        nodes.forEach(LocalBroker::kill);
    }
}
