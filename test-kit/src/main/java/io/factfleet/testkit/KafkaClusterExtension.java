package io.factfleet.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Map;
import java.util.Set;
import java.util.SortedSet;

/**
 * JUnit 5 extension that runs a {@link KafkaCluster} for the tests of a class.
 *
 * <pre>{@code
 * class JournalIT {
 *     @RegisterExtension
 *     static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
 *
 *     @Test
 *     void producesAndConsumes() {
 *         KAFKA.createTopic("facts", 3);
 *         try (var producer = new KafkaProducer<>(KAFKA.producerProps(), ...)) { ... }
 *     }
 * }
 * }</pre>
 *
 * <p>Registered on a {@code static} field, the cluster starts once before the first test of the class
 * and stops after the last one; that is the intended use, because a start costs seconds. Registered on
 * an instance field, it starts and stops around every test instead.
 *
 * <p>Custom broker properties: {@code KafkaClusterExtension.of(KafkaCluster.builder().brokers(3)
 * .brokerConfig("log.retention.ms", "60000"))}.
 */
public final class KafkaClusterExtension implements BeforeAllCallback, AfterAllCallback,
    BeforeEachCallback, AfterEachCallback {

    private final KafkaCluster cluster;
    private boolean startedPerTest;

    private KafkaClusterExtension(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    /** One broker, one controller, test defaults. */
    public static KafkaClusterExtension singleBroker() {
        return new KafkaClusterExtension(KafkaCluster.singleBroker());
    }

    /** {@code brokerCount} brokers, one controller, test defaults. */
    public static KafkaClusterExtension brokers(final int brokerCount) {
        return new KafkaClusterExtension(KafkaCluster.brokers(brokerCount));
    }

    /** A cluster built from a customised {@link KafkaCluster.Builder}. */
    public static KafkaClusterExtension of(final KafkaCluster.Builder builder) {
        return new KafkaClusterExtension(builder.build());
    }

    @Override
    public void beforeAll(final ExtensionContext context) {
        cluster.start();
    }

    @Override
    public void afterAll(final ExtensionContext context) {
        cluster.close();
    }

    @Override
    public void beforeEach(final ExtensionContext context) {
        if (!cluster.isRunning()) {
            startedPerTest = true;
            cluster.start();
        }
    }

    @Override
    public void afterEach(final ExtensionContext context) {
        if (startedPerTest) {
            startedPerTest = false;
            cluster.close();
        }
    }

    /** The running cluster, for everything not delegated below. */
    public KafkaCluster cluster() {
        return cluster;
    }

    /** @see KafkaCluster#bootstrapServers() */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** A new Admin client; the caller closes it. @see KafkaCluster#admin() */
    public Admin admin() {
        return cluster.admin();
    }

    /** @see KafkaCluster#createTopic(String, int) */
    public void createTopic(final String name, final int partitions) {
        cluster.createTopic(name, partitions);
    }

    /** @see KafkaCluster#createTopic(String, int, int, Map) */
    public void createTopic(final String name, final int partitions, final int replication,
                            final Map<String, String> configs) {
        cluster.createTopic(name, partitions, replication, configs);
    }

    /** @see KafkaCluster#deleteTopic(String) */
    public void deleteTopic(final String name) {
        cluster.deleteTopic(name);
    }

    /** @see KafkaCluster#clientProps() */
    public Map<String, Object> clientProps() {
        return cluster.clientProps();
    }

    /** @see KafkaCluster#producerProps() */
    public Map<String, Object> producerProps() {
        return cluster.producerProps();
    }

    /** @see KafkaCluster#consumerProps(String) */
    public Map<String, Object> consumerProps(final String groupId) {
        return cluster.consumerProps(groupId);
    }

    /** @see KafkaCluster#brokerIds() */
    public SortedSet<Integer> brokerIds() {
        return cluster.brokerIds();
    }

    /** @see KafkaCluster#liveBrokerIds() */
    public Set<Integer> liveBrokerIds() {
        return cluster.liveBrokerIds();
    }

    /** @see KafkaCluster#stopBroker(int) */
    public void stopBroker(final int brokerId) {
        cluster.stopBroker(brokerId);
    }

    /** @see KafkaCluster#startBroker(int) */
    public void startBroker(final int brokerId) {
        cluster.startBroker(brokerId);
    }
}
