package io.factfleet.testkit;

import kafka.server.BrokerServer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A real, in-process Apache Kafka cluster in KRaft mode, built on Kafka's own
 * {@link KafkaClusterTestKit} (the way Kafka Streams' {@code EmbeddedKafkaCluster} does it).
 *
 * <p>Use it directly where JUnit is not in charge (deploy launchers, benchmarks):
 * <pre>{@code
 * try (KafkaCluster kafka = KafkaCluster.builder().brokers(3).build()) {
 *     kafka.start();
 *     kafka.createTopic("facts", 6, 3, Map.of());
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 * and through {@link KafkaClusterExtension} in JUnit 5 tests.
 *
 * <p>The cluster has one KRaft controller (fast start-up) and {@code n} brokers with ids
 * {@code 0..n-1}. By default the controller runs combined with broker 0 (one process role pair
 * fewer to start); {@link Builder#isolatedController(boolean)} gives it its own node.
 *
 * <p>Broker defaults are chosen for tests, see {@link Builder#build()}; every one of them can be
 * overridden with {@link Builder#brokerConfig(String, Object)}.
 *
 * <p>{@link #start()} returns once the cluster has passed a readiness check: a topic was created,
 * a record was produced to it and consumed back by a consumer group, and both were removed again.
 *
 * <p>Instances are safe to share between the tests of a class; {@link #stopBroker(int)} and
 * {@link #startBroker(int)} should not be called concurrently with each other.
 */
public final class KafkaCluster implements AutoCloseable {

    /** Upper bound for every wait this class performs (start-up, topic creation, readiness). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);

    /** The broker's super user on a {@linkplain Builder#saslScramWithAcls() secured} cluster (Kafka's test kit creates it). */
    public static final String SUPER_USER = "plain-admin";
    private static final String SUPER_USER_PASSWORD = "plain-admin-secret";
    /** The SASL mechanism clients of a secured cluster authenticate with. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

    private final int brokerCount;
    private final boolean isolatedController;
    private final boolean secured;
    private final Map<String, Object> brokerConfig;
    private final Map<String, Object> clientConfig;

    private KafkaClusterTestKit cluster;
    private volatile boolean running;

    private KafkaCluster(final Builder builder) {
        this.brokerCount = builder.brokerCount;
        this.isolatedController = builder.isolatedController;
        this.secured = builder.secured;
        this.brokerConfig = Map.copyOf(builder.effectiveBrokerConfig());
        this.clientConfig = Map.copyOf(builder.clientConfig);
    }

    /** A builder with one broker and the test defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A cluster of one broker (and one controller) with the test defaults; not yet started. */
    public static KafkaCluster singleBroker() {
        return builder().build();
    }

    /** A cluster of {@code brokerCount} brokers and one controller with the test defaults; not yet started. */
    public static KafkaCluster brokers(final int brokerCount) {
        return builder().brokers(brokerCount).build();
    }

    /**
     * Formats the storage of every node, starts the controller and the brokers, waits until all
     * brokers are registered and unfenced, then runs the readiness check.
     *
     * @throws IllegalStateException if already started
     * @throws KafkaException if the cluster does not come up
     */
    public synchronized void start() {
        if (cluster != null) {
            throw new IllegalStateException("Kafka cluster already started");
        }
        final long startNanos = System.nanoTime();
        try {
            final KafkaClusterTestKit.Builder testKitBuilder = new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(!isolatedController)
                    .setNumBrokerNodes(brokerCount)
                    .setNumControllerNodes(1)
                    .setBrokerSecurityProtocol(secured ? SecurityProtocol.SASL_PLAINTEXT : SecurityProtocol.PLAINTEXT)
                    .setControllerSecurityProtocol(secured ? SecurityProtocol.SASL_PLAINTEXT : SecurityProtocol.PLAINTEXT)
                    .build());
            brokerConfig.forEach(testKitBuilder::setConfigProp);
            cluster = testKitBuilder.build();
            ignoreNonFatalFaults(cluster);
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            running = true;
            verifyReadiness();
        } catch (final Exception e) {
            closeQuietly();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new KafkaException("Failed to start the in-process Kafka cluster", e);
        }
        LOG.info("Kafka cluster with {} broker(s) ready at {} after {} ms", brokerCount, bootstrapServers(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /** True between a successful {@link #start()} and {@link #close()}. */
    public boolean isRunning() {
        return running;
    }

    /** Shuts every node down and deletes the cluster's data directories. Idempotent. */
    @Override
    public synchronized void close() {
        running = false;
        if (cluster == null) {
            return;
        }
        try {
            cluster.close();
        } catch (final Exception e) {
            throw new KafkaException("Failed to shut down the in-process Kafka cluster", e);
        } finally {
            cluster = null;
        }
    }

    /** The {@code bootstrap.servers} value for clients, e.g. {@code localhost:40123,localhost:40125}. */
    public String bootstrapServers() {
        return testKit().bootstrapServers();
    }

    /** Number of brokers the cluster was built with (running or stopped). */
    public int brokerCount() {
        return brokerCount;
    }

    /** Ids of all brokers the cluster was built with (running or stopped), ascending. */
    public SortedSet<Integer> brokerIds() {
        return new TreeSet<>(testKit().brokers().keySet());
    }

    /**
     * The replication factor the defaults use for internal topics and {@link #createTopic(String, int)}:
     * {@code min(3, brokers)}.
     */
    public int defaultReplicationFactor() {
        return defaultReplicationFactor(brokerCount);
    }

    /**
     * Client properties every client of this cluster needs: {@code bootstrap.servers} plus any client
     * properties given to {@link Builder#clientConfig(String, Object)}. A fresh, mutable map.
     */
    public Map<String, Object> clientProps() {
        final Map<String, Object> props = new HashMap<>(clientConfig);
        if (secured) {
            props.putIfAbsent("security.protocol", SecurityProtocol.SASL_PLAINTEXT.name);
            props.putIfAbsent("sasl.mechanism", "PLAIN");
            props.putIfAbsent("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                    + SUPER_USER + "\" password=\"" + SUPER_USER_PASSWORD + "\";");
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /**
     * Producer properties: {@link #clientProps()} plus {@code acks=all}, idempotence, and byte-array
     * serializers (serializer instances passed to the {@link KafkaProducer} constructor take
     * precedence). A fresh, mutable map.
     */
    public Map<String, Object> producerProps() {
        final Map<String, Object> props = clientProps();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return props;
    }

    /**
     * Consumer properties: {@link #clientProps()} plus the given group, {@code auto.offset.reset=earliest},
     * no auto-commit, and byte-array deserializers (deserializer instances passed to the
     * {@link KafkaConsumer} constructor take precedence). A fresh, mutable map.
     */
    public Map<String, Object> consumerProps(final String groupId) {
        final Map<String, Object> props = clientProps();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, Objects.requireNonNull(groupId, "groupId"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return props;
    }

    /**
     * A new {@link Admin} client for this cluster. The caller owns it and must close it
     * (try-with-resources).
     */
    public Admin admin() {
        return Admin.create(clientProps());
    }

    /**
     * Creates a topic with {@code partitions} partitions, the {@linkplain #defaultReplicationFactor()
     * default replication factor} and no extra configs. See {@link #createTopic(String, int, int, Map)}.
     */
    public void createTopic(final String name, final int partitions) {
        createTopic(name, partitions, defaultReplicationFactor(), Map.of());
    }

    /**
     * Creates a topic and waits until every partition has a leader, so producers and consumers can use
     * it at once. A topic that already exists is left as it is.
     *
     * @param configs topic-level configs, e.g. {@code Map.of("cleanup.policy", "compact")}
     * @throws IllegalArgumentException if {@code replication} exceeds the number of brokers
     */
    public void createTopic(final String name, final int partitions, final int replication,
                            final Map<String, String> configs) {
        if (replication > brokerCount) {
            throw new IllegalArgumentException("Replication factor " + replication + " for topic " + name
                + " exceeds the " + brokerCount + " broker(s) of this cluster");
        }
        try (Admin admin = admin()) {
            final NewTopic topic = new NewTopic(name, partitions, (short) replication).configs(configs);
            try {
                admin.createTopics(List.of(topic)).all().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new KafkaException("Failed to create topic " + name, e.getCause());
                }
            }
            Await.until("topic " + name + " has a leader for every partition", DEFAULT_TIMEOUT,
                () -> allPartitionsHaveLeaders(admin, name, partitions));
        } catch (final InterruptedException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new KafkaException("Failed to create topic " + name, e);
        }
    }

    /** Deletes a topic and waits until it is gone; a topic that does not exist is ignored. */
    public void deleteTopic(final String name) {
        try (Admin admin = admin()) {
            try {
                admin.deleteTopics(List.of(name)).all().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new KafkaException("Failed to delete topic " + name, e.getCause());
                }
            }
            Await.until("topic " + name + " is deleted", DEFAULT_TIMEOUT,
                () -> !admin.listTopics().names().get().contains(name));
        } catch (final InterruptedException | TimeoutException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new KafkaException("Failed to delete topic " + name, e);
        }
    }

    /**
     * Shuts one broker down (controlled shutdown: its partitions move leadership first) and waits until
     * it has stopped. The cluster's controller keeps running. For failure tests.
     *
     * @throws IllegalArgumentException if there is no broker with that id
     */
    public void stopBroker(final int brokerId) {
        final BrokerServer broker = broker(brokerId);
        broker.shutdown();
        broker.awaitShutdown();
        Await.until("broker " + brokerId + " is gone from the cluster metadata", DEFAULT_TIMEOUT,
            () -> !liveBrokerIds().contains(brokerId));
    }

    /**
     * Starts a broker stopped by {@link #stopBroker(int)} again, on the same port and with the same
     * data, and waits until the cluster lists it as live.
     *
     * @throws IllegalArgumentException if there is no broker with that id
     */
    public void startBroker(final int brokerId) {
        broker(brokerId).startup();
        Await.until("broker " + brokerId + " is live in the cluster metadata", DEFAULT_TIMEOUT,
            () -> liveBrokerIds().contains(brokerId));
    }

    /** Ids of the brokers the cluster's metadata currently lists as live (registered and unfenced). */
    public Set<Integer> liveBrokerIds() {
        try (Admin admin = admin()) {
            final Collection<Node> nodes = admin.describeCluster().nodes()
                .get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return nodes.stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while describing the cluster", e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new KafkaException("Failed to describe the cluster", e);
        }
    }

    /**
     * The underlying Kafka test kit, for what this class does not wrap (controllers, raft managers,
     * fault handlers). Ties the caller to Kafka's internal test API: prefer the methods above.
     */
    /**
     * Creates (or replaces) a SCRAM-SHA-512 user on a {@linkplain Builder#saslScramWithAcls() secured}
     * cluster and waits until every broker knows it.
     */
    public void createScramUser(final String user, final String password) {
        if (!secured) {
            throw new IllegalStateException("SCRAM users need a cluster built with saslScramWithAcls()");
        }
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            final long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
            while (!admin.describeUserScramCredentials(List.of(user)).all().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).containsKey(user)) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaException("SCRAM user " + user + " did not appear within " + DEFAULT_TIMEOUT);
                }
                Thread.sleep(50);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating SCRAM user " + user, e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new KafkaException("cannot create SCRAM user " + user, e);
        }
    }

    /** The client settings a service of a secured cluster authenticates with as {@code user}. */
    public static Map<String, String> scramClientSettings(final String user, final String password) {
        return Map.of("security.protocol", SecurityProtocol.SASL_PLAINTEXT.name, "sasl.mechanism", SCRAM_MECHANISM,
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                        + "\" password=\"" + password + "\";");
    }

    public KafkaClusterTestKit testKit() {
        final KafkaClusterTestKit current = cluster;
        if (current == null) {
            throw new IllegalStateException("Kafka cluster is not started");
        }
        return current;
    }

    private BrokerServer broker(final int brokerId) {
        final BrokerServer broker = testKit().brokers().get(brokerId);
        if (broker == null) {
            throw new IllegalArgumentException("No broker with id " + brokerId + "; brokers are " + brokerIds());
        }
        return broker;
    }

    private static boolean allPartitionsHaveLeaders(final Admin admin, final String topic, final int partitions)
        throws Exception {
        final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        return description.partitions().size() == partitions
            && description.partitions().stream().map(TopicPartitionInfo::leader)
                .allMatch(leader -> leader != null && !leader.isEmpty());
    }

    /**
     * Creates a topic, produces one record, consumes it back through a consumer group, then deletes the
     * group and the topic. Broker registration alone does not prove the group coordinator is loaded or
     * that topic creation works; this does.
     */
    private void verifyReadiness() throws Exception {
        final String suffix = UUID.randomUUID().toString();
        final String topic = "testkit-readiness-" + suffix;
        final String group = "testkit-readiness-" + suffix;
        createTopic(topic, 1, 1, Map.of());

        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(producerProps(), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "readiness", "ping"))
                .get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        try (KafkaConsumer<String, String> consumer =
                 new KafkaConsumer<>(consumerProps(group), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            final long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
            boolean received = false;
            while (!received && System.nanoTime() - deadline < 0) {
                final ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                received = !records.isEmpty();
            }
            if (!received) {
                throw new KafkaException("Readiness check failed: the record produced to " + topic
                    + " was not consumed back within " + DEFAULT_TIMEOUT);
            }
        }

        try (Admin admin = admin()) {
            admin.deleteConsumerGroups(List.of(group)).all().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        deleteTopic(topic);
    }

    /**
     * Errors Kafka itself treats as non-fatal (e.g. from a broker stopped by a failure test) must not
     * fail {@link #close()}; fatal ones still do. Called reflectively because {@code MockFaultHandler}'s
     * interface lives in kafka-server-common, which Kafka only puts on the runtime classpath.
     */
    private static void ignoreNonFatalFaults(final KafkaClusterTestKit testKit) throws ReflectiveOperationException {
        final Object handler = KafkaClusterTestKit.class.getMethod("nonFatalFaultHandler").invoke(testKit);
        handler.getClass().getMethod("setIgnore", boolean.class).invoke(handler, true);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (final RuntimeException e) {
            LOG.warn("Error while shutting down a Kafka cluster that failed to start", e);
        }
    }

    private static int defaultReplicationFactor(final int brokers) {
        return Math.min(3, brokers);
    }

    /** Builds a {@link KafkaCluster}. */
    public static final class Builder {

        private int brokerCount = 1;
        private boolean isolatedController;
        private boolean secured;
        private final Map<String, Object> brokerOverrides = new LinkedHashMap<>();
        private final Map<String, Object> clientConfig = new LinkedHashMap<>();

        private Builder() {
        }

        /** Number of brokers, at least 1 (default 1). Broker ids are {@code 0..n-1}. */
        public Builder brokers(final int count) {
            if (count < 1) {
                throw new IllegalArgumentException("A cluster needs at least one broker, got " + count);
            }
            this.brokerCount = count;
            return this;
        }

        /**
         * Run the single KRaft controller on a node of its own instead of combined with broker 0
         * (default false). Slower to start; useful when a test stops broker 0 and wants the controller
         * untouched by it even at the process-role level.
         */
        public Builder isolatedController(final boolean isolated) {
            this.isolatedController = isolated;
            return this;
        }

        /**
         * A secured cluster: clients must authenticate with SASL (SCRAM-SHA-512 for the users a test
         * creates with {@link #createScramUser}; PLAIN for the test kit's super user, which brokers use
         * between themselves and {@link #clientProps()} uses), and Kafka's {@code StandardAuthorizer}
         * refuses everything that no ACL allows.
         */
        public Builder saslScramWithAcls() {
            this.secured = true;
            brokerOverrides.put("sasl.enabled.mechanisms", "PLAIN," + SCRAM_MECHANISM);
            // The controller listener stays PLAIN: only the test kit's super user (the nodes themselves) uses it.
            brokerOverrides.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
            brokerOverrides.put("listener.name.external." + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            return this;
        }

        /** Sets (or overrides a default of) a broker property, applied to every node. */
        public Builder brokerConfig(final String name, final Object value) {
            brokerOverrides.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Sets broker properties, applied to every node. */
        public Builder brokerConfig(final Map<String, ?> properties) {
            properties.forEach(this::brokerConfig);
            return this;
        }

        /**
         * Adds a property every client built from {@link #clientProps()} gets (e.g. security settings
         * matching custom listeners).
         */
        public Builder clientConfig(final String name, final Object value) {
            clientConfig.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Builds the cluster (not started). Broker defaults, each overridable:
         * <ul>
         *   <li>{@code offsets.topic.replication.factor}, {@code transaction.state.log.replication.factor},
         *       {@code default.replication.factor} = {@code min(3, brokers)}</li>
         *   <li>{@code min.insync.replicas}, {@code transaction.state.log.min.isr} = replication factor − 1
         *       (at least 1), so a three-broker cluster keeps accepting {@code acks=all} writes with one
         *       broker down</li>
         *   <li>{@code offsets.topic.num.partitions=5}, {@code transaction.state.log.num.partitions=5}</li>
         *   <li>{@code group.initial.rebalance.delay.ms=0}, {@code group.min.session.timeout.ms=0}</li>
         *   <li>{@code broker.heartbeat.interval.ms=500}, {@code broker.session.timeout.ms=4000}: a stopped
         *       broker can register again only after its old session expired, so the default 9 s would
         *       make every {@link #startBroker(int)} take about that long</li>
         *   <li>{@code auto.create.topics.enable=false}, {@code delete.topic.enable=true}</li>
         *   <li>{@code log.cleaner.dedupe.buffer.size=2 MiB}, {@code log.segment.bytes=16 MiB}</li>
         * </ul>
         */
        public KafkaCluster build() {
            return new KafkaCluster(this);
        }

        private Map<String, Object> effectiveBrokerConfig() {
            final int replication = defaultReplicationFactor(brokerCount);
            final int minInsync = Math.max(1, replication - 1);
            final Map<String, Object> config = new LinkedHashMap<>();
            config.put("offsets.topic.replication.factor", String.valueOf(replication));
            config.put("offsets.topic.num.partitions", "5");
            config.put("transaction.state.log.replication.factor", String.valueOf(replication));
            config.put("transaction.state.log.min.isr", String.valueOf(minInsync));
            config.put("transaction.state.log.num.partitions", "5");
            config.put("default.replication.factor", String.valueOf(replication));
            config.put("min.insync.replicas", String.valueOf(minInsync));
            config.put("broker.heartbeat.interval.ms", "500");
            config.put("broker.session.timeout.ms", "4000");
            config.put("group.initial.rebalance.delay.ms", "0");
            config.put("group.min.session.timeout.ms", "0");
            config.put("auto.create.topics.enable", "false");
            config.put("delete.topic.enable", "true");
            config.put("log.cleaner.dedupe.buffer.size", String.valueOf(2L * 1024 * 1024));
            config.put("log.segment.bytes", String.valueOf(16 * 1024 * 1024));
            config.putAll(brokerOverrides);
            return config;
        }
    }
}
