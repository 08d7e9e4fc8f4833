package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.snapshot.SnapshotBlob;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression tests of RelayedSnapshotFuzzTest's finding: a blob whose hashes are consistent (as a bridge that forges
 * them would make it) but whose state or roster facts do not decode threw IllegalArgumentException out of
 * Snapshots.verify / verifyAgainst instead of a SnapshotException.
 */
class SnapshotDecodingTest {
    private static final SignatureVerifier VERIFIER = SignatureVerifier.bouncyCastle();
    private static final FactAdmission ADMISSION = new FactAdmission(FuzzFixtures.operatorKeys(), VERIFIER);
    private final FuzzFixtures.Snapshot good = FuzzFixtures.snapshot(FuzzFixtures.authority("decoding", 3, 2), 2);

    /** The blob with its completion re-made to name it: cid and digest match, the certificate holds. */
    private record Forged(SnapshotBlob blob, String cid, FactEnvelope completion) {
    }

    private Forged consistent(final SnapshotBlob blob) {
        final String cid = Snapshots.cid(Canonical.bytes(blob));
        final SnapshotStatement statement = new SnapshotStatement(blob.getAuthorityId(), "fuzz-p1", 0L, ByteBuffer.wrap(Snapshots.digestOf(blob)));
        final FactEnvelope completion = FuzzFixtures.admin(good.authority()).sign(0, new SnapshotCompleted(statement, cid, 3L,
                ThresholdCertificates.of(statement, good.authority().deviceKeys().subList(0, 2))));
        return new Forged(blob, cid, completion);
    }

    @Test
    void aStateThatDoesNotDecodeIsRefused() {
        final Forged forged = consistent(SnapshotBlob.newBuilder(good.blob()).setState(ByteBuffer.wrap(new byte[] {0x65, 1, 2})).build());
        assertThatThrownBy(() -> Snapshots.verify(forged.blob(), forged.cid(), forged.completion(), ADMISSION, VERIFIER))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> assertThat(e.code()).isEqualTo("BLOB_UNDECODABLE"));
        assertThatThrownBy(() -> Snapshots.verifyAgainst(forged.blob(), forged.cid(), forged.completion(), good.state(), VERIFIER))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> assertThat(e.code()).isEqualTo("BLOB_UNDECODABLE"));
    }

    @Test
    void aRosterFactThatDoesNotDecodeIsRefused() {
        final Forged forged = consistent(SnapshotBlob.newBuilder(good.blob()).setRosterFacts(List.of(ByteBuffer.wrap(new byte[] {0x33}))).build());
        assertThatThrownBy(() -> Snapshots.verify(forged.blob(), forged.cid(), forged.completion(), ADMISSION, VERIFIER))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> assertThat(e.code()).isEqualTo("BLOB_UNDECODABLE"));
    }

    @Test
    void theConsistentlyRemadeGoodBlobStillVerifies() {
        final Forged remade = consistent(good.blob());
        assertThat(Snapshots.verify(remade.blob(), remade.cid(), remade.completion(), ADMISSION, VERIFIER).state()).isEqualTo(good.state());
    }
}
