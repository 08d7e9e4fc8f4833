package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.KeySignature;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.state.RosterEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThresholdCertificatesTest {
    private final List<Ed25519Keys.SigningKey> keys = List.of(Ed25519Keys.generate(), Ed25519Keys.generate(), Ed25519Keys.generate(),
            Ed25519Keys.generate(), Ed25519Keys.generate());
    private final List<RosterEntry> roster = rosterOf(keys);
    private final SnapshotStatement statement = new SnapshotStatement("auth", "p1", 3L, ByteBuffer.wrap(new byte[] {1, 2, 3}));
    private final SignatureVerifier verifier = SignatureVerifier.bouncyCastle();

    static List<RosterEntry> rosterOf(final List<Ed25519Keys.SigningKey> keys) {
        final List<RosterEntry> roster = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            roster.add(new RosterEntry("d" + i, keys.get(i).keyId(), ByteBuffer.wrap(keys.get(i).publicKey()), 0L));
        }
        return roster;
    }

    private ThresholdCertificates.Check check(final ThresholdCertificate certificate, final int threshold) {
        return ThresholdCertificates.verify(certificate, ThresholdCertificates.message(statement), roster, threshold, verifier);
    }

    @Test
    void mDistinctRosteredSignaturesMeetTheThreshold() {
        final ThresholdCertificates.Check check = check(ThresholdCertificates.of(statement, keys.subList(0, 3)), 3);
        assertThat(check.valid()).isTrue();
        assertThat(check.distinctValidSigners()).isEqualTo(3);
    }

    @Test
    void fewerThanMSignaturesDoNotMeetTheThreshold() {
        assertThat(check(ThresholdCertificates.of(statement, keys.subList(0, 2)), 3).valid()).isFalse();
    }

    @Test
    void aDuplicateKeyNeverCountsTwice() {
        final ThresholdCertificate certificate = ThresholdCertificates.of(statement, List.of(keys.get(0), keys.get(1), keys.get(1)));
        final ThresholdCertificates.Check check = check(certificate, 3);
        assertThat(check.valid()).isFalse();
        assertThat(check.distinctValidSigners()).isEqualTo(2);
        assertThat(check.problems()).anySatisfy(p -> assertThat(p).contains("more than once"));
    }

    @Test
    void anExtraInvalidSignatureDoesNotSpoilAValidCertificate() {
        final ThresholdCertificate certificate = ThresholdCertificates.of(statement, keys.subList(0, 3));
        certificate.getSignatures().add(new KeySignature(keys.get(3).keyId(), ByteBuffer.wrap(new byte[64])));
        final ThresholdCertificates.Check check = check(certificate, 3);
        assertThat(check.valid()).isTrue();
        assertThat(check.problems()).singleElement().asString().contains("does not verify");
    }

    @Test
    void anUnrosteredKeyDoesNotCount() {
        final ThresholdCertificate certificate = ThresholdCertificates.of(statement, List.of(keys.get(0), keys.get(1), Ed25519Keys.generate()));
        assertThat(check(certificate, 3).valid()).isFalse();
    }

    @Test
    void aSignatureOverAnotherStatementDoesNotCount() {
        final SnapshotStatement other = new SnapshotStatement("auth", "p1", 4L, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        final ThresholdCertificate certificate = ThresholdCertificates.of(other, keys.subList(0, 3));
        assertThat(check(certificate, 3).valid()).isFalse();
    }

    @Test
    void aZeroThresholdIsNeverMet() {
        assertThat(check(ThresholdCertificates.of(statement, keys), 0).valid()).isFalse();
    }
}
