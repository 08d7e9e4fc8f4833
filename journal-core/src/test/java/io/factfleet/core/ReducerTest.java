package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AdminReplacementStatement;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.state.ApprovalRecord;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ProposalState;
import io.factfleet.schema.state.ProposalStatus;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ReducerTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private final AuthorityGenesis g = AuthorityGenesis.generate("fleet-7", 5, 3);
    private final AtomicLong clock = new AtomicLong(1_000);
    private final Reducer reducer = Reducer.standard();
    private final List<FactEnvelope> facts = new ArrayList<>(List.of(g.genesisFact(OPERATOR)));
    private final byte[] digest = Hashing.sha256("prefix".getBytes());

    private DeviceSigner device(final int i) {
        return new DeviceSigner(g.authorityId(), g.deviceIds().get(i), g.deviceKeys().get(i), clock::incrementAndGet);
    }

    private MaintenanceState state() {
        return reducer.reduce(g.authorityId(), facts);
    }

    private ProposalState proposal(final MaintenanceState state) {
        return state.getProposals().get(0);
    }

    private void propose() {
        facts.add(g.admin().sign(0, new SnapshotProposed("p1", "admin", 0L, ByteBuffer.wrap(digest), 1L)));
    }

    @Test
    void genesisCreatesTheRosterAtEpochZero() {
        final MaintenanceState state = state();
        assertThat(state.getCreated()).isTrue();
        assertThat(state.getIdentityEpoch()).isZero();
        assertThat(state.getThreshold()).isEqualTo(3);
        assertThat(state.getRoster()).extracting(r -> r.getDeviceId()).containsExactlyElementsOf(g.deviceIds());
    }

    @Test
    void threeHonestApprovalsOfTheSameDigestAreCounted() {
        propose();
        for (int i = 0; i < 3; i++) {
            facts.add(device(i).approveSnapshot(0, "p1", 0, digest));
        }
        assertThat(proposal(state()).getCountedApprovals()).isEqualTo(3);
    }

    @Test
    void aDuplicateApprovalByOneKeyCountsOnce() {
        propose();
        facts.add(device(0).approveSnapshot(0, "p1", 0, digest));
        facts.add(device(1).approveSnapshot(0, "p1", 0, digest));
        facts.add(device(1).approveSnapshot(0, "p1", 0, digest));
        final MaintenanceState state = state();
        assertThat(proposal(state).getCountedApprovals()).isEqualTo(2);
        assertThat(state.getApprovals()).extracting(ApprovalRecord::getProblem).filteredOn(p -> p != null)
                .singleElement().asString().startsWith("DUPLICATE_APPROVER");
    }

    @Test
    void anApprovalOverAnotherDigestIsReportedAndNotCounted() {
        propose();
        facts.add(device(0).approveSnapshot(0, "p1", 0, Hashing.sha256("other".getBytes())));
        final MaintenanceState state = state();
        assertThat(proposal(state).getCountedApprovals()).isZero();
        assertThat(state.getApprovals().get(0).getProblem()).startsWith("DIGEST_MISMATCH");
    }

    @Test
    void anApprovalForAnotherEpochIsNotCounted() {
        propose();
        facts.add(device(0).approveSnapshot(0, "p1", 4, digest));
        assertThat(state().getApprovals().get(0).getProblem()).startsWith("WRONG_EPOCH");
    }

    @Test
    void anApprovalWhoseStatementSignatureIsForgedIsNotCounted() {
        propose();
        final FactEnvelope honest = device(0).approveSnapshot(0, "p1", 0, digest);
        final io.factfleet.schema.SnapshotApproved payload = (io.factfleet.schema.SnapshotApproved) honest.getBody().getPayload();
        payload.setApproverSignature(ByteBuffer.wrap(new byte[64]));
        facts.add(device(0).sign(0, payload));
        assertThat(state().getApprovals().get(0).getProblem()).startsWith("BAD_APPROVER_SIGNATURE");
    }

    @Test
    void cacheFloorsOnlyRise() {
        facts.add(device(0).cacheInvalidated(0, List.of("k"), 9));
        facts.add(device(1).cacheInvalidated(0, List.of("k"), 4));
        assertThat(state().getCacheFloors()).singleElement().satisfies(f -> assertThat(f.getEpochFloor()).isEqualTo(9));
    }

    @Test
    void theLatestReadinessReportOfADeviceWins() {
        facts.add(device(0).readiness(0, "u1", "fw", 2, ReadinessStatus.NOT_READY, "battery"));
        facts.add(device(0).readiness(0, "u1", "fw", 2, ReadinessStatus.READY, null));
        assertThat(state().getReadiness()).singleElement().satisfies(r -> assertThat(r.getStatus()).isEqualTo(ReadinessStatus.READY));
    }

    @Test
    void aFactByAnUnrosteredKeyIsIgnoredWithItsReason() {
        facts.add(new DeviceSigner(g.authorityId(), "intruder", Ed25519Keys.generate()).journalEntry(0, new byte[] {1}, new byte[] {2}));
        final MaintenanceState state = state();
        assertThat(state.getJournalEntryCount()).isZero();
        assertThat(state.getIgnored()).singleElement().satisfies(i -> assertThat(i.getReason()).startsWith("SIGNER_NOT_ROSTERED"));
    }

    @Test
    void aRetiredAdminIsRefusedFromTheActivationEpochOn() {
        final Ed25519Keys.SigningKey newAdmin = Ed25519Keys.generate();
        final AdminReplacementStatement statement = new AdminReplacementStatement(g.authorityId(), 0L, g.adminKey().keyId(),
                ByteBuffer.wrap(newAdmin.publicKey()), 1L);
        facts.add(device(0).sign(0, new AdminReplacement(statement, ThresholdCertificates.of(statement, g.deviceKeys().subList(0, 3)))));
        facts.add(g.admin().cacheInvalidated(0, List.of("before"), 1));
        facts.add(g.admin().cacheInvalidated(1, List.of("after"), 1));
        final MaintenanceState state = state();
        assertThat(state.getIdentityEpoch()).isEqualTo(1);
        assertThat(state.getAdminKeyId()).isEqualTo(newAdmin.keyId());
        assertThat(state.getCacheFloors()).extracting(f -> f.getKey()).containsExactly("before");
        assertThat(state.getIgnored()).singleElement().satisfies(i -> assertThat(i.getReason()).startsWith("RETIRED_ADMIN"));
    }

    @Test
    void aCompletedProposalIsClosed() {
        propose();
        final io.factfleet.schema.SnapshotStatement statement = new io.factfleet.schema.SnapshotStatement(g.authorityId(), "p1", 0L, ByteBuffer.wrap(digest));
        facts.add(g.admin().sign(0, new io.factfleet.schema.SnapshotCompleted(statement, "cid", 1L,
                ThresholdCertificates.of(statement, g.deviceKeys().subList(0, 3)))));
        final MaintenanceState state = state();
        assertThat(proposal(state).getStatus()).isEqualTo(ProposalStatus.COMPLETED);
        assertThat(state.getSnapshotEpoch()).isZero();
        assertThat(state.getLastSnapshot().getBlobCid()).isEqualTo("cid");
    }

    @Test
    void theLatestOfTwoSnapshotsAtOneEpochIsTheOneWithTheLongerPrefixWhateverTheFactIds() {
        for (int round = 0; round < 20; round++) {
            facts.clear();
            facts.add(g.genesisFact(OPERATOR));
            final List<String> cids = List.of("first-" + round, "second-" + round);
            for (int i = 0; i < 2; i++) {
                final io.factfleet.schema.SnapshotStatement statement = new io.factfleet.schema.SnapshotStatement(g.authorityId(), "p" + i, 0L,
                        ByteBuffer.wrap(digest));
                facts.add(g.admin().sign(0, new io.factfleet.schema.SnapshotCompleted(statement, cids.get(i), 10L + i,
                        ThresholdCertificates.of(statement, g.deviceKeys().subList(0, 3)))));
            }
            assertThat(state().getLastSnapshot().getBlobCid()).isEqualTo("second-" + round);
        }
    }
}
