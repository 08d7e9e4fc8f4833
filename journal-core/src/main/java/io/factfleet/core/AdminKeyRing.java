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
    private final Map<String, Ed25519Keys.SigningKey> keys;

    private AdminKeyRing(final Map<String, Ed25519Keys.SigningKey> keys) {
        this.keys = Collections.unmodifiableMap(new TreeMap<>(keys));
    }

    public static AdminKeyRing of(final Map<String, Ed25519Keys.SigningKey> keys) {
        return new AdminKeyRing(keys);
    }

    public static AdminKeyRing empty() {
        return new AdminKeyRing(Map.of());
    }

    /** Reads a key ring file; a malformed line is an error naming the file and the property. */
    public static AdminKeyRing load(final Path file) {
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
        keys.forEach((authority, key) -> text.append(authority).append(SUFFIX).append('=').append(Hashing.hex(key.seed())).append('\n'));
        return text.toString();
    }

    public Optional<Ed25519Keys.SigningKey> adminKey(final String authorityId) {
        return Optional.ofNullable(keys.get(authorityId));
    }

    /** A signer for the authority's admin key, naming {@code actor} (for example "snapshot-coordinator") as the fact's device. */
    public Optional<DeviceSigner> signer(final String authorityId, final String actor) {
        return adminKey(authorityId).map(key -> new DeviceSigner(authorityId, actor, key));
    }

    public Set<String> authorities() {
        return keys.keySet();
    }
}
