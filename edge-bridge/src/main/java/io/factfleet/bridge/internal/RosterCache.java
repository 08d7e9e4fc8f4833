package io.factfleet.bridge.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Devices' roster entries read from the reducer ({@code GET /authorities/{id}/roster?device=..}, an
 * answer that costs the same whatever the roster's size), reused for a few seconds: a roster change
 * (which advances the identity epoch) is seen by the bridge at most {@code ttl} late, and a burst of
 * requests from one device costs one reducer query.
 */
public final class RosterCache implements RosterSource {
    private record Entry(Roster roster, long expiresAtMillis) {
    }

    private final ReducerClient reducer;
    private final Duration ttl;
    private final Clock clock;
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

    public RosterCache(final ReducerClient reducer, final Duration ttl, final Clock clock) {
        this.reducer = reducer;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public Roster roster(final String authorityId, final String deviceId) {
        final long now = clock.millis();
        final String key = authorityId + "/" + deviceId;
        final Entry cached = entries.get(key);
        if (cached != null && cached.expiresAtMillis() > now) {
            return cached.roster();
        }
        final Roster fresh = Roster.fromJson(reducer.get("/authorities/" + authorityId + "/roster?device="
                + java.net.URLEncoder.encode(deviceId, java.nio.charset.StandardCharsets.UTF_8)));
        entries.put(key, new Entry(fresh, now + ttl.toMillis()));
        return fresh;
    }

    /** Drops expired rosters; called by the periodic cleanup. */
    public void purgeExpired() {
        final long now = clock.millis();
        entries.values().removeIf(e -> e.expiresAtMillis() <= now);
    }
}
