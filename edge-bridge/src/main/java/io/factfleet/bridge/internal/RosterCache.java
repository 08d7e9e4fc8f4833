package io.factfleet.bridge.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Rosters read from the reducer, reused for a few seconds: a roster change (which advances the
 * identity epoch) is seen by the bridge at most {@code ttl} late, and a burst of requests from one
 * authority costs one reducer query.
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
    public Roster roster(final String authorityId) {
        final long now = clock.millis();
        final Entry cached = entries.get(authorityId);
        if (cached != null && cached.expiresAtMillis() > now) {
            return cached.roster();
        }
        final Roster fresh = Roster.fromJson(reducer.get("/authorities/" + authorityId + "/roster"));
        entries.put(authorityId, new Entry(fresh, now + ttl.toMillis()));
        return fresh;
    }

    /** Forgets an authority's roster, e.g. after seeing its epoch advance. */
    public void invalidate(final String authorityId) {
        entries.remove(authorityId);
    }

    /** Drops expired rosters; called by the periodic cleanup. */
    public void purgeExpired() {
        final long now = clock.millis();
        entries.values().removeIf(e -> e.expiresAtMillis() <= now);
    }
}
