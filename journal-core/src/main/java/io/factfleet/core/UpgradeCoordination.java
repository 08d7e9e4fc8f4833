package io.factfleet.core;

import io.factfleet.schema.RolloutAction;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutTransition;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeActivated;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RolloutStatus;
import io.factfleet.schema.state.RolloutTransitionRecord;
import io.factfleet.schema.state.UpgradeState;
import io.factfleet.schema.state.WaveStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * What the OTA coordinator emits for an authority's state: pure, so the coordinator, the bench and
 * tests decide the same way. Every emission's {@code issuedAtMillis} is derived from the state (not
 * from a clock, except a timeout's, which is the wave's deadline), so a coordinator that crashes
 * and decides again from the same state signs the same fact, with the same id, and ingest drops
 * the retry as a duplicate.
 *
 * <ul>
 *   <li>Soft fork: {@code UpgradeActivated} once M distinct rostered devices reported READY.</li>
 *   <li>Hard fork: {@code UpgradeActivated} once the identity epoch reached the fence.</li>
 *   <li>Rollout, at the open wave of a ROLLING rollout: HALT when REJECTED reports exceed the
 *       error threshold; OPEN_WAVE (or COMPLETE for the last wave) when ever-READY members meet the
 *       success threshold; TIME_OUT when the wave's timeout passed, counting NOT_READY and silent
 *       members as failed. A rollout without waves completes when its upgrade is activated.</li>
 * </ul>
 */
public final class UpgradeCoordination {
    /** Reason codes carried by the transitions the coordinator emits. */
    public static final String SUCCESS_THRESHOLD = "SUCCESS_THRESHOLD";
    public static final String ERROR_THRESHOLD = "ERROR_THRESHOLD";
    public static final String TIMEOUT = "TIMEOUT";

    private UpgradeCoordination() {
    }

    /** A fact to sign at {@code identityEpoch} with {@code issuedAtMillis}, and why. */
    public record Emission(String proposalId, long identityEpoch, long issuedAtMillis, Object payload, String why) {
        /** The signed fact; Ed25519 signatures are deterministic, so the same emission gives the same fact. */
        public io.factfleet.schema.FactEnvelope sign(final DeviceSigner admin) {
            return admin.signAt(identityEpoch, issuedAtMillis, payload);
        }
    }

    /** What to emit now for every upgrade in {@code state}. */
    public static List<Emission> decide(final MaintenanceState state, final long nowMillis) {
        final List<Emission> out = new ArrayList<>();
        for (final UpgradeState u : state.getUpgrades()) {
            if (u.getProblem() != null || u.getRolloutState() == RolloutStatus.CANCELLED) {
                continue;
            }
            if (!u.getActivated()) {
                if (u.getKind() == UpgradeKind.SOFT && u.getRequiredReady() > 0 && u.getEverReadyCount() >= u.getRequiredReady()) {
                    out.add(new Emission(u.getProposalId(), state.getIdentityEpoch(), u.getProposedAtMillis() + 1,
                            new UpgradeActivated(u.getProposalId(), u.getPackageId(), u.getVersion(), null),
                            u.getEverReadyCount() + " distinct devices READY, " + u.getRequiredReady() + " required"));
                } else if (u.getKind() == UpgradeKind.HARD && u.getActivationFence() != null && state.getIdentityEpoch() >= u.getActivationFence()) {
                    out.add(new Emission(u.getProposalId(), state.getIdentityEpoch(), u.getProposedAtMillis() + 1,
                            new UpgradeActivated(u.getProposalId(), u.getPackageId(), u.getVersion(), u.getActivationFence()),
                            "identity epoch " + state.getIdentityEpoch() + " reached the fence " + u.getActivationFence()));
                }
            }
            final Emission step = rolloutStep(state, u, nowMillis);
            if (step != null) {
                out.add(step);
            }
        }
        return out;
    }

    private static Emission rolloutStep(final MaintenanceState state, final UpgradeState u, final long nowMillis) {
        if (u.getRolloutState() != RolloutStatus.ROLLING) {
            return null;
        }
        final List<WaveStatus> waves = u.getWaves();
        final long after = lastTransitionAt(state, u) + 1;
        if (waves.isEmpty()) {
            return u.getActivated() ? transition(state, u, 0, RolloutAction.COMPLETE, "ACTIVATED", after) : null;
        }
        final int open = Rollouts.openWave(waves);
        if (open < 0) {
            return null;
        }
        final RolloutPlan plan = u.getPlan();
        final RolloutWave rule = plan.getWaves().get(open);
        final WaveStatus wave = waves.get(open);
        final long at = Math.max(after, wave.getOpenedAtMillis() + 1);
        final int devices = wave.getDeviceIds().size();
        if (Rollouts.errorsExceeded(rule, wave.getRejected(), devices)) {
            return transition(state, u, open, RolloutAction.HALT, ERROR_THRESHOLD, at);
        }
        if (Rollouts.succeeded(rule, wave)) {
            return open == waves.size() - 1
                    ? transition(state, u, open, RolloutAction.COMPLETE, SUCCESS_THRESHOLD, at)
                    : transition(state, u, open + 1, RolloutAction.OPEN_WAVE, SUCCESS_THRESHOLD, at);
        }
        final long deadline = wave.getOpenedAtMillis() + rule.getTimeoutMillis();
        if (rule.getTimeoutMillis() > 0 && nowMillis >= deadline) {
            return transition(state, u, open, RolloutAction.TIME_OUT, TIMEOUT, Math.max(at, deadline));
        }
        return null;
    }

    /** The deadline of the open wave of a rolling rollout, for a timer; Long.MAX_VALUE when none. */
    public static long nextDeadline(final UpgradeState u) {
        if (u.getRolloutState() != RolloutStatus.ROLLING || u.getPlan() == null) {
            return Long.MAX_VALUE;
        }
        final int open = Rollouts.openWave(u.getWaves());
        if (open < 0 || u.getPlan().getWaves().get(open).getTimeoutMillis() <= 0) {
            return Long.MAX_VALUE;
        }
        return u.getWaves().get(open).getOpenedAtMillis() + u.getPlan().getWaves().get(open).getTimeoutMillis();
    }

    /**
     * A manual step (APPROVE, PAUSE, RESUME, CANCEL) by an operator: issued at {@code nowMillis},
     * or just after the proposal's last transition if the clock is behind it, so it replays after it.
     */
    public static Emission manual(final MaintenanceState state, final UpgradeState u, final RolloutAction action, final String reason,
                                  final long nowMillis) {
        return transition(state, u, 0, action, reason, Math.max(nowMillis, lastTransitionAt(state, u) + 1));
    }

    /** {@link #manual}, taken by {@code operator}: the fact is an {@code OperatorRolloutTransition} naming who acted. */
    public static Emission manualBy(final MaintenanceState state, final UpgradeState u, final RolloutAction action, final String reason,
                                    final String operator, final long nowMillis) {
        final Emission plain = manual(state, u, action, reason, nowMillis);
        return new Emission(plain.proposalId(), plain.identityEpoch(), plain.issuedAtMillis(),
                new io.factfleet.schema.OperatorRolloutTransition((RolloutTransition) plain.payload(), operator), plain.why() + " (by " + operator + ")");
    }

    private static Emission transition(final MaintenanceState state, final UpgradeState u, final int wave, final RolloutAction action,
                                       final String reason, final long issuedAt) {
        return new Emission(u.getProposalId(), state.getIdentityEpoch(), issuedAt,
                new RolloutTransition(u.getProposalId(), wave, action, reason), action + " wave " + wave + ": " + reason);
    }

    private static long lastTransitionAt(final MaintenanceState state, final UpgradeState u) {
        long last = u.getProposedAtMillis();
        for (final RolloutTransitionRecord t : state.getRolloutTransitions()) {
            if (t.getProposalId().equals(u.getProposalId()) && t.getApplied()) {
                last = Math.max(last, t.getIssuedAtMillis());
            }
        }
        return last;
    }
}
