package io.factfleet.bridge.internal;

/** Where the authenticator finds an authority's current roster. */
@FunctionalInterface
public interface RosterSource {
    /**
     * The authority's current roster.
     *
     * @throws ApiException {@code UNKNOWN_AUTHORITY} if there is none, or a 503 if it cannot be read now
     */
    Roster roster(String authorityId);
}
