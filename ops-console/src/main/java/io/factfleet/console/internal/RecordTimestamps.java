package io.factfleet.console.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The timestamp of the first record at or after an offset, read from the log itself: a consumer without a group
 * assigns the partition, seeks to the offset and takes the first record it is given. This is the real age of the
 * oldest record a group has not consumed, which interpolating between offset/time samples cannot give on compacted
 * topics (offsets there are sparse: the record at the committed offset may be gone, so the first existing record after
 * it is used, exactly the next one the group will read).
 *
 * <p>If no record follows the offset (only transaction markers, as after an exactly-once commit), the answer is
 * absent and the caller counts the time lag as 0. Answers are cached by (partition, offset): a record's timestamp does
 * not change, and a stalled group asks for the same offset every sample; a miss is cached with the log end offset it
 * was asked at and retried once the log grows.
 */
public final class RecordTimestamps implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Duration budget;
    private final Map<Position, Long> found = new HashMap<>();
    private final Map<Position, Long> missingAtLogEnd = new HashMap<>();

    /** Where to look: a partition, an offset, and the log end offset when asked (to know when a miss is worth retrying). */
    public record Request(TopicPartition partition, long offset, long logEndOffset) {
        Position position() {
            return new Position(partition, offset);
        }
    }

    private record Position(TopicPartition partition, long offset) {
    }

    /**
     * @param clientConfig Kafka client properties (bootstrap servers, security)
     * @param budget       how long one lookup round may poll
     */
    public RecordTimestamps(final Map<String, Object> clientConfig, final Duration budget) {
        final Map<String, Object> props = new HashMap<>();
        clientConfig.forEach((k, v) -> {
            if (ConsumerConfig.configNames().contains(k)) {
                props.put(k, v);
            }
        });
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "factfleet-console-timestamps");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024);
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.budget = budget;
    }

    /** The timestamp of the first record at or after each request's offset; a request without one is left out. */
    public synchronized Map<Request, Long> lookup(final Set<Request> requests) {
        final Map<Request, Long> answers = new HashMap<>();
        final List<Request> todo = new ArrayList<>();
        for (final Request r : requests) {
            final Long cached = found.get(r.position());
            final Long missAt = missingAtLogEnd.get(r.position());
            if (cached != null) {
                answers.put(r, cached);
            } else if (missAt == null || missAt < r.logEndOffset()) {
                todo.add(r);
            }
        }
        // One position per partition at a time: groups at different offsets of one partition take several rounds.
        while (!todo.isEmpty()) {
            final Map<TopicPartition, Request> round = new LinkedHashMap<>();
            todo.removeIf(r -> round.putIfAbsent(r.partition(), r) == null);
            answers.putAll(lookupRound(round));
        }
        found.keySet().retainAll(requests.stream().map(Request::position).toList());
        missingAtLogEnd.keySet().retainAll(requests.stream().map(Request::position).toList());
        return answers;
    }

    private Map<Request, Long> lookupRound(final Map<TopicPartition, Request> round) {
        consumer.assign(round.keySet());
        round.forEach((tp, r) -> consumer.seek(tp, r.offset()));
        final Map<Request, Long> answers = new HashMap<>();
        final Set<TopicPartition> open = new HashSet<>(round.keySet());
        final long deadline = System.nanoTime() + budget.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                final TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                final Request r = round.get(tp);
                if (r != null && open.contains(tp) && record.offset() >= r.offset()) {
                    answers.put(r, record.timestamp());
                    found.put(r.position(), record.timestamp());
                    open.remove(tp);
                    consumer.pause(List.of(tp));
                }
            }
            // A partition whose position reached the log end offset has nothing more to give.
            open.removeIf(tp -> {
                final boolean exhausted = consumer.position(tp) >= round.get(tp).logEndOffset();
                if (exhausted) {
                    missingAtLogEnd.put(round.get(tp).position(), round.get(tp).logEndOffset());
                }
                return exhausted;
            });
        }
        consumer.resume(consumer.paused());
        consumer.assign(List.of());
        return answers;
    }

    @Override
    public synchronized void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
}
