package io.factfleet.snapshot.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class ArchiveCipherTest {
    private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();
    private final byte[] contents = "the snapshot blob, the journal tail and the roster".repeat(50).getBytes();

    @Test
    void sealedContentsOpenWithThePassphrase() {
        final byte[] archive = ArchiveCipher.seal(contents, PASSPHRASE, new SecureRandom());
        assertThat(new String(archive, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("journal tail");
        assertThat(ArchiveCipher.open(archive, PASSPHRASE)).isEqualTo(contents);
    }

    @Test
    void aFlippedByteAnywhereIsRefused() {
        final byte[] archive = ArchiveCipher.seal(contents, PASSPHRASE, new SecureRandom());
        for (final int position : new int[] {12, 30, 45, archive.length / 2, archive.length - 1}) {
            final byte[] tampered = archive.clone();
            tampered[position] ^= 0x01;
            assertThatThrownBy(() -> ArchiveCipher.open(tampered, PASSPHRASE)).as("byte " + position)
                    .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("BACKUP_TAMPERED"))
                    .hasMessageContaining("nothing was restored");
        }
    }

    @Test
    void aWrongPassphraseIsRefused() {
        final byte[] archive = ArchiveCipher.seal(contents, PASSPHRASE, new SecureRandom());
        assertThatThrownBy(() -> ArchiveCipher.open(archive, "not the passphrase".toCharArray()))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("BACKUP_TAMPERED"));
    }

    @Test
    void aFileThatIsNotABackupIsRefusedAsSuch() {
        assertThatThrownBy(() -> ArchiveCipher.open("PK\u0003\u0004 a zip file, say".getBytes(), PASSPHRASE))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("NOT_A_BACKUP"));
    }

    @Test
    void aShortPassphraseIsRefusedBeforeAnythingIsWritten() {
        assertThatThrownBy(() -> ArchiveCipher.seal(contents, "short".toCharArray(), new SecureRandom()))
                .isInstanceOfSatisfying(BackupException.class, e -> assertThat(e.code()).isEqualTo("WEAK_PASSPHRASE"));
    }
}
