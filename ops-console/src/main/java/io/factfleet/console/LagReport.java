package io.factfleet.console;

import java.util.List;

/**
 * What the lag monitor knows after its latest sample: every watched consumer group, its topics and partitions.
 * This is the JSON of {@code GET /api/lag} (plus the rendered page fragment).
 *
 * @param generatedAtMillis when the latest sample was taken; 0 before the first
 * @param sampleIntervalMs  the configured sampling interval
 * @param windowMs          the rolling window statuses are judged over
 * @param groups            the groups, by id
 * @param error             why the latest sample failed, or null
 */
public record LagReport(long generatedAtMillis, long sampleIntervalMs, long windowMs, List<GroupLag> groups, String error) {

    /** A report with no sample yet. */
    public static LagReport empty(final long sampleIntervalMs, final long windowMs) {
        return new LagReport(0, sampleIntervalMs, windowMs, List.of(), null);
    }

    /**
     * @param groupId       the consumer group (for Kafka Streams, the application id)
     * @param state         the group's state as the coordinator reports it (STABLE, EMPTY, ...; GONE once it disappeared)
     * @param members       live members
     * @param status        the worst status of its partitions (STOP for an empty or vanished group without partitions)
     * @param totalLag      sum of the partitions' offset lag
     * @param maxTimeLagMillis the largest time lag of its partitions
     * @param topics        the topics it has committed offsets for
     */
    public record GroupLag(String groupId, String state, int members, LagStatus status, long totalLag, long maxTimeLagMillis,
                           List<TopicLag> topics) {
    }

    public record TopicLag(String topic, long lag, LagStatus status, List<PartitionLag> partitions) {
    }

    /**
     * @param lagHistory the offset lag of each sample in the window, oldest first (the sparkline)
     * @param drainSeconds seconds until the lag is consumed at the window's consumption rate; null when nothing was consumed
     */
    public record PartitionLag(int partition, long committedOffset, long logEndOffset, long logStartOffset, long lag, long timeLagMillis,
                               LagStatus status, String reason, double consumptionPerSecond, double lagTrendPerSecond, Double drainSeconds,
                               List<Long> lagHistory) {
    }
}
