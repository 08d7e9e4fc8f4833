package io.factfleet.deploy;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.internal.SecretFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The demo's authority: three devices and an admin with threshold 2, their private keys kept in a
 * properties file (mode 600) in the data directory so that every {@code --demo} run signs for the
 * same authority.
 */
public final class DemoAuthority {
    /** The demo authority's id on the stack's own broker. */
    public static final String AUTHORITY_ID = "demo-fleet";
    static final int DEVICES = 3;
    static final int THRESHOLD = 2;

    private DemoAuthority() {
    }

    /**
     * The authority stored in {@code file}, or a new one stored there: {@value #AUTHORITY_ID}, or, on a
     * shared cluster where another data directory may have created that one already,
     * {@code demo-fleet-<8 hex digits>}.
     */
    public static AuthorityGenesis loadOrCreate(final Path file, final boolean sharedCluster) {
        try {
            if (Files.exists(file)) {
                return load(file);
            }
            final String authorityId = sharedCluster ? AUTHORITY_ID + "-" + UUID.randomUUID().toString().substring(0, 8) : AUTHORITY_ID;
            final AuthorityGenesis created = AuthorityGenesis.generate(authorityId, DEVICES, THRESHOLD);
            final Properties p = new Properties();
            p.setProperty("authority.id", created.authorityId());
            p.setProperty("threshold", Integer.toString(created.threshold()));
            p.setProperty("admin.seed", Hashing.hex(created.adminKey().seed()));
            p.setProperty("devices", String.join(",", created.deviceIds()));
            for (final String deviceId : created.deviceIds()) {
                p.setProperty("device." + deviceId + ".seed", Hashing.hex(created.device(deviceId).key().seed()));
            }
            final StringWriter text = new StringWriter();
            p.store(text, "FactFleet demo authority: private keys of its devices and admin. Delete to start a new demo authority.");
            SecretFiles.createOwnerOnly(file, text.toString());
            return created;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read or create the demo authority " + file + ": " + e.getMessage(), e);
        }
    }

    private static AuthorityGenesis load(final Path file) throws IOException {
        final Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        final List<String> deviceIds = Arrays.asList(required(p, "devices", file).split(","));
        final Map<String, Ed25519Keys.SigningKey> keys = new LinkedHashMap<>();
        for (final String deviceId : deviceIds) {
            keys.put(deviceId, key(p, "device." + deviceId + ".seed", file));
        }
        return AuthorityGenesis.of(required(p, "authority.id", file), keys, key(p, "admin.seed", file),
                Integer.parseInt(required(p, "threshold", file)));
    }

    private static Ed25519Keys.SigningKey key(final Properties p, final String name, final Path file) {
        return Ed25519Keys.fromSeed(Hashing.unhex(required(p, name, file)));
    }

    private static String required(final Properties p, final String name, final Path file) {
        final String value = p.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(file + " has no " + name + "; delete it to create a new demo authority");
        }
        return value.strip();
    }
}
