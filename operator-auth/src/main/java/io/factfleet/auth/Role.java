package io.factfleet.auth;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Named bundles of {@link Permission}s, granted per authority (or on {@code *}, every authority and the services'
 * global resources) in the operators file.
 */
public enum Role {
    /** Reads state, facts, lag, metrics and schemas. */
    VIEWER(EnumSet.of(Permission.STATE_READ, Permission.LAG_READ, Permission.METRICS_READ, Permission.SCHEMA_READ)),
    /** A viewer who also runs maintenance: snapshots, pausing, resuming and cancelling rollouts. */
    OPERATOR(with(VIEWER, Permission.SNAPSHOT_PROPOSE, Permission.ROLLOUT_CONTROL)),
    /** A viewer who also proposes and approves upgrades. */
    RELEASE_MANAGER(with(VIEWER, Permission.UPGRADE_PROPOSE, Permission.UPGRADE_APPROVE)),
    /** Everything: registry writes, roster changes, backup and restore included. */
    ADMIN(EnumSet.allOf(Permission.class)),
    /** FactFleet's own services calling each other: a viewer that may also register schemas (what serializers do). */
    SERVICE(with(VIEWER, Permission.SCHEMA_REGISTER));

    private final Set<Permission> permissions;

    Role(final Set<Permission> permissions) {
        this.permissions = Set.copyOf(permissions);
    }

    private static Set<Permission> with(final Role base, final Permission... more) {
        final EnumSet<Permission> all = EnumSet.copyOf(base.permissions);
        all.addAll(Arrays.asList(more));
        return all;
    }

    /** The permissions this role gives. */
    public Set<Permission> permissions() {
        return permissions;
    }

    /** Whether this role gives {@code permission}. */
    public boolean allows(final Permission permission) {
        return permissions.contains(permission);
    }

    /** The role's name in the operators file and in token claims, e.g. {@code release-manager}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The role named {@code label} (as {@link #label()} spells it), if any. */
    public static Optional<Role> byLabel(final String label) {
        return Arrays.stream(values()).filter(r -> r.label().equals(label)).findFirst();
    }

    /** Every role's label, for error messages. */
    public static String labels() {
        return Arrays.stream(values()).map(Role::label).collect(Collectors.joining(", "));
    }
}
