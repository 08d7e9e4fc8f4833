package io.factfleet.snapshot.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.snapshot.BackupContents;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void aTailFactThatDoesNotDecodeIsAnInvalidTail() {
        // BackupContentsFuzzTest: a tail fact with a negative length inside threw IllegalArgumentException out of verify.
        final BackupContents good = BackupFuzzInputs.journalOnly();
        final List<ByteBuffer> tail = new ArrayList<>(good.getTail());
        final byte[] broken = io.factfleet.core.Canonical.array(tail.get(1)).clone();
        broken[0] = 0x2d; // the fact id's length: -23
        tail.set(1, ByteBuffer.wrap(broken));
        final BackupContents contents = BackupContents.newBuilder(good).setTail(tail).build();
        assertThatThrownBy(() -> BackupTool.verify(contents, BackupFuzzInputs.ADMISSION))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("TAIL_INVALID"))
                .hasMessageContaining("tail fact #2");
    }
}
