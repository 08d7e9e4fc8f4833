package io.factfleet.auth.internal;

import io.factfleet.auth.Grants;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.auth.Role;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The operators file's entries indexed by how callers present themselves; validated when built. */
public final class OperatorDirectory {
    /** An operator with its parsed grants. */
    public record Known(OperatorEntry entry, Grants grants) {
    }

    /** A listed Ed25519 key and whose it is. */
    public record Key(byte[] publicKey, Known operator) {
    }

    private final Map<String, Key> byKeyId = new HashMap<>();
    private final Map<String, Known> bySubject = new HashMap<>();
    private final Map<String, Known> byBasicUser = new HashMap<>();
    private final Map<String, Known> byTlsSubject = new HashMap<>();
    private final int size;

    /**
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    public OperatorDirectory(final List<OperatorEntry> entries) {
        final Set<String> ids = new HashSet<>();
        for (final OperatorEntry e : entries) {
            if (e.id() == null || e.id().isBlank()) {
                throw new IllegalArgumentException("every operator needs an \"id\"");
            }
            if (!ids.add(e.id())) {
                throw new IllegalArgumentException("operator id '" + e.id() + "' appears twice");
            }
            final Known known = new Known(e, grants(e));
            for (final String hex : e.ed25519()) {
                final byte[] key;
                try {
                    key = Hashing.unhex(hex.strip());
                } catch (final RuntimeException notHex) {
                    throw new IllegalArgumentException("operator '" + e.id() + "': '" + hex + "' is not an Ed25519 public key in hex");
                }
                if (key.length != Ed25519Keys.PUBLIC_KEY_BYTES) {
                    throw new IllegalArgumentException("operator '" + e.id() + "': an Ed25519 public key is 32 bytes (64 hex digits), not "
                            + key.length);
                }
                if (byKeyId.put(Ed25519Keys.keyId(key), new Key(key, known)) != null) {
                    throw new IllegalArgumentException("operator '" + e.id() + "': key " + hex + " is listed for two operators");
                }
            }
            if (e.jwtSubject() != null && bySubject.put(e.jwtSubject(), known) != null) {
                throw new IllegalArgumentException("jwtSubject '" + e.jwtSubject() + "' is listed for two operators");
            }
            if (e.tlsSubject() != null) {
                final String canonical;
                try {
                    canonical = canonicalSubject(e.tlsSubject());
                } catch (final IllegalArgumentException notADn) {
                    throw new IllegalArgumentException("operator '" + e.id() + "': tlsSubject '" + e.tlsSubject() + "' is not a distinguished name "
                            + "(RFC 2253, e.g. CN=alice,O=Example; openssl x509 -noout -subject -nameopt RFC2253 -in alice.pem prints it)");
                }
                if (byTlsSubject.put(canonical, known) != null) {
                    throw new IllegalArgumentException("tlsSubject '" + e.tlsSubject() + "' is listed for two operators");
                }
            }
            if (e.basic() != null) {
                if (e.basic().user() == null || e.basic().bcrypt() == null || !e.basic().bcrypt().matches("\\$2[aby]\\$\\d\\d\\$.{53}")) {
                    throw new IllegalArgumentException("operator '" + e.id() + "': \"basic\" needs a \"user\" and a \"bcrypt\" hash ($2y$10$..., "
                            + "60 characters); make one with: htpasswd -nbBC 10 user password");
                }
                if (byBasicUser.put(e.basic().user(), known) != null) {
                    throw new IllegalArgumentException("basic user '" + e.basic().user() + "' is listed for two operators");
                }
            }
        }
        size = ids.size();
    }

    private static Grants grants(final OperatorEntry e) {
        final Map<String, Set<Role>> byAuthority = new HashMap<>();
        e.grants().forEach((authority, labels) -> {
            final EnumSet<Role> roles = EnumSet.noneOf(Role.class);
            for (final String label : labels) {
                roles.add(Role.byLabel(label).orElseThrow(() -> new IllegalArgumentException("operator '" + e.id() + "': unknown role '"
                        + label + "' (roles: " + Role.labels() + ")")));
            }
            byAuthority.put(authority, roles);
        });
        return new Grants(byAuthority);
    }

    public Optional<Key> byKeyId(final String keyId) {
        return Optional.ofNullable(byKeyId.get(keyId));
    }

    public Optional<Known> bySubject(final String subject) {
        return Optional.ofNullable(bySubject.get(subject));
    }

    public Optional<Known> byBasicUser(final String user) {
        return Optional.ofNullable(byBasicUser.get(user));
    }

    /** The operator whose client certificates have {@code subject} (compared in RFC 2253 canonical form), if any. */
    public Optional<Known> byTlsSubject(final javax.security.auth.x500.X500Principal subject) {
        return Optional.ofNullable(byTlsSubject.get(subject.getName(javax.security.auth.x500.X500Principal.CANONICAL)));
    }

    private static String canonicalSubject(final String dn) {
        return new javax.security.auth.x500.X500Principal(dn).getName(javax.security.auth.x500.X500Principal.CANONICAL);
    }

    /** How many operators are listed. */
    public int size() {
        return size;
    }
}
