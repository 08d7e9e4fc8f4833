package io.factfleet.bridge.internal;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@code (key, nonce)} pairs seen within the clock-skew window. A pair is remembered until its
 * request's {@code ts + skew}: after that the request is stale anyway, so the cache is bounded by
 * the request rate times the window (and the rate is bounded by the global rate limit).
 */
public final class ReplayCache {
    private final ConcurrentMap<String, Long> expiries = new ConcurrentHashMap<>();
    private final long skewMillis;
    private final Clock clock;

    public ReplayCache(final long skewMillis, final Clock clock) {
        this.skewMillis = skewMillis;
        this.clock = clock;
    }

    /** Records the pair; false if it was already recorded and has not expired (a replay). */
    public boolean firstUse(final String keyId, final String nonceHex, final long tsMillis) {
        final String pair = keyId + "/" + nonceHex;
        final long expiry = tsMillis + skewMillis;
        final long now = clock.millis();
        final Long previous = expiries.putIfAbsent(pair, expiry);
        if (previous == null) {
            return true;
        }
        if (previous <= now) {
            // An expired entry the cleanup has not reached yet: this use is the first within the window.
            return expiries.replace(pair, previous, expiry);
        }
        return false;
    }

    /** Forgets expired pairs; called by the periodic cleanup. */
    public void purgeExpired() {
        final long now = clock.millis();
        expiries.values().removeIf(expiry -> expiry <= now);
    }

    public int size() {
        return expiries.size();
    }
}
