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

    /**
     * {@link #forDevice} for every device of one state at O(upgrades + proposals) each: the sets a device is looked up
     * in are built once, in O(state). What a server answering many devices from the same state uses; the answers equal
     * {@link #forDevice}'s (PendingWorkIndexProperties).
     */
    public static Index index(final MaintenanceState state) {
        return new Index(state);
    }

    /** The state's pending work, indexed by device. */
    public static final class Index {
        private final long identityEpoch;
        private final Set<String> rostered = new HashSet<>();
        private final java.util.Map<String, Set<String>> answered = new java.util.HashMap<>();
        private final List<ProposalState> open = new ArrayList<>();
        private final java.util.Map<String, Set<String>> reported = new java.util.HashMap<>();
        private final List<UpgradeState> offered = new ArrayList<>();
        /** Per offered upgrade with waves: the devices of its open waves. */
        private final java.util.Map<String, Set<String>> openWaveMembers = new java.util.HashMap<>();

        private Index(final MaintenanceState state) {
            identityEpoch = state.getIdentityEpoch();
            state.getRoster().forEach(m -> rostered.add(m.getDeviceId()));
            for (final ApprovalRecord a : state.getApprovals()) {
                answered.computeIfAbsent(a.getDeviceId(), d -> new HashSet<>()).add(a.getProposalId());
            }
            for (final ProposalState p : state.getProposals()) {
                if (p.getStatus() == ProposalStatus.OPEN) {
                    open.add(p);
                }
            }
            for (final ReadinessRecord r : state.getReadiness()) {
                reported.computeIfAbsent(r.getDeviceId(), d -> new HashSet<>()).add(r.getProposalId());
            }
            for (final UpgradeState u : state.getUpgrades()) {
                if (u.getActivated() || u.getProblem() != null || u.getRolloutState() != io.factfleet.schema.state.RolloutStatus.ROLLING) {
                    continue; // never offered: inOpenWave is false for every device
                }
                offered.add(u);
                if (!u.getWaves().isEmpty()) {
                    final Set<String> members = new HashSet<>();
                    for (final io.factfleet.schema.state.WaveStatus w : u.getWaves()) {
                        if (w.getState() == io.factfleet.schema.state.WaveState.OPEN) {
                            members.addAll(w.getDeviceIds());
                        }
                    }
                    openWaveMembers.put(u.getProposalId(), members);
                }
            }
        }

        /** The same answer as {@link PendingWork#forDevice} of the indexed state. */
        public PendingWork forDevice(final String deviceId, final long nowMillis) {
            if (!rostered.contains(deviceId)) {
                return new PendingWork(deviceId, identityEpoch, List.of(), List.of());
            }
            final List<SnapshotApprovalRequest> approvals = new ArrayList<>();
            final Set<String> answeredHere = answered.getOrDefault(deviceId, Set.of());
            for (final ProposalState p : open) {
                if (!answeredHere.contains(p.getProposalId())) {
                    approvals.add(new SnapshotApprovalRequest(p.getProposalId(), p.getTargetEpoch(), Hashing.hex(Canonical.array(p.getPrefixDigest()))));
                }
            }
            final List<ReadinessRequest> readiness = new ArrayList<>();
            final Set<String> reportedHere = reported.getOrDefault(deviceId, Set.of());
            for (final UpgradeState u : offered) {
                final Set<String> members = openWaveMembers.get(u.getProposalId());
                if (u.getExpiresAtMillis() > nowMillis && !reportedHere.contains(u.getProposalId()) && (members == null || members.contains(deviceId))) {
                    readiness.add(new ReadinessRequest(u.getProposalId(), u.getPackageId(), u.getVersion(), u.getKind().name(), u.getExpiresAtMillis()));
                }
            }
            return new PendingWork(deviceId, identityEpoch, List.copyOf(approvals), List.copyOf(readiness));
        }
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
