package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReplayCacheTest {
    private final MutableClock clock = new MutableClock(1_000_000);
    private final ReplayCache cache = new ReplayCache(1_000, clock);

    @Test
    void aPairIsAcceptedOnceWithinTheWindow() {
        assertThat(cache.firstUse("k", "n1", clock.millis())).isTrue();
        assertThat(cache.firstUse("k", "n1", clock.millis())).isFalse();
        assertThat(cache.firstUse("other", "n1", clock.millis())).isTrue();
    }

    @Test
    void purgingForgetsOnlyExpiredPairs() {
        cache.firstUse("k", "old", clock.millis());
        clock.advance(Duration.ofMillis(600));
        cache.firstUse("k", "new", clock.millis());
        clock.advance(Duration.ofMillis(500));

        cache.purgeExpired();

        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.firstUse("k", "new", clock.millis() - 500)).isFalse();
    }
}
