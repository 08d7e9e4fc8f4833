package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingWorkTest {
    private final AuthorityGenesis g = AuthorityGenesis.generate("pw", 3, 2);
    private final List<FactEnvelope> facts = new ArrayList<>(List.of(g.genesisFact(Ed25519Keys.generate())));
    private final byte[] digest = Hashing.sha256("d".getBytes());

    private MaintenanceState state() {
        return Reducer.standard().reduce("pw", facts);
    }

    private void proposeSnapshotAndUpgrade(final long expiresAt) {
        facts.add(g.admin().sign(0, new SnapshotProposed("s1", "admin", 0L, ByteBuffer.wrap(digest), 1L)));
        final UpgradeMetadata m = new UpgradeMetadata("pw", "u1", "fw", 3L, ByteBuffer.wrap(digest), 10L, UpgradeKind.SOFT, null, expiresAt,
                new RolloutPlan(List.of(), false));
        facts.add(g.admin().sign(0, new UpgradeProposed(m, ThresholdCertificates.of(m, g.deviceKeys().subList(0, 2)))));
    }

    @Test
    void aDeviceThatHasNotAnsweredIsAskedForItsApprovalAndReadiness() {
        proposeSnapshotAndUpgrade(Long.MAX_VALUE);
        final PendingWork work = PendingWork.forDevice(state(), g.deviceIds().get(0), 0);
        assertThat(work.snapshotApprovals()).extracting(PendingWork.SnapshotApprovalRequest::proposalId).containsExactly("s1");
        assertThat(work.upgradeReadiness()).extracting(PendingWork.ReadinessRequest::proposalId).containsExactly("u1");
    }

    @Test
    void answeredRequestsAreNoLongerPending() {
        proposeSnapshotAndUpgrade(Long.MAX_VALUE);
        facts.add(g.device(0).approveSnapshot(0, "s1", 0, digest));
        facts.add(g.device(0).readiness(0, "u1", "fw", 3, ReadinessStatus.NOT_READY, "battery"));
        assertThat(PendingWork.forDevice(state(), g.deviceIds().get(0), 0).isEmpty()).isTrue();
        assertThat(PendingWork.forDevice(state(), g.deviceIds().get(1), 0).isEmpty()).isFalse();
    }

    @Test
    void anExpiredUpgradeIsNotPendingAndAnUnrosteredDeviceHasNothing() {
        proposeSnapshotAndUpgrade(1_000);
        assertThat(PendingWork.forDevice(state(), g.deviceIds().get(1), 2_000).upgradeReadiness()).isEmpty();
        assertThat(PendingWork.forDevice(state(), "stranger", 0).isEmpty()).isTrue();
    }
}
