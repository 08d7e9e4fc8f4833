package io.factfleet.console;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * A real group member on its own thread that either consumes and commits after every poll, or (paused) keeps polling
 * with its partitions paused: still a live member of the group, but its committed offsets stand still.
 */
final class PausableConsumer implements AutoCloseable {
    private final Thread thread;
    private final AtomicLong consumed = new AtomicLong();
    private volatile boolean committing = true;
    private volatile boolean running = true;
    private volatile boolean pausedAck;

    PausableConsumer(final Map<String, Object> props, final String topic) {
        thread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                consumer.subscribe(List.of(topic));
                while (running) {
                    if (committing) {
                        pausedAck = false;
                        consumer.resume(consumer.paused());
                        consumed.addAndGet(consumer.poll(Duration.ofMillis(100)).count());
                        consumer.commitSync();
                    } else {
                        consumer.pause(consumer.assignment());
                        pausedAck = true;
                        consumer.poll(Duration.ofMillis(100));
                    }
                }
            }
        }, "pausable-consumer-" + topic);
        thread.start();
    }

    /** Stops committing; returns once the consumer thread paused its partitions (nothing produced after this is committed). */
    void pause() {
        committing = false;
        io.factfleet.testkit.Await.until("the consumer thread paused its partitions", Duration.ofSeconds(30), () -> pausedAck || !thread.isAlive());
    }

    void resume() {
        committing = true;
    }

    long consumed() {
        return consumed.get();
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(30_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
