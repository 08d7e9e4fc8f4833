package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.snapshot.BlobChunk;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotsTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final FactAdmission ADMISSION = new FactAdmission(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()), SignatureVerifier.bouncyCastle());
    private final Reducer reducer = Reducer.standard();
    private final AuthorityGenesis g = AuthorityGenesis.generate("fleet-s", 5, 3);
    private final FactEnvelope genesis = g.genesisFact(OPERATOR);

    private record Completed(SnapshotBlob blob, byte[] blobBytes, String cid, FactEnvelope completion) {
    }

    private Completed completedSnapshot(final int signers) {
        final List<FactEnvelope> facts = new ArrayList<>(List.of(genesis));
        for (int i = 0; i < 20; i++) {
            facts.add(g.device(i % 5).journalEntry(0, ("k" + i).getBytes(), ("v" + i).getBytes()));
        }
        final MaintenanceState state = reducer.reduce(g.authorityId(), facts);
        final List<byte[]> ids = new ArrayList<>();
        facts.forEach(f -> ids.add(Facts.id(f)));
        final SnapshotBlob blob = Snapshots.blob(state, "p1", 0, ids, List.of(genesis));
        final byte[] bytes = Canonical.bytes(blob);
        final String cid = Snapshots.cid(bytes);
        final SnapshotStatement statement = new SnapshotStatement(g.authorityId(), "p1", 0L, ByteBuffer.wrap(StateDigest.of(state)));
        final List<Ed25519Keys.SigningKey> keys = g.deviceKeys().subList(0, signers);
        final FactEnvelope completion = g.admin().sign(0, new SnapshotCompleted(statement, cid, (long) facts.size(),
                ThresholdCertificates.of(statement, keys)));
        return new Completed(blob, bytes, cid, completion);
    }

    @Test
    void aCertifiedBlobVerifiesAndHydratesToItsState() {
        final Completed c = completedSnapshot(3);
        final Snapshots.Verified verified = Snapshots.verify(c.blob(), c.cid(), c.completion(), ADMISSION, SignatureVerifier.bouncyCastle());
        assertThat(StateDigest.of(verified.state())).isEqualTo(Snapshots.digestOf(c.blob()));
        assertThat(verified.coveredFactIds()).hasSize(21);
        assertThat(verified.rosterState().getRoster()).hasSize(5);
    }

    @Test
    void twoSignaturesOfThreeRequiredAreRefused() {
        final Completed c = completedSnapshot(2);
        assertThatThrownBy(() -> Snapshots.verify(c.blob(), c.cid(), c.completion(), ADMISSION, SignatureVerifier.bouncyCastle()))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> assertThat(e.code()).isEqualTo("CERTIFICATE_INVALID"));
    }

    @Test
    void aBlobWhoseStateWasChangedIsRefused() {
        final Completed c = completedSnapshot(3);
        final MaintenanceState forged = Snapshots.stateOf(c.blob());
        forged.setJournalEntryCount(forged.getJournalEntryCount() + 1);
        final SnapshotBlob tampered = SnapshotBlob.newBuilder(c.blob()).setState(ByteBuffer.wrap(Canonical.bytes(forged))).build();
        assertThatThrownBy(() -> Snapshots.verify(tampered, c.cid(), c.completion(), ADMISSION, SignatureVerifier.bouncyCastle()))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> assertThat(e.code()).isEqualTo("DIGEST_MISMATCH"));
    }

    @Test
    void aGenesisByAnUntrustedOperatorIsRefused() {
        final Completed c = completedSnapshot(3);
        final FactAdmission otherCluster = new FactAdmission(Map.of(), SignatureVerifier.bouncyCastle());
        assertThatThrownBy(() -> Snapshots.verify(c.blob(), c.cid(), c.completion(), otherCluster, SignatureVerifier.bouncyCastle()))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> {
                    assertThat(e.code()).isEqualTo("ROSTER_CHAIN_INVALID");
                    assertThat(e.getMessage()).contains("UNTRUSTED_OPERATOR");
                });
    }

    @Test
    void chunksReassembleInAnyOrderAndAMissingOrFlippedChunkIsRefused() {
        final byte[] bytes = new byte[10_000];
        new java.util.Random(7).nextBytes(bytes);
        final List<BlobChunk> chunks = new ArrayList<>(Snapshots.chunks(bytes, 1024));
        assertThat(chunks).hasSize(10);
        Collections.reverse(chunks);
        final String cid = Snapshots.cid(bytes);
        assertThat(Snapshots.assemble(cid, chunks)).isEqualTo(bytes);
        assertThatThrownBy(() -> Snapshots.assemble(cid, chunks.subList(1, 10))).hasMessageContaining("BLOB_INCOMPLETE");
        final byte[] flipped = Canonical.array(chunks.get(3).getData()).clone();
        flipped[5] ^= 1;
        chunks.set(3, BlobChunk.newBuilder(chunks.get(3)).setData(ByteBuffer.wrap(flipped)).build());
        assertThatThrownBy(() -> Snapshots.assemble(cid, chunks)).hasMessageContaining("BLOB_CORRUPT");
    }
}
