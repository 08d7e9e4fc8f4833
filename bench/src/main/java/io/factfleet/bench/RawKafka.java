package io.factfleet.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The equivalent of Kafka's {@code ProducerPerformance} and {@code ConsumerPerformance} loops
 * (without the kafka-tools jar, which pulls in connect-runtime and Jetty 12): one producer sending
 * as fast as it can with a callback per record, one consumer reading everything back.
 */
final class RawKafka {
    private RawKafka() {
    }

    /** Records, elapsed time, and the rate. */
    record Run(long records, long bytes, long nanos) {
        double perSecond() {
            return records * 1e9 / nanos;
        }

        double megabytesPerSecond() {
            return bytes * 1e9 / nanos / (1024.0 * 1024.0);
        }

        double seconds() {
            return nanos / 1e9;
        }
    }

    /**
     * Sends {@code records} records to {@code topic}, each with a value of exactly {@code valueBytes}
     * random bytes and a key taken round-robin from {@code keys} (the same keys the facts use), and
     * returns the time from the first send to the moment {@code flush()} returned, i.e. every record
     * acknowledged.
     */
    static Run produce(final Map<String, Object> producerProps, final String topic, final long records, final int valueBytes,
                       final List<String> keys) {
        final byte[] value = new byte[valueBytes];
        new Random(42).nextBytes(value);
        final AtomicLong acked = new AtomicLong();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
            // Metadata first, as ProducerPerformance's first send would otherwise include it.
            producer.partitionsFor(topic);
            final long start = System.nanoTime();
            for (long i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, keys.get((int) (i % keys.size())), value), (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        acked.incrementAndGet();
                    }
                });
            }
            producer.flush();
            final long nanos = System.nanoTime() - start;
            if (failure.get() != null) {
                throw new IllegalStateException("raw producer send failed", failure.get());
            }
            if (acked.get() != records) {
                throw new IllegalStateException("raw producer: " + acked.get() + " of " + records + " acknowledged");
            }
            return new Run(records, records * (long) valueBytes, nanos);
        }
    }

    /**
     * Reads {@code records} records from every partition of {@code topic}, from the beginning, with a
     * consumer that is assigned the partitions (no group, so no rebalance in the figure) and the
     * default {@code read_uncommitted} isolation (the raw producer is not transactional, so
     * read_committed would read the same records). Time: first poll to last record.
     */
    static Run consume(final Map<String, Object> clientProps, final String topic, final long records) {
        final Map<String, Object> props = new java.util.HashMap<>(clientProps);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo p : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long count = 0;
            long bytes = 0;
            final long start = System.nanoTime();
            long last = start;
            final long deadline = start + Duration.ofMinutes(2).toNanos();
            while (count < records) {
                final ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                for (final var r : batch) {
                    count++;
                    bytes += r.value().length;
                }
                if (!batch.isEmpty()) {
                    last = System.nanoTime();
                }
                if (last > deadline || System.nanoTime() > deadline) {
                    throw new IllegalStateException("raw consumer read only " + count + " of " + records + " records in 2 minutes");
                }
            }
            return new Run(count, bytes, last - start);
        }
    }
}
