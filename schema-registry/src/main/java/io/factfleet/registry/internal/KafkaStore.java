package io.factfleet.registry.internal;

import io.factfleet.registry.SchemaRegistryConfig;
import io.factfleet.registry.client.RegistryError;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The registry's Kafka-backed store: a single-partition compacted topic, read from the beginning into
 * {@link RegistryState} at start-up and tailed afterwards by one reader thread.
 *
 * <p>A {@link #write} returns only once this instance's reader has applied the written record
 * (read-your-writes), so the caller sees the state its write produced, in topic order.
 */
final class KafkaStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaStore.class);
    private static final int PARTITION = 0;
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final int MAX_DEFAULT_REPLICATION = 3;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final SchemaRegistryConfig config;
    private final RegistryState state;
    private final TopicPartition partition;
    private final Duration timeout;
    private final String instanceId = UUID.randomUUID().toString().substring(0, 8);

    private Admin admin;
    private KafkaProducer<byte[], byte[]> producer;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread reader;
    private volatile boolean running;
    private volatile Throwable readerFailure;

    /** The reader's position: every record below it has been applied. Guarded by {@code progress}. */
    private long position;
    private final Object progress = new Object();

    KafkaStore(final SchemaRegistryConfig config, final RegistryState state) {
        this.config = config;
        this.state = state;
        this.partition = new TopicPartition(config.topic(), PARTITION);
        this.timeout = config.storeTimeout();
    }

    /**
     * Creates the topic if missing, starts the reader and waits until it has read to the end of the
     * topic as it was when this method began.
     */
    void start(final Duration initTimeout) {
        final long deadline = System.nanoTime() + initTimeout.toNanos();
        final Map<String, Object> clientProps = config.kafkaClientProperties();
        admin = Admin.create(withClientId(clientProps, "admin"));
        ensureTopic(initTimeout);

        final Map<String, Object> producerProps = withClientId(clientProps, "producer");
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());

        final Map<String, Object> consumerProps = withClientId(clientProps, "reader");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());

        running = true;
        reader = new Thread(this::readLoop, "schema-registry-store-reader-" + config.topic());
        reader.setDaemon(true);
        reader.start();

        catchUp(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        LOG.info("Read store topic {} up to offset {}", config.topic(), position());
    }

    /** Why the reader stopped, if it failed. */
    Optional<Throwable> readerFailure() {
        return Optional.ofNullable(readerFailure);
    }

    /**
     * Waits until the reader has applied every record the topic holds now, so that decisions taken next
     * see other writers' records too.
     *
     * @throws RegistryApiException 50001 if that does not happen within {@code within}
     */
    void catchUp(final Duration within) {
        final long deadline = System.nanoTime() + within.toNanos();
        long endOffset = -1;
        while (endOffset < 0) {
            try {
                endOffset = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                    .get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS).offset();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw storeError("Interrupted while reading the end offset of " + config.topic(), e);
            } catch (final ExecutionException e) {
                // A topic created a moment ago may not have a leader yet: retriable errors are retried until the deadline.
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException) || System.nanoTime() - deadline >= 0) {
                    throw storeError("Cannot read the end offset of store topic " + config.topic(), e);
                }
                pause(100);
            } catch (final TimeoutException e) {
                throw storeError("Cannot read the end offset of store topic " + config.topic(), e);
            }
        }
        awaitPosition(endOffset, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    private static void pause(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw storeError("Interrupted while waiting for the store topic", e);
        }
    }

    /**
     * Produces one record ({@code acks=all}, idempotent) and waits until this instance's reader has applied
     * it.
     *
     * @param value the record value, null for a tombstone
     * @throws RegistryApiException 50001 if the write fails or is not read back in time
     */
    void write(final StoreRecords.Key key, final byte[] value) {
        final RecordMetadata written;
        try {
            written = producer.send(new ProducerRecord<>(config.topic(), PARTITION, StoreRecords.encodeKey(key), value))
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw storeError("Interrupted while writing to store topic " + config.topic(), e);
        } catch (final ExecutionException | TimeoutException e) {
            throw storeError("Cannot write to store topic " + config.topic(), e);
        }
        awaitPosition(written.offset() + 1, timeout);
    }

    private void awaitPosition(final long target, final Duration within) {
        final long deadline = System.nanoTime() + within.toNanos();
        synchronized (progress) {
            while (position < target) {
                if (readerFailure != null) {
                    throw storeError("The store reader has stopped", readerFailure);
                }
                final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    throw storeError("Timed out after " + within.toMillis() + " ms waiting to read store topic "
                        + config.topic() + " up to offset " + target + " (read up to " + position + ")", null);
                }
                try {
                    progress.wait(remainingMs);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw storeError("Interrupted while waiting for the store reader", e);
                }
            }
        }
    }

    private long position() {
        synchronized (progress) {
            return position;
        }
    }

    private void readLoop() {
        try {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL_TIMEOUT)) {
                    apply(record);
                }
                final long next = consumer.position(partition);
                synchronized (progress) {
                    if (next != position) {
                        position = next;
                        progress.notifyAll();
                    }
                }
            }
        } catch (final WakeupException e) {
            if (running) {
                fail(e);
            }
        } catch (final RuntimeException | Error e) {
            fail(e);
        } finally {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
    }

    private void fail(final Throwable failure) {
        LOG.error("Store reader of topic {} stopped; the registry cannot serve until restarted", config.topic(),
            failure);
        synchronized (progress) {
            readerFailure = failure;
            progress.notifyAll();
        }
    }

    private void apply(final ConsumerRecord<byte[], byte[]> record) {
        try {
            final Optional<StoreRecords.Key> key = StoreRecords.decodeKey(record.key());
            if (key.isEmpty()) {
                return;
            }
            if (key.get() instanceof StoreRecords.SchemaKey schemaKey) {
                state.applySchema(schemaKey,
                    record.value() == null ? null : StoreRecords.decodeSchemaValue(record.value()));
            } else if (key.get() instanceof StoreRecords.ConfigKey configKey) {
                state.applyConfig(configKey,
                    record.value() == null ? null : StoreRecords.decodeConfigValue(record.value()));
            }
        } catch (final RuntimeException e) {
            LOG.warn("Skipping unreadable record at offset {} of store topic {}: {}", record.offset(),
                config.topic(), e.toString());
        }
    }

    private void ensureTopic(final Duration within) {
        final String topic = config.topic();
        try {
            final TopicDescription description;
            try {
                description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(within.toMillis(), TimeUnit.MILLISECONDS).get(topic);
            } catch (final ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    createTopic(topic, within);
                    return;
                }
                throw e;
            }
            if (description.partitions().size() != 1) {
                throw new IllegalStateException("Store topic " + topic + " has " + description.partitions().size()
                    + " partitions; the registry needs exactly one to keep a single order of writes");
            }
            final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            final Config topicConfig = admin.describeConfigs(List.of(resource)).all()
                .get(within.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            final ConfigEntry policy = topicConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (policy == null || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                LOG.warn("Store topic {} has cleanup.policy={}; it should be compact, or old schemas will be deleted",
                    topic, policy == null ? null : policy.value());
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while checking store topic " + topic, e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot describe store topic " + topic + " at "
                + config.bootstrapServers(), e);
        }
    }

    private void createTopic(final String topic, final Duration within)
        throws InterruptedException, ExecutionException, TimeoutException {
        final short replication = config.topicReplicationFactor().orElse((short) Math.min(MAX_DEFAULT_REPLICATION,
            admin.describeCluster().nodes().get(within.toMillis(), TimeUnit.MILLISECONDS).size()));
        final NewTopic newTopic = new NewTopic(topic, 1, replication)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(newTopic)).all().get(within.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created store topic {} (1 partition, replication factor {}, compacted)", topic, replication);
        } catch (final ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        awaitLeader(topic, within);
    }

    /** A new topic is usable once its partition has a leader; until then reads fail with UnknownTopicOrPartition. */
    private void awaitLeader(final String topic, final Duration within) throws InterruptedException, TimeoutException {
        final long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(within.toMillis(), TimeUnit.MILLISECONDS).get(topic);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (final ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
                    throw new IllegalStateException("Cannot describe the new store topic " + topic, e);
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new TimeoutException("store topic " + topic + " has no leader after " + within);
            }
            pause(100);
        }
    }

    private Map<String, Object> withClientId(final Map<String, Object> base, final String role) {
        final Map<String, Object> props = new HashMap<>(base);
        props.put("client.id", "schema-registry-" + role + "-" + instanceId);
        return props;
    }

    private static RegistryApiException storeError(final String message, final Throwable cause) {
        return new RegistryApiException(RegistryError.STORE_ERROR,
            message + (cause == null ? "" : ": " + cause), cause);
    }

    @Override
    public void close() {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (reader != null) {
            try {
                reader.join(TimeUnit.SECONDS.toMillis(10));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (consumer != null) {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
        if (producer != null) {
            producer.close(CLOSE_TIMEOUT);
        }
        if (admin != null) {
            admin.close(CLOSE_TIMEOUT);
        }
    }
}
