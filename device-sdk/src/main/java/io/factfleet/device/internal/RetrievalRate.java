package io.factfleet.device.internal;

/**
 * The slow-retrieval rule of an artifact download: over each window, at least {@code floor} bytes
 * per second must arrive. Windows follow one another (a window's deficit does not carry over); the
 * first ends one window after the start. Not thread-safe: one download calls it.
 */
public final class RetrievalRate {
    private final long floorBytesPerSecond;
    private final long windowNanos;
    private long windowStart;
    private long bytesAtWindowStart;

    public RetrievalRate(final long floorBytesPerSecond, final long windowNanos, final long startNanos) {
        if (windowNanos <= 0 || floorBytesPerSecond < 0) {
            throw new IllegalArgumentException("the window must be positive and the floor not negative");
        }
        this.floorBytesPerSecond = floorBytesPerSecond;
        this.windowNanos = windowNanos;
        this.windowStart = startNanos;
    }

    /**
     * Whether the download is below the floor, given all bytes received so far and the time now. A
     * window that ends above the floor starts the next one.
     */
    public boolean tooSlow(final long bytesReceived, final long nowNanos) {
        final long elapsed = nowNanos - windowStart;
        if (elapsed < windowNanos) {
            return false;
        }
        final double needed = floorBytesPerSecond * (elapsed / 1e9);
        if (bytesReceived - bytesAtWindowStart < needed) {
            return true;
        }
        windowStart = nowNanos;
        bytesAtWindowStart = bytesReceived;
        return false;
    }
}
