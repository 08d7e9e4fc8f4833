package io.factfleet.console;

/**
 * One observation of one consumer group's position in one partition.
 *
 * @param atMillis        when it was taken (wall clock)
 * @param committedOffset the group's committed offset
 * @param logEndOffset    the partition's log end offset ({@code OffsetSpec.latest()})
 * @param logStartOffset  the partition's log start offset ({@code OffsetSpec.earliest()})
 * @param timeLagMillis   how old the oldest unconsumed record is: {@code atMillis} minus the timestamp of the first record
 *                        at or after the committed offset; 0 when there is no lag or no such record (see {@code RecordTimestamps})
 */
public record PartitionSample(long atMillis, long committedOffset, long logEndOffset, long logStartOffset, long timeLagMillis) {

    /** Offset lag as {@code kafka-consumer-groups --describe} reports it: log end offset minus committed offset, at least 0. */
    public long lag() {
        return Math.max(0, logEndOffset - committedOffset);
    }
}
