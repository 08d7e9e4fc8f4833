package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.factfleet.artifacts.ArtifactHash;
import io.factfleet.bridge.BridgeError;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * Which artifacts an authority's devices may download: those named by an upgrade in the authority's
 * reduced state ({@code GET /authorities/{id}/artifacts} on the reducer), so that a device of one
 * authority cannot fetch another's firmware by its hash. A download is many range requests, so the
 * answer is reused for {@code ttl}; an artifact the cached answer does not name is asked again at
 * once (the upgrade may have been proposed a moment ago), so only a refusal costs a reducer query
 * per request, and refusals are bounded by the download rate limit.
 */
public final class AuthorityArtifacts {
    private final ReducerClient reducer;
    private final Cache<String, Set<String>> named;

    /**
     * @param ttl        how long an authority's answer is reused
     * @param maxEntries most authorities whose answer is kept
     */
    public AuthorityArtifacts(final ReducerClient reducer, final Duration ttl, final int maxEntries) {
        this.reducer = reducer;
        this.named = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).build();
    }

    /**
     * @throws ApiException 404 {@code ARTIFACT_NOT_IN_AUTHORITY} when no upgrade of the authority names the artifact;
     *                      the reducer's error when it cannot be asked
     */
    public void require(final String authorityId, final ArtifactHash hash) {
        final Set<String> cached = named.getIfPresent(authorityId);
        if (cached != null && cached.contains(hash.hex())) {
            return;
        }
        final Set<String> fresh = fetch(authorityId);
        named.put(authorityId, fresh);
        if (!fresh.contains(hash.hex())) {
            throw ApiException.of(BridgeError.ARTIFACT_NOT_IN_AUTHORITY, "no upgrade of authority " + authorityId + " names artifact " + hash.hex()
                    + ": a device downloads only the artifacts its authority's upgrades name; an operator must propose the upgrade first "
                    + "(factfleet upgrade propose), then the device retries");
        }
    }

    private Set<String> fetch(final String authorityId) {
        final JsonNode answer = reducer.get("/authorities/" + URLEncoder.encode(authorityId, StandardCharsets.UTF_8) + "/artifacts");
        final Set<String> hashes = new HashSet<>();
        answer.path("artifacts").forEach(a -> hashes.add(a.path("sha256").asText()));
        return Set.copyOf(hashes);
    }
}
