package io.factfleet.auth;

import java.util.Locale;

/**
 * What an operator may do, one named permission per kind of action. Every HTTP route declares the one it needs
 * ({@link AccessRule}); {@link Role}s bundle them.
 */
public enum Permission {
    /** Read an authority's state, facts, Merkle root, snapshot status and upgrades. */
    STATE_READ,
    /** Read consumer lag and the console's pages. */
    LAG_READ,
    /** Scrape Prometheus metrics (unless {@code factfleet.auth.metrics.open=true}). */
    METRICS_READ,
    /** Read schemas, subjects and compatibility levels from the schema registry. */
    SCHEMA_READ,
    /** Register a schema version (what serializers do). */
    SCHEMA_REGISTER,
    /** Change the registry's compatibility levels. */
    REGISTRY_CONFIG,
    /** Ask for a snapshot of an authority (which fences its writes while the proposal is open). */
    SNAPSHOT_PROPOSE,
    /** Pause, resume or cancel a rollout. */
    ROLLOUT_CONTROL,
    /** Propose an upgrade. */
    UPGRADE_PROPOSE,
    /** Approve an upgrade's next wave. */
    UPGRADE_APPROVE,
    /** Change an authority's roster (enrol, remove, rotate keys, replace the admin). */
    ROSTER_WRITE,
    /** Take a backup of an authority. */
    BACKUP,
    /** Restore an authority from a backup. */
    RESTORE;

    /** The permission's name in documents and messages, e.g. {@code state.read}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '.');
    }
}
