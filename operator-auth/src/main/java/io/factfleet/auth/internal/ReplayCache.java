package io.factfleet.auth.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * The {@code (key, nonce)} pairs of signed requests seen recently. A pair is kept twice the skew window: a request
 * older than the window is refused as stale anyway, so the cache needs to remember no longer (Caffeine expires it).
 */
public final class ReplayCache {
    private final Cache<String, Boolean> seen;

    public ReplayCache(final Duration skew, final long maximumSize) {
        this.seen = Caffeine.newBuilder().expireAfterWrite(skew.multipliedBy(2)).maximumSize(maximumSize).build();
    }

    /** True the first time a pair is seen, false afterwards. */
    public boolean firstUse(final String keyId, final String nonce) {
        return seen.asMap().putIfAbsent(keyId + "/" + nonce, Boolean.TRUE) == null;
    }
}
