package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.bridge.SyncAnswer;
import io.factfleet.schema.snapshot.BackupContents;
import io.factfleet.schema.snapshot.BlobChunk;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.snapshot.SnapshotPointer;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes {@link Canonical#decode} for every record type that reaches it from outside the process: facts
 * (bridge submissions, the OTA API, sync answers), snapshot pointers, blobs, chunks and states (relayed to
 * devices, read back from topics), sync answers, roster batch statements, upgrade proposals and backup
 * contents. The first byte picks the type, the rest is the input.
 *
 * <p>Contract: a value, or {@link IllegalArgumentException} (what every caller catches and turns into a
 * rejection); never another exception, an error, or a value that does not survive re-encoding.
 */
@ExtendWith(FuzzStats.class)
class CanonicalDecodeFuzzTest {
    static final List<Class<? extends SpecificRecord>> TYPES = List.of(FactEnvelope.class, SnapshotPointer.class, SnapshotBlob.class,
            BlobChunk.class, SyncAnswer.class, RosterBatchChange.class, UpgradeProposed.class, BackupContents.class, MaintenanceState.class);

    @FuzzTest
    void decode(final byte[] input) {
        FuzzStats.executed(CanonicalDecodeFuzzTest.class);
        if (input.length == 0) {
            return;
        }
        final Class<? extends SpecificRecord> type = TYPES.get(Byte.toUnsignedInt(input[0]) % TYPES.size());
        final byte[] bytes = Arrays.copyOfRange(input, 1, input.length);
        final SpecificRecord value;
        try {
            value = Canonical.decode(bytes, type);
        } catch (final IllegalArgumentException refused) {
            return;
        }
        // What decodes is a value of the type that encodes and decodes to itself.
        assertThat(value).isInstanceOf(type);
        final byte[] again = Canonical.bytes(value);
        assertThat(Canonical.decode(again, type)).isEqualTo(value);
    }

    private static byte[] seed(final Class<? extends SpecificRecord> type, final SpecificRecord value) {
        final byte[] bytes = Canonical.bytes(value);
        final byte[] seed = new byte[bytes.length + 1];
        seed[0] = (byte) TYPES.indexOf(type);
        System.arraycopy(bytes, 0, seed, 1, bytes.length);
        return seed;
    }

    static Map<String, byte[]> validInputs() {
        final AuthorityGenesis site = FuzzFixtures.authority("fuzz-site", 3, 2);
        final FuzzFixtures.Snapshot snapshot = FuzzFixtures.snapshot(site, 4);
        final FactEnvelope entry = snapshot.facts().get(1);
        final SyncAnswer sync = new SyncAnswer(site.authorityId(), "index-1", 2L, true, ByteBuffer.wrap(new byte[32]), 2L,
                List.of(ByteBuffer.wrap(Canonical.bytes(entry)), ByteBuffer.wrap(Canonical.bytes(snapshot.facts().get(2)))));
        final BackupContents backup = BackupContents.newBuilder().setFormatVersion(1).setAuthorityId(site.authorityId())
                .setCreatedAtMillis(FuzzFixtures.T0).setPointer(snapshot.pointer()).setBlob(ByteBuffer.wrap(snapshot.blobBytes()))
                .setTail(List.of(ByteBuffer.wrap(Canonical.bytes(entry)))).build();
        final Map<String, byte[]> seeds = new java.util.TreeMap<>();
        seeds.put("seed-fact-genesis", seed(FactEnvelope.class, snapshot.facts().get(0)));
        seeds.put("seed-fact-entry", seed(FactEnvelope.class, entry));
        seeds.put("seed-fact-completion", seed(FactEnvelope.class, snapshot.completion()));
        seeds.put("seed-pointer", seed(SnapshotPointer.class, snapshot.pointer()));
        seeds.put("seed-blob", seed(SnapshotBlob.class, snapshot.blob()));
        seeds.put("seed-chunk", seed(BlobChunk.class, Snapshots.chunks(snapshot.blobBytes(), 512).get(0)));
        seeds.put("seed-sync-answer", seed(SyncAnswer.class, sync));
        seeds.put("seed-backup", seed(BackupContents.class, backup));
        seeds.put("seed-state", seed(MaintenanceState.class, snapshot.state()));
        return seeds;
    }

    @Test
    void theCommittedSeedsAreValidInputsOfEachType() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(CanonicalDecodeFuzzTest.class, "decode", CanonicalDecodeFuzzTest::validInputs);
        assertThat(seeds).hasSizeGreaterThanOrEqualTo(9);
        seeds.forEach((name, input) -> {
            final Class<? extends SpecificRecord> type = TYPES.get(input[0] % TYPES.size());
            assertThat(Canonical.decode(Arrays.copyOfRange(input, 1, input.length), type)).as(name).isInstanceOf(type);
        });
    }
}
