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
        Files.writeString(file, AdminKeyRing.of(Map.of("fleet-a", key)).toFileText());
        final AdminKeyRing ring = AdminKeyRing.load(file);
        assertThat(ring.authorities()).containsExactly("fleet-a");
        assertThat(ring.adminKey("fleet-a").orElseThrow().keyId()).isEqualTo(key.keyId());
        assertThat(ring.signer("fleet-a", "snapshot-coordinator").orElseThrow().key().keyId()).isEqualTo(key.keyId());
        assertThat(ring.adminKey("fleet-b")).isEmpty();
    }

    @Test
    void aWatchedRingSeesKeysPutIntoItsFile() throws Exception {
        final Path file = dir.resolve("ring.properties");
        final java.util.function.Supplier<AdminKeyRing> ring = AdminKeyRing.watch(file);
        assertThat(ring.get().authorities()).isEmpty();
        final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
        AdminKeyRing.put(file, "fleet-z", key);
        Thread.sleep(1_100); // the watch re-checks the file at most once a second
        assertThat(ring.get().adminKey("fleet-z").orElseThrow().keyId()).isEqualTo(key.keyId());
        assertThat(java.nio.file.Files.getPosixFilePermissions(file)).containsOnly(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void refusesAMalformedSeedNamingTheProperty() throws Exception {
        final Path file = dir.resolve("bad.properties");
        Files.writeString(file, "fleet-a.admin.seed=abc\n");
        assertThatThrownBy(() -> AdminKeyRing.load(file)).hasMessageContaining("fleet-a.admin.seed").hasMessageContaining("64 hex digits");
    }

    @Test
    void refusesAPropertyThatIsNotAnAdminSeed() throws Exception {
        final Path file = dir.resolve("bad.properties");
        Files.writeString(file, "fleet-a.seed=00\n");
        assertThatThrownBy(() -> AdminKeyRing.load(file)).hasMessageContaining("fleet-a.seed");
    }
}
