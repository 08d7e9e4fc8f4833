package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AdminReplacementStatement;
import io.factfleet.schema.DeviceEnrolled;
import io.factfleet.schema.DeviceEnrolment;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FactAdmissionTest {
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
    private final FactAdmission admission = new FactAdmission(Map.of(operator.keyId(), operator.publicKey()), SignatureVerifier.bouncyCastle());
    private final AuthorityGenesis g = AuthorityGenesis.generate("site-1", 3, 2);

    private MaintenanceState created() {
        final FactAdmission.Decision decision = admission.admit(null, g.genesisFact(operator));
        assertThat(decision.accepted()).isTrue();
        return decision.rosterStateAfter().orElseThrow();
    }

    private RejectionCode rejection(final MaintenanceState state, final FactEnvelope fact) {
        final Admission verdict = admission.admit(state, fact).admission();
        assertThat(verdict).isInstanceOf(Admission.Rejected.class);
        assertThat(((Admission.Rejected) verdict).message()).isNotBlank();
        return ((Admission.Rejected) verdict).code();
    }

    @Test
    void aWellSignedFactByARosteredDeviceIsAccepted() {
        assertThat(admission.admit(created(), g.device(0).journalEntry(0, new byte[] {1}, new byte[] {2})).accepted()).isTrue();
    }

    @Test
    void genesisByAnUntrustedKeyIsRejected() {
        assertThat(rejection(null, g.genesisFact(Ed25519Keys.generate()))).isEqualTo(RejectionCode.UNTRUSTED_OPERATOR);
    }

    @Test
    void aSecondGenesisIsRejected() {
        assertThat(rejection(created(), g.genesisFact(operator))).isEqualTo(RejectionCode.AUTHORITY_EXISTS);
    }

    @Test
    void aFactForAnUnknownAuthorityIsRejected() {
        assertThat(rejection(null, g.device(0).journalEntry(0, new byte[] {1}, new byte[] {2}))).isEqualTo(RejectionCode.UNKNOWN_AUTHORITY);
    }

    @Test
    void aFactFromAFutureEpochIsRejected() {
        assertThat(rejection(created(), g.device(0).journalEntry(4, new byte[] {1}, new byte[] {2}))).isEqualTo(RejectionCode.EPOCH_AHEAD);
    }

    @Test
    void anUnrosteredSignerIsRejected() {
        final DeviceSigner intruder = new DeviceSigner(g.authorityId(), "intruder", Ed25519Keys.generate());
        assertThat(rejection(created(), intruder.journalEntry(0, new byte[] {1}, new byte[] {2}))).isEqualTo(RejectionCode.SIGNER_NOT_ROSTERED);
    }

    @Test
    void aKeyUsedUnderAnotherDeviceIdIsRejected() {
        final DeviceSigner impostor = new DeviceSigner(g.authorityId(), g.deviceIds().get(1), g.deviceKeys().get(0));
        assertThat(rejection(created(), impostor.journalEntry(0, new byte[] {1}, new byte[] {2}))).isEqualTo(RejectionCode.DEVICE_KEY_MISMATCH);
    }

    @Test
    void aBadSignatureIsRejected() {
        final FactEnvelope fact = g.device(0).journalEntry(0, new byte[] {1}, new byte[] {2});
        final byte[] signature = Canonical.array(fact.getSignature());
        signature[0] ^= 1;
        fact.setSignature(ByteBuffer.wrap(signature));
        assertThat(rejection(created(), fact)).isEqualTo(RejectionCode.BAD_SIGNATURE);
    }

    @Test
    void aBodyChangedAfterSealingIsRejected() {
        final FactEnvelope fact = g.device(0).journalEntry(0, new byte[] {1}, new byte[] {2});
        fact.getBody().setIssuedAtMillis(fact.getBody().getIssuedAtMillis() + 1);
        assertThat(rejection(created(), fact)).isEqualTo(RejectionCode.FACT_ID_MISMATCH);
    }

    @Test
    void aRetiredAdminIsRejectedAtAndAfterTheActivationEpoch() {
        MaintenanceState state = created();
        final Ed25519Keys.SigningKey newAdmin = Ed25519Keys.generate();
        final AdminReplacementStatement statement = new AdminReplacementStatement(g.authorityId(), 0L, g.adminKey().keyId(),
                ByteBuffer.wrap(newAdmin.publicKey()), 1L);
        final FactAdmission.Decision replaced = admission.admit(state, g.device(0).sign(0,
                new AdminReplacement(statement, ThresholdCertificates.of(statement, g.deviceKeys().subList(0, 2)))));
        assertThat(replaced.accepted()).isTrue();
        state = replaced.rosterStateAfter().orElseThrow();
        assertThat(admission.admit(state, g.admin().cacheInvalidated(0, List.of("k"), 1)).accepted()).isTrue();
        assertThat(rejection(state, g.admin().cacheInvalidated(1, List.of("k"), 1))).isEqualTo(RejectionCode.RETIRED_ADMIN);
    }

    @Test
    void anOperatorsUpgradeProposalIsCheckedAtTheDoorLikeAnyProposal() {
        final io.factfleet.schema.UpgradeMetadata m = UpgradeFacts.metadata(g.authorityId(), "u1", "fw", 2, new byte[] {1},
                io.factfleet.schema.UpgradeKind.SOFT, null, Long.MAX_VALUE, UpgradeFacts.noWaves());
        final FactEnvelope certified = g.admin().sign(0, new io.factfleet.schema.OperatorUpgradeProposal(
                new io.factfleet.schema.UpgradeProposed(m, ThresholdCertificates.of(m, g.deviceKeys().subList(0, 2))), "alice"));
        assertThat(admission.admit(created(), certified).accepted()).isTrue();
        final FactEnvelope forged = g.admin().sign(0, new io.factfleet.schema.OperatorUpgradeProposal(
                new io.factfleet.schema.UpgradeProposed(m, ThresholdCertificates.of(m, g.deviceKeys().subList(0, 1))), "alice"));
        assertThat(rejection(created(), forged)).isEqualTo(RejectionCode.CERTIFICATE_INVALID);
    }

    @Test
    void anEnrolmentWithoutAThresholdIsRejected() {
        final DeviceEnrolment enrolment = new DeviceEnrolment(g.authorityId(), 0L, "new", ByteBuffer.wrap(Ed25519Keys.generate().publicKey()), null);
        final FactEnvelope fact = g.device(0).sign(0, new DeviceEnrolled(enrolment, ThresholdCertificates.of(enrolment, g.deviceKeys().subList(0, 1))));
        assertThat(rejection(created(), fact)).isEqualTo(RejectionCode.CERTIFICATE_INVALID);
    }

    @Test
    void aCertifiedEnrolmentAdvancesTheEpochAndAStaleOneIsRejected() {
        final MaintenanceState state = created();
        final DeviceEnrolment enrolment = new DeviceEnrolment(g.authorityId(), 0L, "new", ByteBuffer.wrap(Ed25519Keys.generate().publicKey()), null);
        final FactEnvelope fact = g.device(0).sign(0, new DeviceEnrolled(enrolment, ThresholdCertificates.of(enrolment, g.deviceKeys().subList(0, 2))));
        final FactAdmission.Decision decision = admission.admit(state, fact);
        assertThat(decision.rosterStateAfter().orElseThrow().getIdentityEpoch()).isEqualTo(1);
        final DeviceEnrolment late = new DeviceEnrolment(g.authorityId(), 0L, "late", ByteBuffer.wrap(Ed25519Keys.generate().publicKey()), null);
        final FactEnvelope stale = g.device(1).sign(0, new DeviceEnrolled(late, ThresholdCertificates.of(late, g.deviceKeys().subList(0, 2))));
        assertThat(rejection(decision.rosterStateAfter().orElseThrow(), stale)).isIn(RejectionCode.INVALID_ROSTER_CHANGE);
    }
}
