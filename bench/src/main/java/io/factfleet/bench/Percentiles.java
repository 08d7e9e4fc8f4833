package io.factfleet.bench;

import java.util.Arrays;

/** Nearest-rank percentiles. */
final class Percentiles {
    private Percentiles() {
    }

    /** The nearest-rank {@code p}-th percentile (0 < p <= 100) of {@code values}. */
    static double of(final double[] values, final double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
