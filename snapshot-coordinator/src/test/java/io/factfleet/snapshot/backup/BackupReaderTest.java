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

    @Test
    void aSnapshotPointerWithoutItsBlobOrWithACompletionThatIsNotAFactIsRefused() {
        final BackupContents good = BackupFuzzInputs.withSnapshot();
        // Found reading verify next to the fuzzer's findings: a pointer without a blob was a NullPointerException.
        final BackupContents noBlob = BackupContents.newBuilder(good).setBlob(null).build();
        assertThatThrownBy(() -> BackupTool.verify(noBlob, BackupFuzzInputs.ADMISSION))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("BLOB_MISSING"));
        // BackupContentsFuzzTest: a completion that does not decode threw IllegalArgumentException.
        final io.factfleet.schema.snapshot.SnapshotPointer pointer = io.factfleet.schema.snapshot.SnapshotPointer.newBuilder(good.getPointer())
                .setCompletion(ByteBuffer.wrap(new byte[] {0x2d, 1})).build();
        final BackupContents badCompletion = BackupContents.newBuilder(good).setPointer(pointer).build();
        assertThatThrownBy(() -> BackupTool.verify(badCompletion, BackupFuzzInputs.ADMISSION))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("POINTER_INVALID"));
    }

    @Test
    void aHeaderThatAsksArgon2ForGigabytesIsRefusedBeforeAnyKeyIsDerived() {
        // BackupArchiveFuzzTest: a header asking for 2,313,216 KiB and 10 passes was an OutOfMemoryError (the limit was 4 GiB).
        final byte[] archive = ArchiveCipher.seal("contents".getBytes(), BackupFuzzInputs.PASSPHRASE, new SecureRandom(), 8, 1, 1);
        for (final int[] kdf : new int[][] {{2_313_216, 10, 1}, {4 * 1024 * 1024, 1, 1}, {256 * 1024, 10, 1}, {8, 1, 64}}) {
            final byte[] forged = archive.clone();
            ByteBuffer.wrap(forged, 9, 12).putInt(kdf[0]).putInt(kdf[1]).putInt(kdf[2]);
            assertThatThrownBy(() -> BackupTool.read(forged, BackupFuzzInputs.PASSPHRASE)).as("%d KiB, %d passes, %d lanes", kdf[0], kdf[1], kdf[2])
                    .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("BACKUP_TAMPERED"))
                    .hasMessageContaining("out of range");
        }
        // What the writer asks for still opens.
        final byte[] real = ArchiveCipher.seal(io.factfleet.core.Canonical.bytes(BackupFuzzInputs.journalOnly()), BackupFuzzInputs.PASSPHRASE,
                new SecureRandom());
        assertThat(BackupTool.read(real, BackupFuzzInputs.PASSPHRASE).getTail()).hasSize(4);
    }
}
