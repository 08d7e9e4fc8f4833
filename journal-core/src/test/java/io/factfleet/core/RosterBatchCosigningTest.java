package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.KeySignature;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterAtEpoch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The offline co-signing ceremony of a roster batch: statement bytes out, co-signatures in, each one checked. */
class RosterBatchCosigningTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private final AuthorityGenesis g = AuthorityGenesis.generate("site-4", 5, 3);
    private final MaintenanceState genesis = Reducer.standard().reduce(g.authorityId(), List.of(g.genesisFact(OPERATOR)));
    private final RosterAtEpoch roster = Rosters.at(genesis, 0).orElseThrow();
    private final RosterBatchChange change = EnrolmentManifest.batch(g.authorityId(), roster,
            "n-1," + Hashing.hex(Ed25519Keys.generate().publicKey()) + "\nn-2," + Hashing.hex(Ed25519Keys.generate().publicKey()),
            List.of(g.deviceIds().get(4)), null).statement();
    private final byte[] statement = RosterBatches.statement(change);

    private RosterBatches.Cosignature by(final int device) {
        final KeySignature s = RosterBatches.cosign(statement, g.deviceKeys().get(device));
        return new RosterBatches.Cosignature(g.deviceIds().get(device), null, Canonical.array(s.getSignature()));
    }

    private RosterBatches.Certification certify(final RosterBatches.Cosignature... cosignatures) {
        return RosterBatches.certify(roster, change, List.of(cosignatures), SignatureVerifier.bouncyCastle());
    }

    private static void assertOnlyRefusal(final RosterBatches.Certification c, final String code, final String signer) {
        assertThat(c.certified()).isFalse();
        assertThat(c.certificate()).isNull();
        assertThat(c.refusals()).singleElement().satisfies(r -> {
            assertThat(r.code()).isEqualTo(code);
            assertThat(r.signer()).isEqualTo(signer);
            assertThat(r.message()).isNotBlank();
        });
    }

    @Test
    void theStatementIsWhatThresholdCertificatesSignAndReadsBackToTheBatch() {
        assertThat(statement).isEqualTo(ThresholdCertificates.message(change));
        assertThat(RosterBatches.readStatement(statement)).isEqualTo(change);
    }

    @Test
    void coSignaturesOfMDevicesMakeACertificateTheReducerAccepts() {
        final RosterBatches.Certification c = certify(by(2), by(0), by(1));
        assertThat(c.certified()).isTrue();
        assertThat(c.signers()).containsExactly(g.deviceIds().get(0), g.deviceIds().get(1), g.deviceIds().get(2));
        final FactEnvelope fact = g.admin().sign(0, new RosterBatchChanged(change, c.certificate()));
        final MaintenanceState after = Reducer.standard().reduce(g.authorityId(), List.of(g.genesisFact(OPERATOR), fact));
        assertThat(after.getIdentityEpoch()).isEqualTo(1);
        assertThat(after.getRoster()).hasSize(6);
        assertThat(after.getIgnored()).isEmpty();
    }

    @Test
    void theSameCoSignaturesInAnyOrderMakeTheSameCertificate() {
        assertThat(certify(by(0), by(1), by(2)).certificate()).isEqualTo(certify(by(2), by(1), by(0)).certificate());
    }

    @Test
    void aCoSignerNamedByKeyIdCounts() {
        final KeySignature s = RosterBatches.cosign(statement, g.deviceKeys().get(3));
        assertThat(certify(by(0), by(1), new RosterBatches.Cosignature(null, s.getKeyId(), Canonical.array(s.getSignature()))).certified()).isTrue();
    }

    @Test
    void tooFewCoSignaturesAreRefusedWithHowManyMoreAreNeeded() {
        final RosterBatches.Certification c = certify(by(0), by(1));
        assertOnlyRefusal(c, "TOO_FEW_SIGNATURES", "");
        assertThat(c.refusals().get(0).message()).contains("2 valid co-signatures of 3").contains("1 more");
    }

    @Test
    void aCoSignerNotOnTheRosterIsRefusedByName() {
        final Ed25519Keys.SigningKey stranger = Ed25519Keys.generate();
        final byte[] signature = Canonical.array(RosterBatches.cosign(statement, stranger).getSignature());
        assertOnlyRefusal(certify(by(0), by(1), by(2), new RosterBatches.Cosignature("stranger", null, signature)), "COSIGNER_NOT_MEMBER", "stranger");
    }

    @Test
    void aSignatureThatDoesNotVerifyIsRefusedByName() {
        final RosterBatches.Cosignature good = by(2);
        final byte[] flipped = good.signature().clone();
        flipped[5] ^= 1;
        assertOnlyRefusal(certify(by(0), by(1), new RosterBatches.Cosignature(good.deviceId(), null, flipped)), "BAD_COSIGNATURE", g.deviceIds().get(2));
    }

    @Test
    void aSignatureByAnotherDevicesKeyIsRefused() {
        final byte[] byDevice3 = by(3).signature();
        assertOnlyRefusal(certify(by(0), by(1), new RosterBatches.Cosignature(g.deviceIds().get(2), null, byDevice3)), "BAD_COSIGNATURE",
                g.deviceIds().get(2));
    }

    @Test
    void aSignatureOverAnotherStatementIsRefused() {
        final RosterBatchChange other = RosterBatchChange.newBuilder(change).setNewThreshold(2).build();
        final byte[] signature = Canonical.array(RosterBatches.cosign(other, g.deviceKeys().get(2)).getSignature());
        assertOnlyRefusal(certify(by(0), by(1), new RosterBatches.Cosignature(g.deviceIds().get(2), null, signature)), "BAD_COSIGNATURE",
                g.deviceIds().get(2));
    }

    @Test
    void aDeviceCoSigningTwiceCountsOnceAndIsRefused() {
        assertOnlyRefusal(certify(by(0), by(1), by(1)), "DUPLICATE_COSIGNER", g.deviceIds().get(1));
    }

    @Test
    void aDeviceIdWithAnotherDevicesKeyIdIsRefused() {
        final RosterBatches.Cosignature c = by(2);
        assertOnlyRefusal(certify(by(0), by(1), new RosterBatches.Cosignature(c.deviceId(), g.deviceKeys().get(3).keyId(), c.signature())),
                "COSIGNER_KEY_MISMATCH", g.deviceIds().get(2));
    }

    @Test
    void everyBadCoSignatureIsReported() {
        final RosterBatches.Certification c = certify(by(0), by(0), new RosterBatches.Cosignature("ghost", null, new byte[64]));
        assertThat(c.refusals()).extracting(RosterBatches.CosignRefusal::code).containsExactly("DUPLICATE_COSIGNER", "COSIGNER_NOT_MEMBER");
    }

    @Test
    void aDeviceKeyRefusesToCoSignBytesThatAreNotARosterBatchStatement() {
        final byte[] snapshot = ThresholdCertificates.message(new SnapshotStatement(g.authorityId(), "p", 0L, ByteBuffer.wrap(new byte[32])));
        assertThatThrownBy(() -> RosterBatches.cosign(snapshot, g.deviceKeys().get(0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a roster batch statement");
        final byte[] truncated = java.util.Arrays.copyOf(statement, statement.length - 3);
        assertThatThrownBy(() -> RosterBatches.cosign(truncated, g.deviceKeys().get(0))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theKeyIndexFindsTheSameSignerAsTheRosterOfEveryEpoch() {
        // Three epochs of joins and leaves, and a device that leaves and comes back with its key: the index answers for
        // every key at every epoch as the derived rosters do.
        final List<FactEnvelope> facts = new ArrayList<>(List.of(g.genesisFact(OPERATOR)));
        MaintenanceState state = genesis;
        final List<String> keyIds = new ArrayList<>(g.deviceKeys().stream().map(Ed25519Keys.SigningKey::keyId).toList());
        Ed25519Keys.SigningKey returning = null;
        for (int epoch = 0; epoch < 3; epoch++) {
            final RosterAtEpoch current = Rosters.at(state, epoch).orElseThrow();
            final StringBuilder manifest = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
                keyIds.add(key.keyId());
                returning = epoch == 0 && i == 0 ? key : returning;
                manifest.append("e").append(epoch).append("-").append(i).append(',').append(Hashing.hex(key.publicKey())).append('\n');
            }
            if (epoch == 2) {
                manifest.append("e0-0,").append(Hashing.hex(returning.publicKey())).append('\n');
            }
            final String leaving = epoch == 0 ? g.deviceIds().get(4) : epoch == 1 ? "e0-0" : "e1-1";
            final RosterBatchChange batch = EnrolmentManifest.batch(g.authorityId(), current, manifest.toString(), List.of(leaving), null).statement();
            facts.add(g.admin().sign(epoch, new RosterBatchChanged(batch, ThresholdCertificates.of(batch, g.deviceKeys().subList(0, 3)))));
            state = Reducer.standard().reduce(g.authorityId(), facts);
            assertThat(state.getIdentityEpoch()).isEqualTo(epoch + 1);
        }
        assertThat(Rosters.at(state, 2).orElseThrow().getMembers()).extracting(io.factfleet.schema.state.RosterEntry::getDeviceId).doesNotContain("e0-0");
        assertThat(Rosters.at(state, 3).orElseThrow().getMembers()).extracting(io.factfleet.schema.state.RosterEntry::getDeviceId).contains("e0-0");
        final Rosters.KeyIndex index = Rosters.KeyIndex.of(state);
        for (long epoch = 0; epoch <= state.getIdentityEpoch(); epoch++) {
            final List<io.factfleet.schema.state.RosterEntry> members = Rosters.at(state, epoch).orElseThrow().getMembers();
            for (final String keyId : keyIds) {
                assertThat(index.memberAt(keyId, epoch)).as("key " + keyId + " at epoch " + epoch).isEqualTo(Rosters.memberByKeyId(members, keyId));
            }
        }
    }
}
