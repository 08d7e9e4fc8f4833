package io.factfleet.snapshot.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

/** Regression tests of what the backup fuzz targets found: every malformed archive is a BackupException, never a crash. */
class BackupReaderTest {
    @Test
    void anArchiveThatOpensButDoesNotHoldBackupContentsIsNotABackup() {
        // BackupContentsFuzzTest, the empty input: Canonical.decode's IllegalArgumentException escaped the restore command.
        assertThatThrownBy(() -> BackupTool.contents(new byte[0]))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("NOT_A_BACKUP"));
        final byte[] sealedGarbage = ArchiveCipher.seal("not backup contents".getBytes(), BackupFuzzInputs.PASSPHRASE, new SecureRandom(), 8, 1, 1);
        assertThatThrownBy(() -> BackupTool.read(sealedGarbage, BackupFuzzInputs.PASSPHRASE))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("NOT_A_BACKUP"))
                .hasMessageContaining("nothing was restored");
    }
}
