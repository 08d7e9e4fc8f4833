package io.factfleet.contracts;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitions every authority-keyed topic by authority id alone, with the same murmur2 hash as
 * Kafka's default partitioner applied to the authority id. An inbound record keyed by
 * {@code authorityId} and a journal record keyed by {@code authorityId/factId} therefore land on
 * the same partition number, so one Streams task owns an authority end to end.
 */
public final class AuthorityPartitioner implements StreamPartitioner<String, Object>, Partitioner {

    public static int partition(final String authorityId, final int numPartitions) {
        return Utils.toPositive(Utils.murmur2(authorityId.getBytes(StandardCharsets.UTF_8))) % numPartitions;
    }

    /** The partition of a key that is either an authority id or a {@link JournalKey}. */
    public static int partitionOfKey(final String key, final int numPartitions) {
        return partition(JournalKey.authorityOf(key), numPartitions);
    }

    @Override
    public Optional<Set<Integer>> partitions(final String topic, final String key, final Object value, final int numPartitions) {
        return Optional.of(Set.of(partitionOfKey(key, numPartitions)));
    }

    @Override
    public int partition(final String topic, final Object key, final byte[] keyBytes, final Object value, final byte[] valueBytes,
                         final Cluster cluster) {
        final int partitions = cluster.partitionCountForTopic(topic);
        return partitionOfKey(key instanceof String s ? s : new String(keyBytes, StandardCharsets.UTF_8), partitions);
    }

    @Override
    public void configure(final Map<String, ?> configs) {
    }

    @Override
    public void close() {
    }
}
