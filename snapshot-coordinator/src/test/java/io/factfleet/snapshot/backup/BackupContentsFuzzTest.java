package io.factfleet.snapshot.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.core.Canonical;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Snapshots;
import io.factfleet.schema.snapshot.BackupContents;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the backup archive reader past its encryption: the opened contents of an archive (what an operator restores
 * from a file someone handed them, sealed with a passphrase they were told), decoded and verified as
 * {@code factfleet backup restore} does before it writes anything.
 *
 * <p>Contract: the restore command catches {@link BackupException} and {@link Snapshots.SnapshotException} and
 * prints their code; any other exception is a stack trace instead of a refusal: a finding.
 */
@ExtendWith(FuzzStats.class)
class BackupContentsFuzzTest {
    @FuzzTest
    void verify(final byte[] plaintext) {
        FuzzStats.executed(BackupContentsFuzzTest.class);
        try {
            final BackupContents contents = BackupTool.contents(plaintext);
            final int tail = BackupTool.verify(contents, BackupFuzzInputs.ADMISSION);
            assertThat(tail).isEqualTo(contents.getTail().size());
        } catch (final BackupException | Snapshots.SnapshotException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        seeds.put("seed-with-snapshot", Canonical.bytes(BackupFuzzInputs.withSnapshot()));
        seeds.put("seed-journal-only", Canonical.bytes(BackupFuzzInputs.journalOnly()));
        return seeds;
    }

    @Test
    void theCommittedSeedsAreBackupsThatVerify() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(BackupContentsFuzzTest.class, "verify", BackupContentsFuzzTest::validInputs);
        assertThat(seeds).containsOnlyKeys("seed-with-snapshot", "seed-journal-only");
        assertThat(BackupTool.verify(Canonical.decode(seeds.get("seed-with-snapshot"), BackupContents.class), BackupFuzzInputs.ADMISSION)).isEqualTo(3);
        assertThat(BackupTool.verify(Canonical.decode(seeds.get("seed-journal-only"), BackupContents.class), BackupFuzzInputs.ADMISSION)).isEqualTo(4);
    }
}
