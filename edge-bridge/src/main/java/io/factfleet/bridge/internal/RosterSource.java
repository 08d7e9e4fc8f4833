package io.factfleet.bridge.internal;

/** Where the authenticator finds a device's entry in its authority's current roster. */
@FunctionalInterface
public interface RosterSource {
    /**
     * The authority's current roster as it concerns {@code deviceId}: epoch, threshold, admin and hard
     * forks in force, and in {@code members} only that device (none when it is not rostered). One
     * device's answer costs the same whatever the roster's size.
     *
     * @throws ApiException {@code UNKNOWN_AUTHORITY} if there is none, or a 503 if it cannot be read now
     */
    Roster roster(String authorityId, String deviceId);
}
