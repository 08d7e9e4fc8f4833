package io.factfleet.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LagEvaluatorTest {
    private final LagEvaluator evaluator = new LagEvaluator(3);

    /** Samples one second apart: each row is {committed, logEnd, logStart}. */
    private static List<PartitionSample> samples(final long[]... rows) {
        final List<PartitionSample> out = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            out.add(new PartitionSample(1_000L * i, rows[i][0], rows[i][1], rows[i][2], 0));
        }
        return out;
    }

    @Test
    void aCaughtUpGroupIsOkWithNoDrainTime() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {10, 10, 0}, new long[] {12, 12, 0}, new long[] {15, 15, 0}),
                LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).isEqualTo(LagStatus.OK);
        assertThat(v.drainSeconds()).isEqualTo(0.0);
    }

    @Test
    void committedOffsetUnchangedWhileLaggingIsStall() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {5, 8, 0}, new long[] {5, 12, 0}, new long[] {5, 20, 0}),
                LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).isEqualTo(LagStatus.STALL);
        assertThat(v.reason()).contains("stuck at 5").contains("15 record(s) wait");
        assertThat(v.drainSeconds()).as("nothing consumed: no drain estimate").isNull();
    }

    @Test
    void committedOffsetUnchangedWithoutLagIsOk() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {5, 5, 0}, new long[] {5, 5, 0}, new long[] {5, 5, 0}),
                LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).isEqualTo(LagStatus.OK);
    }

    @Test
    void stallNeedsLagInEverySampleOfTheWindow() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {5, 5, 0}, new long[] {5, 6, 0}, new long[] {5, 7, 0}),
                LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).as("the lag appeared within the window; it grew, so WARN").isEqualTo(LagStatus.WARN);
    }

    @Test
    void lagGrowingWhileConsumingIsWarnWithADrainEstimate() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {0, 10, 0}, new long[] {2, 14, 0}, new long[] {4, 20, 0}),
                LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).isEqualTo(LagStatus.WARN);
        assertThat(v.consumptionPerSecond()).isEqualTo(2.0);
        assertThat(v.lagTrendPerSecond()).isEqualTo(3.0);
        assertThat(v.drainSeconds()).isEqualTo(8.0);
    }

    @Test
    void lagThatShrankOnceInTheWindowIsOk() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {0, 10, 0}, new long[] {8, 12, 0}, new long[] {9, 20, 0}),
                LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).isEqualTo(LagStatus.OK);
    }

    @Test
    void committedBelowLogStartIsErrorEvenForAnEmptyGroup() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {3, 20, 10}), LagEvaluator.Presence.EMPTY);
        assertThat(v.status()).isEqualTo(LagStatus.ERROR);
        assertThat(v.reason()).contains("below the log start offset 10").contains("7 record(s) were deleted");
    }

    @Test
    void anEmptyGroupIsStopAndAGoneGroupToo() {
        final List<PartitionSample> window = samples(new long[] {5, 9, 0}, new long[] {5, 9, 0}, new long[] {5, 9, 0});
        assertThat(evaluator.evaluate(window, LagEvaluator.Presence.EMPTY).status()).isEqualTo(LagStatus.STOP);
        assertThat(evaluator.evaluate(window, LagEvaluator.Presence.GONE).reason()).contains("no longer exists");
    }

    @Test
    void tooFewSamplesAreNotJudgedForTrends() {
        final LagEvaluator.Verdict v = evaluator.evaluate(samples(new long[] {5, 8, 0}, new long[] {5, 12, 0}), LagEvaluator.Presence.ACTIVE);
        assertThat(v.status()).isEqualTo(LagStatus.OK);
        assertThat(v.reason()).contains("collecting samples (2 of 3)");
    }

    @Test
    void anEmptyWindowIsRefused() {
        assertThatThrownBy(() -> evaluator.evaluate(List.of(), LagEvaluator.Presence.ACTIVE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LagEvaluator(1)).hasMessageContaining("at least 2");
    }

    @Test
    void statusesOrderFromOkToError() {
        assertThat(LagStatus.OK.worst(LagStatus.STALL)).isEqualTo(LagStatus.STALL);
        assertThat(LagStatus.ERROR.worst(LagStatus.STOP)).isEqualTo(LagStatus.ERROR);
    }
}
