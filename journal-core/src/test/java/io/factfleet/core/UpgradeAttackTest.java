package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.UpgradeChecks.Code;
import io.factfleet.core.UpgradeChecks.Verdict;
import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AdminReplacementStatement;
import io.factfleet.schema.EpochAdvance;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.KeySignature;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutAction;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutTransition;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.UpgradeActivated;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.ActivationClaim;
import io.factfleet.schema.state.IgnoredFact;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ReadinessRecord;
import io.factfleet.schema.state.RolloutTransitionRecord;
import io.factfleet.schema.state.UpgradeState;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The upgrade attack table (TUF/Uptane's attacks plus the fork and rollout rules): one test per
 * attack, each refused with its own {@link Code}, as the reducer, ingest, the coordinator, the
 * bridge and the device SDK see it through {@link UpgradeChecks}.
 *
 * <p>Rows of the table checked where the attack happens rather than here: another authority's device
 * fetching a firmware by its hash is refused by the edge bridge (403 {@code WRONG_AUTHORITY} in this
 * authority's path, 404 {@code ARTIFACT_NOT_IN_AUTHORITY} in its own: only artifacts its authority's
 * upgrades name are served), {@code EdgeBridgeArtifactTest.aDeviceOfAnotherAuthorityCannot...} and
 * {@code EdgeBridgeIT}; endless data and slow retrieval over the network by the SDK's
 * {@code ArtifactDownload} ({@code ArtifactDownloadTest}).
 */
class UpgradeAttackTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final byte[] ARTIFACT = "firmware 2.0 image".getBytes();
    private final AuthorityGenesis g = AuthorityGenesis.generate("fleet-a", 5, 3);
    private final AtomicLong clock = new AtomicLong(10_000);
    private final Reducer reducer = Reducer.standard();
    private final SignatureVerifier verifier = SignatureVerifier.bouncyCastle();
    private final List<FactEnvelope> facts = new ArrayList<>(List.of(g.genesisFact(OPERATOR)));

    private DeviceSigner device(final int i) {
        return new DeviceSigner(g.authorityId(), g.deviceIds().get(i), g.deviceKeys().get(i), clock::incrementAndGet);
    }

    private DeviceSigner admin() {
        return new DeviceSigner(g.authorityId(), "ota-coordinator", g.adminKey(), clock::incrementAndGet);
    }

    private MaintenanceState state() {
        return reducer.reduce(g.authorityId(), facts);
    }

    private UpgradeMetadata metadata(final String proposalId, final long version) {
        return UpgradeFacts.metadata(g.authorityId(), proposalId, "fw", version, ARTIFACT, UpgradeKind.SOFT, null, 1_000_000L,
                UpgradeFacts.noWaves());
    }

    private FactEnvelope proposed(final UpgradeMetadata m, final List<Ed25519Keys.SigningKey> signers) {
        return admin().sign(0, new UpgradeProposed(m, ThresholdCertificates.of(m, signers)));
    }

    private List<Ed25519Keys.SigningKey> keys(final int... indexes) {
        final List<Ed25519Keys.SigningKey> keys = new ArrayList<>();
        for (final int i : indexes) {
            keys.add(g.deviceKeys().get(i));
        }
        return keys;
    }

    private Verdict proposalVerdict(final FactEnvelope fact) {
        return UpgradeChecks.proposal(state(), fact.getBody(), (UpgradeProposed) fact.getBody().getPayload(), verifier);
    }

    private String ignoredReason(final MaintenanceState state, final FactEnvelope fact) {
        return state.getIgnored().stream().filter(i -> i.getFactId().equals(Facts.idHex(fact))).map(IgnoredFact::getReason)
                .findFirst().orElse(null);
    }

    private UpgradeState upgrade(final MaintenanceState state, final String proposalId) {
        return state.getUpgrades().stream().filter(u -> u.getProposalId().equals(proposalId)).findFirst().orElseThrow();
    }

    private ActivationClaim claim(final MaintenanceState state, final FactEnvelope activation) {
        return state.getActivationClaims().stream().filter(c -> c.getFactId().equals(Facts.idHex(activation))).findFirst().orElseThrow();
    }

    private FactEnvelope advance(final long fromEpoch) {
        final EpochAdvance statement = new EpochAdvance(g.authorityId(), fromEpoch, "test");
        return device(0).sign(fromEpoch, new EpochAdvanced(statement, ThresholdCertificates.of(statement, keys(0, 1, 2))));
    }

    private static Code code(final Verdict verdict) {
        assertThat(verdict.accepted()).as("refused: %s", verdict.reason()).isFalse();
        assertThat(verdict.reason()).startsWith(verdict.code().name() + ": ").hasSizeGreaterThan(verdict.code().name().length() + 10);
        return verdict.code();
    }

    // ---- metadata signatures --------------------------------------------------------------------

    @Test
    void metadataSignedByFewerThanMKeysIsRefusedAtTheReducerAndAtIngest() {
        final FactEnvelope fact = proposed(metadata("u1", 2), keys(0, 1));
        assertThat(code(proposalVerdict(fact))).isEqualTo(Code.THRESHOLD_NOT_MET);
        facts.add(fact);
        assertThat(ignoredReason(state(), fact)).contains(Code.THRESHOLD_NOT_MET.name());
        final FactAdmission admission = new FactAdmission(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()), verifier);
        final Admission verdict = admission.admit(reducer.reduce(g.authorityId(), List.of(g.genesisFact(OPERATOR))), fact).admission();
        assertThat(((Admission.Rejected) verdict).code()).isEqualTo(RejectionCode.CERTIFICATE_INVALID);
        assertThat(((Admission.Rejected) verdict).message()).contains(Code.THRESHOLD_NOT_MET.name());
    }

    @Test
    void aKeySigningTwiceCountsOnce() {
        assertThat(code(proposalVerdict(proposed(metadata("u1", 2), keys(0, 1, 1))))).isEqualTo(Code.DUPLICATE_SIGNER);
    }

    @Test
    void aSignatureByAnUnrosteredKeyDoesNotCount() {
        final UpgradeMetadata m = metadata("u1", 2);
        final List<Ed25519Keys.SigningKey> signers = keys(0, 1);
        signers.add(Ed25519Keys.generate());
        assertThat(code(proposalVerdict(admin().sign(0, new UpgradeProposed(m, ThresholdCertificates.of(m, signers))))))
                .isEqualTo(Code.UNROSTERED_SIGNER);
    }

    @Test
    void signaturesThatDoNotVerifyDoNotCount() {
        final UpgradeMetadata m = metadata("u1", 2);
        final List<KeySignature> signatures = new ArrayList<>(ThresholdCertificates.of(m, keys(0, 1)).getSignatures());
        signatures.add(new KeySignature(g.deviceKeys().get(2).keyId(), ByteBuffer.wrap(new byte[64])));
        assertThat(code(proposalVerdict(admin().sign(0, new UpgradeProposed(m, new ThresholdCertificate(signatures))))))
                .isEqualTo(Code.BAD_SIGNATURE);
    }

    @Test
    void oneInvalidSignatureAmongEnoughValidOnesIsStillAccepted() {
        final UpgradeMetadata m = metadata("u1", 2);
        final List<KeySignature> signatures = new ArrayList<>(ThresholdCertificates.of(m, keys(0, 1, 2)).getSignatures());
        signatures.add(new KeySignature(g.deviceKeys().get(3).keyId(), ByteBuffer.wrap(new byte[64])));
        final FactEnvelope fact = admin().sign(0, new UpgradeProposed(m, new ThresholdCertificate(signatures)));
        assertThat(proposalVerdict(fact).accepted()).isTrue();
        facts.add(fact);
        assertThat(upgrade(state(), "u1").getProblem()).isNull();
    }

    // ---- versions, expiry, mix-and-match --------------------------------------------------------

    @Test
    void aVersionBelowTheInstalledOneIsARollback() {
        assertThat(code(UpgradeChecks.version("fw", 2, 3))).isEqualTo(Code.VERSION_ROLLBACK);
    }

    @Test
    void aProposalBelowTheActivatedVersionIsARollbackInState() {
        facts.add(proposed(metadata("u3", 3), keys(0, 1, 2)));
        for (int i = 0; i < 3; i++) {
            facts.add(device(i).readiness(0, "u3", "fw", 3, ReadinessStatus.READY, null));
        }
        facts.add(admin().sign(0, new UpgradeActivated("u3", "fw", 3L, null)));
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        final MaintenanceState state = state();
        assertThat(UpgradeChecks.activatedVersion(state, "fw")).isEqualTo(3);
        assertThat(Verdict.codeOf(upgrade(state, "u2").getProblem())).contains(Code.VERSION_ROLLBACK);
    }

    @Test
    void theInstalledVersionReplayedIsRefusedByTheDevice() {
        final FactEnvelope fact = proposed(metadata("u2", 2), keys(0, 1, 2));
        facts.add(fact);
        assertThat(code(UpgradeChecks.forDevice(state(), fact.getBody(), (UpgradeProposed) fact.getBody().getPayload(), "fw", 2L,
                clock.get(), verifier))).isEqualTo(Code.VERSION_REPLAYED);
    }

    @Test
    void aSecondProposalOfTheSameVersionIsAReplayInState() {
        final FactEnvelope a = proposed(metadata("u-a", 2), keys(0, 1, 2));
        final FactEnvelope b = proposed(metadata("u-b", 2), keys(0, 1, 2));
        facts.add(a);
        facts.add(b);
        final MaintenanceState state = state();
        final String later = Facts.idHex(a).compareTo(Facts.idHex(b)) < 0 ? "u-b" : "u-a";
        assertThat(Verdict.codeOf(upgrade(state, later).getProblem())).contains(Code.VERSION_REPLAYED);
    }

    @Test
    void expiredMetadataIsRefusedByTheDevice() {
        final FactEnvelope fact = proposed(metadata("u2", 2), keys(0, 1, 2));
        facts.add(fact);
        assertThat(code(UpgradeChecks.forDevice(state(), fact.getBody(), (UpgradeProposed) fact.getBody().getPayload(), "fw", 1L,
                2_000_000L, verifier))).isEqualTo(Code.EXPIRED);
    }

    @Test
    void metadataIssuedAfterItsExpiryIsIgnoredByTheReducer() {
        final UpgradeMetadata stale = UpgradeMetadata.newBuilder(metadata("u2", 2)).setExpiresAtMillis(5L).build();
        final FactEnvelope fact = proposed(stale, keys(0, 1, 2));
        facts.add(fact);
        assertThat(ignoredReason(state(), fact)).contains(Code.EXPIRED.name());
    }

    @Test
    void metadataForAnotherAuthorityIsMixAndMatch() {
        final UpgradeMetadata other = UpgradeMetadata.newBuilder(metadata("u2", 2)).setAuthorityId("fleet-b").build();
        final FactEnvelope fact = proposed(other, keys(0, 1, 2));
        assertThat(code(proposalVerdict(fact))).isEqualTo(Code.AUTHORITY_MISMATCH);
        facts.add(fact);
        assertThat(ignoredReason(state(), fact)).contains(Code.AUTHORITY_MISMATCH.name());
    }

    @Test
    void metadataForAnotherPackageIsMixAndMatch() {
        final UpgradeMetadata other = UpgradeMetadata.newBuilder(metadata("u2", 2)).setPackageId("bootloader").build();
        final FactEnvelope fact = proposed(other, keys(0, 1, 2));
        facts.add(fact);
        assertThat(code(UpgradeChecks.forDevice(state(), fact.getBody(), (UpgradeProposed) fact.getBody().getPayload(), "fw", 1L, clock.get(), verifier)))
                .isEqualTo(Code.PACKAGE_MISMATCH);
    }

    @Test
    void aReadinessReportNamingAnotherVersionDoesNotCount() {
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        final FactEnvelope report = device(0).readiness(0, "u2", "fw", 7, ReadinessStatus.READY, null);
        facts.add(report);
        final MaintenanceState state = state();
        final ReadinessRecord r = state.getReadiness().get(0);
        assertThat(Verdict.codeOf(r.getProblem())).contains(Code.PACKAGE_MISMATCH);
        assertThat(upgrade(state, "u2").getEverReadyCount()).isZero();
    }

    // ---- artifacts ------------------------------------------------------------------------------

    @Test
    void anArtifactWithAnotherHashIsRefused() {
        final byte[] tampered = ARTIFACT.clone();
        tampered[0] ^= 1;
        assertThat(code(UpgradeChecks.artifact(new ByteArrayInputStream(tampered), metadata("u2", 2)))).isEqualTo(Code.HASH_MISMATCH);
    }

    @Test
    void endlessDataIsCutOffOneBytePastTheDeclaredLength() {
        final AtomicLong served = new AtomicLong();
        final InputStream endless = new InputStream() {
            @Override
            public int read() {
                served.incrementAndGet();
                return 'x';
            }

            @Override
            public int read(final byte[] b, final int off, final int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'x');
                served.addAndGet(len);
                return len;
            }
        };
        assertThat(code(UpgradeChecks.artifact(endless, metadata("u2", 2)))).isEqualTo(Code.LENGTH_EXCEEDED);
        assertThat(served.get()).isEqualTo(ARTIFACT.length + 1L);
    }

    @Test
    void aTruncatedArtifactIsRefused() {
        assertThat(code(UpgradeChecks.artifact(new ByteArrayInputStream(ARTIFACT, 0, 4), metadata("u2", 2)))).isEqualTo(Code.LENGTH_SHORT);
    }

    @Test
    void theGenuineArtifactIsAccepted() {
        assertThat(UpgradeChecks.artifact(new ByteArrayInputStream(ARTIFACT), metadata("u2", 2)).accepted()).isTrue();
    }

    // ---- epochs, admins, readiness --------------------------------------------------------------

    @Test
    void readinessReplayedFromAnOlderEpochDoesNotCount() {
        final FactEnvelope old = device(0).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null);
        facts.add(old);
        facts.add(advance(0));
        facts.add(admin().sign(1, new UpgradeProposed(metadata("u2", 2), ThresholdCertificates.of(metadata("u2", 2), keys(0, 1, 2)))));
        final MaintenanceState state = state();
        assertThat(Verdict.codeOf(state.getReadiness().get(0).getProblem())).contains(Code.STALE_EPOCH);
        assertThat(upgrade(state, "u2").getEverReadyCount()).isZero();
    }

    @Test
    void aRetiredAdminCannotSignAfterTheActivationEpoch() {
        final Ed25519Keys.SigningKey newAdmin = Ed25519Keys.generate();
        final AdminReplacementStatement s = new AdminReplacementStatement(g.authorityId(), 0L, g.adminKey().keyId(),
                ByteBuffer.wrap(newAdmin.publicKey()), 1L);
        facts.add(device(0).sign(0, new AdminReplacement(s, ThresholdCertificates.of(s, keys(0, 1, 2)))));
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        final FactEnvelope pause = admin().sign(1, new RolloutTransition("u2", 0, RolloutAction.CANCEL, "retired admin"));
        facts.add(pause);
        final MaintenanceState state = state();
        assertThat(state.getIdentityEpoch()).isEqualTo(1);
        assertThat(code(UpgradeChecks.signer(state, pause.getBody()))).isEqualTo(Code.RETIRED_ADMIN);
        assertThat(ignoredReason(state, pause)).startsWith("RETIRED_ADMIN");
        final FactAdmission admission = new FactAdmission(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()), verifier);
        final Admission atIngest = admission.admit(state, pause).admission();
        assertThat(((Admission.Rejected) atIngest).code()).isEqualTo(RejectionCode.RETIRED_ADMIN);
        assertThat(upgrade(state, "u2").getRolloutState().name()).isEqualTo("ROLLING");
    }

    @Test
    void aRolloutStepSignedByADeviceIsIgnored() {
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        final FactEnvelope cancel = device(1).sign(0, new RolloutTransition("u2", 0, RolloutAction.CANCEL, "not mine"));
        facts.add(cancel);
        assertThat(Verdict.codeOf(ignoredReason(state(), cancel))).contains(Code.NOT_ADMIN);
    }

    @Test
    void theAdminCannotReportReadinessForADevice() {
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        final FactEnvelope report = admin().readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null);
        facts.add(report);
        assertThat(Verdict.codeOf(ignoredReason(state(), report))).contains(Code.SIGNER_NOT_DEVICE);
    }

    // ---- forks and activation -------------------------------------------------------------------

    @Test
    void aHardForkWithoutAFenceIsRefused() {
        final UpgradeMetadata hard = UpgradeMetadata.newBuilder(metadata("u2", 2)).setKind(UpgradeKind.HARD).build();
        assertThat(code(proposalVerdict(proposed(hard, keys(0, 1, 2))))).isEqualTo(Code.HARD_FORK_WITHOUT_FENCE);
    }

    @Test
    void aHardForkWhoseFenceIsNotAheadIsRefused() {
        final UpgradeMetadata hard = UpgradeMetadata.newBuilder(metadata("u2", 2)).setKind(UpgradeKind.HARD).setActivationFence(0L).build();
        assertThat(code(proposalVerdict(proposed(hard, keys(0, 1, 2))))).isEqualTo(Code.FENCE_NOT_AHEAD);
    }

    @Test
    void aSoftForkActivationWithMMinusOneReadyIsNotHonouredAndTheMthIs() {
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        facts.add(device(0).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null));
        facts.add(device(1).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null));
        facts.add(device(1).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null)); // the same device twice counts once
        final FactEnvelope activation = admin().sign(0, new UpgradeActivated("u2", "fw", 2L, null));
        facts.add(activation);
        MaintenanceState state = state();
        assertThat(Verdict.codeOf(claim(state, activation).getProblem())).contains(Code.ACTIVATION_NOT_JUSTIFIED);
        assertThat(upgrade(state, "u2").getActivated()).isFalse();
        assertThat(state.getActivated()).isEmpty();
        facts.add(device(2).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null));
        state = state();
        assertThat(claim(state, activation).getHonoured()).isTrue();
        assertThat(UpgradeChecks.activatedVersion(state, "fw")).isEqualTo(2);
    }

    @Test
    void aHardForkActivationBeforeTheFenceIsNotHonoured() {
        final UpgradeMetadata hard = UpgradeMetadata.newBuilder(metadata("u2", 2)).setKind(UpgradeKind.HARD).setActivationFence(1L).build();
        facts.add(proposed(hard, keys(0, 1, 2)));
        final FactEnvelope activation = admin().sign(0, new UpgradeActivated("u2", "fw", 2L, 1L));
        facts.add(activation);
        assertThat(Verdict.codeOf(claim(state(), activation).getProblem())).contains(Code.ACTIVATION_BEFORE_FENCE);
        facts.add(advance(0));
        assertThat(claim(state(), activation).getHonoured()).isTrue();
    }

    @Test
    void anActivationOfAnotherVersionThanProposedIsNotHonoured() {
        facts.add(proposed(metadata("u2", 2), keys(0, 1, 2)));
        for (int i = 0; i < 3; i++) {
            facts.add(device(i).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null));
        }
        final FactEnvelope activation = admin().sign(0, new UpgradeActivated("u2", "fw", 9L, null));
        facts.add(activation);
        assertThat(Verdict.codeOf(claim(state(), activation).getProblem())).contains(Code.ACTIVATION_MISMATCH);
    }

    @Test
    void anActivationOfAnUnknownProposalIsNotHonoured() {
        final FactEnvelope activation = device(0).sign(0, new UpgradeActivated("nope", "fw", 2L, null));
        facts.add(activation);
        assertThat(Verdict.codeOf(claim(state(), activation).getProblem())).contains(Code.UNKNOWN_PROPOSAL);
    }

    @Test
    void aDeviceBelowTheTargetAfterTheFenceMustUpgradeAndIsAdmittedOnceUpgraded() {
        final UpgradeMetadata hard = UpgradeMetadata.newBuilder(metadata("u2", 2)).setKind(UpgradeKind.HARD).setActivationFence(1L).build();
        facts.add(proposed(hard, keys(0, 1, 2)));
        facts.add(admin().sign(0, new UpgradeActivated("u2", "fw", 2L, 1L)));
        facts.add(device(3).deviceMetadata(0, List.of(new InstalledPackage("fw", 1L)), "auto"));
        assertThat(UpgradeChecks.session(state(), g.deviceIds().get(3), null).accepted()).isTrue(); // before the fence
        facts.add(advance(0));
        final MaintenanceState state = state();
        final Verdict refused = UpgradeChecks.session(state, g.deviceIds().get(3), null);
        assertThat(code(refused)).isEqualTo(Code.UPGRADE_REQUIRED);
        assertThat(refused.message()).contains("fw").contains("version 2");
        assertThat(UpgradeChecks.session(state, g.deviceIds().get(3), List.of(new InstalledPackage("fw", 2L))).accepted()).isTrue();
    }

    // ---- rollouts -------------------------------------------------------------------------------

    @Test
    void openingTheNextWaveBeforeTheSuccessThresholdIsAnInvalidTransition() {
        final RolloutWave first = UpgradeFacts.wave("canary", 2, 100, 0, 0);
        final RolloutWave rest = UpgradeFacts.wave("rest", 3, 100, 0, 0);
        final UpgradeMetadata m = UpgradeMetadata.newBuilder(metadata("u2", 2)).setPlan(new RolloutPlan(List.of(first, rest), false)).build();
        facts.add(proposed(m, keys(0, 1, 2)));
        facts.add(device(0).readiness(0, "u2", "fw", 2, ReadinessStatus.READY, null));
        final FactEnvelope open = admin().sign(0, new RolloutTransition("u2", 1, RolloutAction.OPEN_WAVE, "SUCCESS_THRESHOLD"));
        facts.add(open);
        final MaintenanceState state = state();
        final RolloutTransitionRecord t = state.getRolloutTransitions().get(0);
        assertThat(t.getApplied()).isFalse();
        assertThat(Verdict.codeOf(t.getProblem())).contains(Code.INVALID_TRANSITION);
        assertThat(upgrade(state, "u2").getWaves().get(1).getState().name()).isEqualTo("PENDING");
    }

    @Test
    void aPlanWithPercentagesOutOfRangeIsRefused() {
        final RolloutWave bad = RolloutWave.newBuilder(UpgradeFacts.wave("w", 2, 100, 0, 0)).setDeviceCount(null).setDevicePercent(150).build();
        final UpgradeMetadata m = UpgradeMetadata.newBuilder(metadata("u2", 2)).setPlan(new RolloutPlan(List.of(bad), false)).build();
        assertThat(code(proposalVerdict(proposed(m, keys(0, 1, 2))))).isEqualTo(Code.INVALID_PLAN);
    }
}
