package io.factfleet.device;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter: attempt n waits a random time in [0, min(cap, base * 2^n)]. */
public record Backoff(Duration base, Duration cap) {
    public Duration delay(final int attempt) {
        final long ceiling = Math.min(cap.toMillis(), base.toMillis() << Math.min(attempt, 20));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling / 2, Math.max(ceiling, ceiling / 2 + 1)));
    }
}
