package io.factfleet.core;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The admin keys a coordinator acts with: the facts a coordinator emits (snapshot proposals and
 * completions, upgrade activations, rollout transitions) are signed by the admin key of the
 * authority they concern, so ingest admits them like any admin fact and a retired admin key stops
 * working at its replacement's activation epoch.
 *
 * <p>File format (a properties file, keep it mode 600): {@code <authorityId>.admin.seed=<64 hex digits>}.
 */
public final class AdminKeyRing {
    private static final String SUFFIX = ".admin.seed";
    private final java.util.function.Supplier<Map<String, Ed25519Keys.SigningKey>> source;

    private AdminKeyRing(final Map<String, Ed25519Keys.SigningKey> keys) {
        final Map<String, Ed25519Keys.SigningKey> fixed = Collections.unmodifiableMap(new TreeMap<>(keys));
        this.source = () -> fixed;
    }

    private AdminKeyRing(final java.util.function.Supplier<Map<String, Ed25519Keys.SigningKey>> source) {
        this.source = source;
    }

    /**
     * A ring that follows {@code file}: re-read when its modification time changes (checked at most once a second),
     * empty while the file does not exist; a file that cannot be parsed keeps the last good keys.
     */
    public static AdminKeyRing following(final Path file) {
        return new AdminKeyRing(new java.util.function.Supplier<>() {
            private Map<String, Ed25519Keys.SigningKey> current = Map.of();
            private long checkedAt = Long.MIN_VALUE;
            private java.nio.file.attribute.FileTime seen;

            @Override
            public synchronized Map<String, Ed25519Keys.SigningKey> get() {
                final long now = System.nanoTime();
                if (checkedAt != Long.MIN_VALUE && now - checkedAt < 1_000_000_000L) {
                    return current;
                }
                checkedAt = now;
                try {
                    if (!Files.exists(file)) {
                        current = Map.of();
                        seen = null;
                        return current;
                    }
                    final java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(file);
                    if (!modified.equals(seen)) {
                        current = load(file).source.get();
                        seen = modified;
                    }
                } catch (final IOException | RuntimeException e) {
                    // keep the last good keys
                }
                return current;
            }
        });
    }

    public static AdminKeyRing of(final Map<String, Ed25519Keys.SigningKey> keys) {
        return new AdminKeyRing(keys);
    }

    public static AdminKeyRing empty() {
        return new AdminKeyRing(Map.of());
    }

    /**
     * Reads a key ring file; a malformed line is an error naming the file and the property, and a file others may
     * read or write is refused with the {@code chmod} that fixes it (it holds signing keys).
     */
    public static AdminKeyRing load(final Path file) {
        refuseWiderThanOwnerOnly(file);
        final Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the admin key ring " + file + ": " + e.getMessage(), e);
        }
        final Map<String, Ed25519Keys.SigningKey> keys = new TreeMap<>();
        for (final String name : p.stringPropertyNames()) {
            if (!name.endsWith(SUFFIX)) {
                throw new IllegalArgumentException(file + ": property " + name + " is not <authorityId>" + SUFFIX);
            }
            final String seed = p.getProperty(name).strip();
            if (!seed.matches("[0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException(file + ": " + name + " must be a 32-byte Ed25519 seed in 64 hex digits");
            }
            keys.put(name.substring(0, name.length() - SUFFIX.length()), Ed25519Keys.fromSeed(Hashing.unhex(seed)));
        }
        return new AdminKeyRing(keys);
    }

    /** The text of a key ring file holding these keys. */
    public String toFileText() {
        final StringBuilder text = new StringBuilder("# FactFleet admin key ring: <authorityId>.admin.seed=<hex seed>. Secret.\n");
        source.get().forEach((authority, key) -> text.append(authority).append(SUFFIX).append('=').append(Hashing.hex(key.seed())).append('\n'));
        return text.toString();
    }

    /** Adds (or replaces) one authority's admin key in a key ring file, created owner-only if missing. */
    public static synchronized void put(final Path file, final String authorityId, final Ed25519Keys.SigningKey key) {
        final Map<String, Ed25519Keys.SigningKey> keys = new TreeMap<>(Files.exists(file) ? load(file).source.get() : Map.of());
        keys.put(authorityId, key);
        write(file, new AdminKeyRing(keys));
    }

    /** Writes {@code ring} to {@code file}, replacing it atomically through a temporary file created owner-only (mode 600). */
    public static synchronized void write(final Path file, final AdminKeyRing ring) {
        try {
            final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            } catch (final UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, ring.toFileText(), StandardCharsets.UTF_8);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write the admin key ring " + file + ": " + e.getMessage(), e);
        }
    }

    private static void refuseWiderThanOwnerOnly(final Path file) {
        final Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !dir.getFileSystem().supportedFileAttributeViews().contains("posix") || !Files.exists(file)) {
            return;
        }
        try {
            final java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(p -> p != java.nio.file.attribute.PosixFilePermission.OWNER_READ
                    && p != java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)) {
                throw new IllegalArgumentException("the admin key ring " + file + " has mode " + java.nio.file.attribute.PosixFilePermissions.toString(mode)
                        + ": it holds signing keys, so it must be readable by its owner only; run: chmod 600 " + file);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the mode of the admin key ring " + file + ": " + e.getMessage(), e);
        }
    }

    public Optional<Ed25519Keys.SigningKey> adminKey(final String authorityId) {
        return Optional.ofNullable(source.get().get(authorityId));
    }

    /** A signer for the authority's admin key, naming {@code actor} (for example "snapshot-coordinator") as the fact's device. */
    public Optional<DeviceSigner> signer(final String authorityId, final String actor) {
        return adminKey(authorityId).map(key -> new DeviceSigner(authorityId, actor, key));
    }

    public Set<String> authorities() {
        return source.get().keySet();
    }
}
