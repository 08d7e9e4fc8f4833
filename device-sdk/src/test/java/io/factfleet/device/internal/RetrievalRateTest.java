package io.factfleet.device.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RetrievalRateTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void nothingIsTooSlowBeforeTheFirstWindowEnds() {
        final RetrievalRate rate = new RetrievalRate(1_000, 10 * SECOND, 0);

        assertThat(rate.tooSlow(0, 9 * SECOND)).isFalse();
    }

    @Test
    void aWindowBelowTheFloorIsTooSlow() {
        final RetrievalRate rate = new RetrievalRate(1_000, 10 * SECOND, 0);

        assertThat(rate.tooSlow(9_999, 10 * SECOND)).isTrue();
    }

    @Test
    void eachWindowIsJudgedOnItsOwnBytes() {
        final RetrievalRate rate = new RetrievalRate(1_000, 10 * SECOND, 0);

        assertThat(rate.tooSlow(1_000_000, 10 * SECOND)).isFalse();
        assertThat(rate.tooSlow(1_000_000 + 5_000, 20 * SECOND)).isTrue();
    }

    @Test
    void aFloorOfZeroNeverStops() {
        final RetrievalRate rate = new RetrievalRate(0, SECOND, 0);

        assertThat(rate.tooSlow(0, 100 * SECOND)).isFalse();
    }
}
