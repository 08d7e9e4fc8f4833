package io.factfleet.snapshot.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.core.Canonical;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Snapshots;
import io.factfleet.schema.snapshot.BackupContents;
import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the backup archive reader from the first byte of the file: {@link ArchiveCipher#open} (magic, key
 * derivation parameters, salt, nonce, AES-GCM) and then the contents, as {@code factfleet backup restore} reads
 * an archive. The seeds are real archives sealed by {@link ArchiveCipher} (one with the production key derivation
 * parameters, others with cheap ones so that the fuzzer gets more executions per second).
 *
 * <p>Contract: {@link BackupException} (NOT_A_BACKUP, BACKUP_TAMPERED, ...) or {@link Snapshots.SnapshotException},
 * which the command prints as a refusal; any other exception or error (an OutOfMemoryError from a key derivation
 * parameter, say) is a finding.
 */
@ExtendWith(FuzzStats.class)
class BackupArchiveFuzzTest {
    @FuzzTest
    void open(final byte[] archive) {
        FuzzStats.executed(BackupArchiveFuzzTest.class);
        try {
            final BackupContents contents = BackupTool.read(archive, BackupFuzzInputs.PASSPHRASE);
            assertThat(BackupTool.verify(contents, BackupFuzzInputs.ADMISSION)).isEqualTo(contents.getTail().size());
        } catch (final BackupException | Snapshots.SnapshotException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        final SecureRandom random = new SecureRandom();
        seeds.put("seed-archive-production-kdf", ArchiveCipher.seal(Canonical.bytes(BackupFuzzInputs.journalOnly()), BackupFuzzInputs.PASSPHRASE, random));
        seeds.put("seed-archive-cheap-kdf-snapshot", ArchiveCipher.seal(Canonical.bytes(BackupFuzzInputs.withSnapshot()), BackupFuzzInputs.PASSPHRASE,
                random, 8, 1, 1));
        seeds.put("seed-archive-cheap-kdf-journal", ArchiveCipher.seal(Canonical.bytes(BackupFuzzInputs.journalOnly()), BackupFuzzInputs.PASSPHRASE,
                random, 8, 1, 1));
        return seeds;
    }

    @Test
    void theCommittedSeedsAreArchivesThatOpenAndVerify() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(BackupArchiveFuzzTest.class, "open", BackupArchiveFuzzTest::validInputs);
        assertThat(seeds).hasSize(3);
        seeds.forEach((name, archive) -> assertThat(BackupTool.verify(Canonical.decode(ArchiveCipher.open(archive, BackupFuzzInputs.PASSPHRASE),
                BackupContents.class), BackupFuzzInputs.ADMISSION)).as(name).isPositive());
    }
}
