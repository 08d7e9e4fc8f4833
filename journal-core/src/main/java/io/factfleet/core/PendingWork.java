package io.factfleet.core;

import io.factfleet.schema.state.ApprovalRecord;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ProposalState;
import io.factfleet.schema.state.ProposalStatus;
import io.factfleet.schema.state.ReadinessRecord;
import io.factfleet.schema.state.UpgradeState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What awaits one device in an authority's state: open snapshot proposals it has not answered and
 * unexpired, unactivated upgrades it has not reported readiness on (for a staged rollout, only
 * while the device's wave is open). The bridge relays it to a
 * device that reconnects; the device SDK computes the same from its own replica.
 */
public record PendingWork(String deviceId, long identityEpoch, List<SnapshotApprovalRequest> snapshotApprovals,
                          List<ReadinessRequest> upgradeReadiness) {

    /** A snapshot proposal awaiting this device's approval. */
    public record SnapshotApprovalRequest(String proposalId, long targetEpoch, String prefixDigestHex) {
    }

    /** An upgrade awaiting this device's readiness report. */
    public record ReadinessRequest(String proposalId, String packageId, long version, String kind, long expiresAtMillis) {
    }

    public boolean isEmpty() {
        return snapshotApprovals.isEmpty() && upgradeReadiness.isEmpty();
    }

    /** Pending work for {@code deviceId}; nothing for a device that is not on the current roster. */
    public static PendingWork forDevice(final MaintenanceState state, final String deviceId, final long nowMillis) {
        final List<SnapshotApprovalRequest> approvals = new ArrayList<>();
        final List<ReadinessRequest> readiness = new ArrayList<>();
        final boolean rostered = state.getRoster().stream().anyMatch(m -> m.getDeviceId().equals(deviceId));
        if (rostered) {
            final Set<String> answered = new HashSet<>();
            for (final ApprovalRecord a : state.getApprovals()) {
                if (a.getDeviceId().equals(deviceId)) {
                    answered.add(a.getProposalId());
                }
            }
            for (final ProposalState p : state.getProposals()) {
                if (p.getStatus() == ProposalStatus.OPEN && !answered.contains(p.getProposalId())) {
                    approvals.add(new SnapshotApprovalRequest(p.getProposalId(), p.getTargetEpoch(), Hashing.hex(Canonical.array(p.getPrefixDigest()))));
                }
            }
            final Set<String> reported = new HashSet<>();
            for (final ReadinessRecord r : state.getReadiness()) {
                if (r.getDeviceId().equals(deviceId)) {
                    reported.add(r.getProposalId());
                }
            }
            for (final UpgradeState u : state.getUpgrades()) {
                if (!u.getActivated() && u.getProblem() == null && u.getExpiresAtMillis() > nowMillis && !reported.contains(u.getProposalId())
                        && inOpenWave(u, deviceId)) {
                    readiness.add(new ReadinessRequest(u.getProposalId(), u.getPackageId(), u.getVersion(), u.getKind().name(), u.getExpiresAtMillis()));
                }
            }
        }
        return new PendingWork(deviceId, state.getIdentityEpoch(), List.copyOf(approvals), List.copyOf(readiness));
    }

    /**
     * A staged rollout asks a device for readiness only while the rollout is ROLLING and the device's
     * wave is open; an upgrade without waves asks every rostered device.
     */
    private static boolean inOpenWave(final UpgradeState u, final String deviceId) {
        if (u.getWaves().isEmpty()) {
            return u.getRolloutState() == io.factfleet.schema.state.RolloutStatus.ROLLING;
        }
        if (u.getRolloutState() != io.factfleet.schema.state.RolloutStatus.ROLLING) {
            return false;
        }
        for (final io.factfleet.schema.state.WaveStatus w : u.getWaves()) {
            if (w.getState() == io.factfleet.schema.state.WaveState.OPEN && w.getDeviceIds().contains(deviceId)) {
                return true;
            }
        }
        return false;
    }
}
