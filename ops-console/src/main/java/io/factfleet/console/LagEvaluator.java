package io.factfleet.console;

import java.util.List;
import java.util.Objects;

/**
 * Judges one partition of one consumer group from the samples of a rolling window (pure: no Kafka, no clock).
 *
 * <p>Rules, first match wins (as Burrow's, with time lag and drain added):
 * <ol>
 * <li>{@link LagStatus#ERROR}: the latest committed offset is below the latest log start offset;</li>
 * <li>{@link LagStatus#STOP}: the group is empty or gone;</li>
 * <li>fewer than {@code minSamples} samples: {@link LagStatus#OK} (too early to judge a trend);</li>
 * <li>{@link LagStatus#STALL}: the committed offset is the same in every sample of the window and the lag is above zero
 *     in every sample;</li>
 * <li>{@link LagStatus#WARN}: the lag never shrank from one sample to the next and ends higher than it began;</li>
 * <li>{@link LagStatus#OK}.</li>
 * </ol>
 * The drain-time estimate is the latest lag divided by the consumption rate over the window (committed offsets per
 * second); absent when the group consumed nothing in the window while it has lag.
 */
public final class LagEvaluator {
    private final int minSamples;

    /** @param minSamples samples a window needs before a trend (STALL, WARN) is judged; at least 2 */
    public LagEvaluator(final int minSamples) {
        if (minSamples < 2) {
            throw new IllegalArgumentException("minSamples must be at least 2, got " + minSamples);
        }
        this.minSamples = minSamples;
    }

    /** Whether the group has live members. */
    public enum Presence { ACTIVE, EMPTY, GONE }

    /**
     * @param status                 the partition's status
     * @param reason                 why, in a sentence an operator can act on
     * @param consumptionPerSecond   committed offsets per second over the window (0 when fewer than two samples)
     * @param lagTrendPerSecond      change of the lag per second over the window (positive: falling behind)
     * @param drainSeconds           estimated seconds until the lag is consumed at the window's rate; 0 without lag;
     *                               null when nothing was consumed in the window
     */
    public record Verdict(LagStatus status, String reason, double consumptionPerSecond, double lagTrendPerSecond, Double drainSeconds) {
        public Verdict {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * @param window   the window's samples, oldest first; at least one
     * @param presence whether the group has members
     */
    public Verdict evaluate(final List<PartitionSample> window, final Presence presence) {
        if (window.isEmpty()) {
            throw new IllegalArgumentException("a verdict needs at least one sample");
        }
        final PartitionSample first = window.get(0);
        final PartitionSample last = window.get(window.size() - 1);
        final double seconds = (last.atMillis() - first.atMillis()) / 1000.0;
        final double rate = seconds > 0 ? Math.max(0, last.committedOffset() - first.committedOffset()) / seconds : 0;
        final double trend = seconds > 0 ? (last.lag() - first.lag()) / seconds : 0;
        final Double drain = last.lag() == 0 ? Double.valueOf(0) : rate > 0 ? Double.valueOf(last.lag() / rate) : null;

        if (last.committedOffset() < last.logStartOffset()) {
            return new Verdict(LagStatus.ERROR, "committed offset " + last.committedOffset() + " is below the log start offset "
                    + last.logStartOffset() + ": " + (last.logStartOffset() - last.committedOffset())
                    + " record(s) were deleted before the group read them; reset the group's offset to decide where it resumes", rate, trend, drain);
        }
        if (presence != Presence.ACTIVE) {
            return new Verdict(LagStatus.STOP, presence == Presence.GONE ? "the group no longer exists"
                    : "the group has no members: no consumer is running" + (last.lag() > 0 ? " and " + last.lag() + " record(s) wait" : ""),
                    rate, trend, drain);
        }
        if (window.size() < minSamples) {
            return new Verdict(LagStatus.OK, "collecting samples (" + window.size() + " of " + minSamples + ")", rate, trend, drain);
        }
        final boolean committedStill = window.stream().allMatch(s -> s.committedOffset() == first.committedOffset());
        final boolean alwaysLagging = window.stream().allMatch(s -> s.lag() > 0);
        if (committedStill && alwaysLagging) {
            return new Verdict(LagStatus.STALL, "committed offset stuck at " + last.committedOffset() + " for " + Math.round(seconds)
                    + " s while " + last.lag() + " record(s) wait: the consumer is alive but not committing (paused, blocked or failing)",
                    rate, trend, drain);
        }
        boolean neverShrank = true;
        for (int i = 1; i < window.size(); i++) {
            neverShrank &= window.get(i).lag() >= window.get(i - 1).lag();
        }
        if (neverShrank && last.lag() > first.lag()) {
            return new Verdict(LagStatus.WARN, "lag grew from " + first.lag() + " to " + last.lag() + " over " + Math.round(seconds)
                    + " s: the group consumes slower than records arrive", rate, trend, drain);
        }
        return new Verdict(LagStatus.OK, last.lag() == 0 ? "caught up" : "consuming; lag not growing", rate, trend, drain);
    }
}
