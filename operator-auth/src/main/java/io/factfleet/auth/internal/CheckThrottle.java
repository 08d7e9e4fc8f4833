package io.factfleet.auth.internal;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * At most one check per {@code every}: a followed file is looked at when its turn comes, by exactly
 * one caller, however many threads ask at once.
 */
public final class CheckThrottle {
    private final Duration every;
    private final LongSupplier clock;
    private volatile long lastCheckMillis;

    /** The first check is due {@code every} after now. */
    public CheckThrottle(final Duration every, final LongSupplier clock) {
        this.every = every;
        this.clock = clock;
        this.lastCheckMillis = clock.getAsLong();
    }

    /** Runs {@code check} if it is due; returns at once otherwise. */
    public void runIfDue(final Runnable check) {
        final long now = clock.getAsLong();
        if (now - lastCheckMillis >= every.toMillis()) {
            synchronized (this) {
                if (now - lastCheckMillis >= every.toMillis()) {
                    lastCheckMillis = now;
                    check.run();
                }
            }
        }
    }
}
