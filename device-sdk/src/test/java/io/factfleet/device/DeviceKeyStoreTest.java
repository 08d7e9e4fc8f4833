package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceKeyStoreTest {
    @Test
    void theKeyIsCreatedOnceReadableOnlyByItsOwnerAndReloadedAfterwards(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("keys/device.key");
        final var first = DeviceKeyStore.loadOrCreate(file);
        final var again = DeviceKeyStore.loadOrCreate(file);
        assertThat(again.keyId()).isEqualTo(first.keyId());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
}
