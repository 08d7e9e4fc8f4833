package io.factfleet.testkit;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Bounded polling for a condition, the replacement for {@code Thread.sleep} in tests.
 *
 * <pre>{@code
 * Await.until("consumer sees 3 records", Duration.ofSeconds(30), () -> seen.size() == 3);
 * }</pre>
 *
 * <p>An exception thrown by the condition counts as "not yet"; if the deadline passes, the last such
 * exception is attached to the {@link AssertionError} as its cause.
 */
public final class Await {

    /** How long {@link #until(String, Callable)} waits when no timeout is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final long MIN_POLL_INTERVAL_MS = 10;
    private static final long MAX_POLL_INTERVAL_MS = 200;

    private Await() {
    }

    /**
     * Waits up to {@link #DEFAULT_TIMEOUT} for {@code condition} to return true.
     *
     * @throws AssertionError if the condition does not hold before the deadline
     */
    public static void until(final String description, final Callable<Boolean> condition) {
        until(description, DEFAULT_TIMEOUT, condition);
    }

    /**
     * Waits up to {@code timeout} for {@code condition} to return true, polling with a short, growing
     * interval.
     *
     * @param description what is awaited, for the failure message
     * @throws AssertionError if the condition does not hold before the deadline
     */
    public static void until(final String description, final Duration timeout, final Callable<Boolean> condition) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        long intervalMs = MIN_POLL_INTERVAL_MS;
        Exception lastFailure = null;
        while (true) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + description, e);
            } catch (final Exception e) {
                lastFailure = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("Condition not met within " + timeout + ": " + description, lastFailure);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(intervalMs);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + description, e);
            }
            intervalMs = Math.min(MAX_POLL_INTERVAL_MS, intervalMs * 2);
        }
    }
}
