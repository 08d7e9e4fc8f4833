package io.factfleet.auth;

import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An operator's roles per authority. {@value #EVERY_AUTHORITY} grants a role on every authority and on the services'
 * resources that belong to no authority (the registry, lag, metrics, the list of authorities).
 *
 * @param byAuthority roles per authority id or {@value #EVERY_AUTHORITY}
 */
public record Grants(Map<String, Set<Role>> byAuthority) {
    /** The authority id of a grant on every authority. */
    public static final String EVERY_AUTHORITY = "*";

    public Grants {
        final Map<String, Set<Role>> copy = new HashMap<>();
        byAuthority.forEach((authority, roles) -> copy.put(authority, roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles))));
        byAuthority = Collections.unmodifiableMap(copy);
    }

    /** No grant at all. */
    public static Grants none() {
        return new Grants(Map.of());
    }

    /** {@code role} on {@code authority}. */
    public static Grants of(final String authority, final Role role) {
        return new Grants(Map.of(authority, Set.of(role)));
    }

    /** These grants and {@code other}'s together. */
    public Grants union(final Grants other) {
        final Map<String, Set<Role>> all = new HashMap<>();
        for (final Grants g : new Grants[] {this, other}) {
            g.byAuthority.forEach((a, roles) -> all.computeIfAbsent(a, k -> EnumSet.noneOf(Role.class)).addAll(roles));
        }
        return new Grants(all);
    }

    /**
     * Whether these grants give {@code permission} on {@code authority} (empty: a resource of no authority, which only
     * a grant on {@value #EVERY_AUTHORITY} covers).
     */
    public boolean allows(final Permission permission, final Optional<String> authority) {
        return rolesOn(authority).stream().anyMatch(r -> r.allows(permission));
    }

    /** Whether any role at all is granted on {@code authority} (or on every authority). */
    public boolean hasAnyOn(final Optional<String> authority) {
        return !rolesOn(authority).isEmpty();
    }

    private Set<Role> rolesOn(final Optional<String> authority) {
        final EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        roles.addAll(byAuthority.getOrDefault(EVERY_AUTHORITY, Set.of()));
        authority.ifPresent(a -> roles.addAll(byAuthority.getOrDefault(a, Set.of())));
        return roles;
    }
}
