package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminKeyRingTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsThroughItsFile() throws Exception {
        final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
        final Path file = dir.resolve("admins.properties");
        AdminKeyRing.write(file, AdminKeyRing.of(Map.of("fleet-a", key)));
        final AdminKeyRing ring = AdminKeyRing.load(file);
        assertThat(ring.authorities()).containsExactly("fleet-a");
        assertThat(ring.adminKey("fleet-a").orElseThrow().keyId()).isEqualTo(key.keyId());
        assertThat(ring.signer("fleet-a", "snapshot-coordinator").orElseThrow().key().keyId()).isEqualTo(key.keyId());
        assertThat(ring.adminKey("fleet-b")).isEmpty();
    }

    @Test
    void aFollowingRingSeesKeysPutIntoItsFile() throws Exception {
        final Path file = dir.resolve("ring.properties");
        final AdminKeyRing ring = AdminKeyRing.following(file);
        assertThat(ring.authorities()).isEmpty();
        final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
        AdminKeyRing.put(file, "fleet-z", key);
        // The ring re-checks its file at most once a second: poll, bounded.
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (ring.adminKey("fleet-z").isEmpty() && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50));
        }
        assertThat(ring.adminKey("fleet-z").orElseThrow().keyId()).isEqualTo(key.keyId());
        assertThat(java.nio.file.Files.getPosixFilePermissions(file)).containsOnly(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void refusesAMalformedSeedNamingTheProperty() throws Exception {
        final Path file = dir.resolve("bad.properties");
        ownerOnly(file, "fleet-a.admin.seed=abc\n");
        assertThatThrownBy(() -> AdminKeyRing.load(file)).hasMessageContaining("fleet-a.admin.seed").hasMessageContaining("64 hex digits");
    }

    @Test
    void refusesAPropertyThatIsNotAnAdminSeed() throws Exception {
        final Path file = dir.resolve("bad.properties");
        ownerOnly(file, "fleet-a.seed=00\n");
        assertThatThrownBy(() -> AdminKeyRing.load(file)).hasMessageContaining("fleet-a.seed");
    }

    @Test
    void refusesAKeyRingOthersCanReadNamingTheChmodThatFixesIt() throws Exception {
        final Path file = dir.resolve("open.properties");
        AdminKeyRing.write(file, AdminKeyRing.of(Map.of("fleet-a", Ed25519Keys.generate())));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> AdminKeyRing.load(file)).hasMessageContaining("rw-r--r--").hasMessageContaining("chmod 600 " + file);
        // A following ring keeps what it had rather than read a file others can read.
        assertThat(AdminKeyRing.following(file).authorities()).isEmpty();
    }

    private static void ownerOnly(final Path file, final String text) throws Exception {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
}
