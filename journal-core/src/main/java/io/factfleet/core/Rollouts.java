package io.factfleet.core;

import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutAction;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ReadinessRecord;
import io.factfleet.schema.state.RolloutStatus;
import io.factfleet.schema.state.RolloutTransitionRecord;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import io.factfleet.schema.state.UpgradeState;
import io.factfleet.schema.state.WaveState;
import io.factfleet.schema.state.WaveStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Staged rollouts: wave membership, per-wave counts and the rollout state machine, all derived
 * from the fact set in the reducer's finishing pass.
 *
 * <p><b>Membership</b> is a function of the plan and the roster at the proposal's epoch: devices in
 * device-id order; each wave takes, from the devices no earlier wave took, those matching its
 * {@code deviceFilter} (a Java regular expression over the device id, all when absent), at most
 * {@code deviceCount} of them, or {@code ceil(devicePercent% of the roster)}, or all when neither
 * is given.
 *
 * <p><b>Counts</b> per wave come from each member's latest valid readiness report: ready, notReady,
 * rejected, silent (no report); {@code everReady} counts members that ever reported READY.
 * Errors are REJECTED reports; when a wave times out, NOT_READY and silent members count as failed.
 *
 * <p><b>Transitions</b> are RolloutTransition facts replayed in {@code (issuedAtMillis, factId)}
 * order; one the state does not allow is recorded with its problem and skipped. A rollout whose
 * plan requires approval waits in AWAITING_APPROVAL for APPROVE; otherwise wave 0 opens when the
 * upgrade is proposed. OPEN_WAVE(i) closes wave i-1 as SUCCEEDED and needs its success threshold
 * met by ever-READY members (monotone, so the check does not depend on arrival order); COMPLETE(i)
 * does the same for the last wave. HALT and TIME_OUT stop the rollout at an open wave; PAUSE and
 * RESUME suspend it; CANCEL ends any rollout that has not completed.
 */
public final class Rollouts {
    private Rollouts() {
    }

    /** Wave members, by plan and roster. */
    public static List<List<String>> members(final RolloutPlan plan, final RosterAtEpoch roster) {
        final List<String> remaining = new ArrayList<>();
        for (final RosterEntry m : roster.getMembers()) {
            remaining.add(m.getDeviceId());
        }
        remaining.sort(Comparator.naturalOrder());
        final int total = remaining.size();
        final List<List<String>> waves = new ArrayList<>();
        for (final RolloutWave w : plan.getWaves()) {
            final Pattern filter = w.getDeviceFilter() == null ? null : Pattern.compile(w.getDeviceFilter());
            final int limit = w.getDeviceCount() != null ? w.getDeviceCount()
                    : w.getDevicePercent() != null ? (int) Math.ceil(total * w.getDevicePercent() / 100.0) : Integer.MAX_VALUE;
            final List<String> wave = new ArrayList<>();
            for (final String device : remaining) {
                if (wave.size() >= limit) {
                    break;
                }
                if (filter == null || filter.matcher(device).matches()) {
                    wave.add(device);
                }
            }
            remaining.removeAll(new java.util.HashSet<>(wave)); // a set: a list's contains would make this O(devices x wave)
            waves.add(List.copyOf(wave));
        }
        return waves;
    }

    /** Whether a wave's success threshold is met by its ever-READY members. */
    public static boolean succeeded(final RolloutWave plan, final WaveStatus wave) {
        final int devices = wave.getDeviceIds().size();
        return (long) wave.getEverReady() * 100 >= (long) plan.getSuccessThresholdPercent() * devices;
    }

    /** Whether a wave's errors exceed its error threshold (count or percent of its members). */
    public static boolean errorsExceeded(final RolloutWave plan, final int errors, final int devices) {
        if (plan.getErrorThresholdCount() != null && errors > plan.getErrorThresholdCount()) {
            return true;
        }
        return plan.getErrorThresholdPercent() != null && (long) errors * 100 > (long) plan.getErrorThresholdPercent() * devices;
    }

    /**
     * Derives {@code upgrade}'s waves, counts and rollout state. {@code latest} holds each device's
     * latest valid report for this proposal; {@code everReady} the devices that ever reported READY;
     * {@code transitions} this proposal's transitions, whose applied/problem fields are set here.
     */
    static void derive(final MaintenanceState state, final UpgradeState upgrade, final Map<String, ReadinessRecord> latest,
                       final Set<String> everReady, final List<RolloutTransitionRecord> transitions) {
        final RolloutPlan plan = upgrade.getPlan();
        final List<WaveStatus> waves = new ArrayList<>();
        if (plan != null && upgrade.getProblem() == null) {
            final RosterAtEpoch roster = Rosters.at(state, upgrade.getProposalEpoch()).orElse(null);
            final List<List<String>> members = roster == null ? List.of() : members(plan, roster);
            for (int i = 0; i < members.size(); i++) {
                final WaveStatus w = new WaveStatus(i, plan.getWaves().get(i).getName(), WaveState.PENDING, new ArrayList<>(members.get(i)),
                        0, 0, 0, 0, 0, 0L);
                for (final String device : members.get(i)) {
                    final ReadinessRecord r = latest.get(device);
                    if (r == null) {
                        w.setSilent(w.getSilent() + 1);
                    } else if (r.getStatus() == ReadinessStatus.READY) {
                        w.setReady(w.getReady() + 1);
                    } else if (r.getStatus() == ReadinessStatus.NOT_READY) {
                        w.setNotReady(w.getNotReady() + 1);
                    } else {
                        w.setRejected(w.getRejected() + 1);
                    }
                    if (everReady.contains(device)) {
                        w.setEverReady(w.getEverReady() + 1);
                    }
                }
                waves.add(w);
            }
        }
        upgrade.setWaves(waves);
        final boolean approval = plan != null && plan.getRequiresApproval();
        RolloutStatus status = upgrade.getProblem() != null ? RolloutStatus.CANCELLED
                : approval ? RolloutStatus.AWAITING_APPROVAL : RolloutStatus.ROLLING;
        String reason = upgrade.getProblem();
        if (status == RolloutStatus.ROLLING && !waves.isEmpty()) {
            open(waves.get(0), upgrade.getProposedAtMillis());
        }
        transitions.sort(Comparator.comparingLong(RolloutTransitionRecord::getIssuedAtMillis).thenComparing(RolloutTransitionRecord::getFactId));
        for (final RolloutTransitionRecord t : transitions) {
            final String problem = problem(status, t, waves, plan, upgrade);
            t.setApplied(problem == null);
            t.setProblem(problem == null ? null : UpgradeChecks.Code.INVALID_TRANSITION.name() + ": " + problem);
            if (problem != null) {
                continue;
            }
            final int i = t.getWaveIndex();
            switch (t.getAction()) {
                case APPROVE -> {
                    status = RolloutStatus.ROLLING;
                    if (!waves.isEmpty()) {
                        open(waves.get(0), t.getIssuedAtMillis());
                    }
                }
                case OPEN_WAVE -> {
                    waves.get(i - 1).setState(WaveState.SUCCEEDED);
                    open(waves.get(i), t.getIssuedAtMillis());
                }
                case COMPLETE -> {
                    if (!waves.isEmpty()) {
                        waves.get(i).setState(WaveState.SUCCEEDED);
                    }
                    status = RolloutStatus.COMPLETED;
                }
                case HALT -> {
                    waves.get(i).setState(WaveState.HALTED);
                    status = RolloutStatus.HALTED;
                }
                case TIME_OUT -> {
                    waves.get(i).setState(WaveState.TIMED_OUT);
                    status = RolloutStatus.HALTED;
                }
                case PAUSE -> status = RolloutStatus.PAUSED;
                case RESUME -> status = RolloutStatus.ROLLING;
                case CANCEL -> status = RolloutStatus.CANCELLED;
                default -> throw new IllegalStateException("unhandled action " + t.getAction());
            }
            reason = t.getAction() + (t.getReason() == null ? "" : ": " + t.getReason());
        }
        upgrade.setRolloutState(status);
        upgrade.setRolloutReason(reason);
    }

    private static void open(final WaveStatus wave, final long at) {
        wave.setState(WaveState.OPEN);
        wave.setOpenedAtMillis(at);
    }

    /** The index of the open wave, or -1. */
    public static int openWave(final List<WaveStatus> waves) {
        for (final WaveStatus w : waves) {
            if (w.getState() == WaveState.OPEN) {
                return w.getIndex();
            }
        }
        return -1;
    }

    private static String problem(final RolloutStatus status, final RolloutTransitionRecord t, final List<WaveStatus> waves,
                                  final RolloutPlan plan, final UpgradeState upgrade) {
        final RolloutAction action = t.getAction();
        final int i = t.getWaveIndex();
        final String at = action + " in state " + status;
        switch (action) {
            case APPROVE:
                return status == RolloutStatus.AWAITING_APPROVAL ? null : at + ": only a rollout awaiting approval can be approved";
            case PAUSE:
                return status == RolloutStatus.ROLLING ? null : at + ": only a rolling rollout can be paused";
            case RESUME:
                return status == RolloutStatus.PAUSED ? null : at + ": only a paused rollout can be resumed";
            case CANCEL:
                return status == RolloutStatus.COMPLETED || status == RolloutStatus.CANCELLED ? at + ": the rollout has ended" : null;
            default:
                break;
        }
        if (status != RolloutStatus.ROLLING) {
            return at + ": the rollout is not rolling";
        }
        if (action == RolloutAction.COMPLETE && waves.isEmpty()) {
            return upgrade.getActivated() ? null : at + ": a rollout without waves completes when its upgrade is activated";
        }
        final int open = openWave(waves);
        switch (action) {
            case OPEN_WAVE:
                if (i < 1 || i >= waves.size() || open != i - 1) {
                    return at + ": wave " + i + " opens only after wave " + (i - 1) + ", and wave " + open + " is open";
                }
                return succeeded(plan.getWaves().get(i - 1), waves.get(i - 1)) ? null
                        : at + ": wave " + (i - 1) + " has " + waves.get(i - 1).getEverReady() + " of " + waves.get(i - 1).getDeviceIds().size()
                        + " ready, below its success threshold of " + plan.getWaves().get(i - 1).getSuccessThresholdPercent() + "%";
            case COMPLETE:
                if (i != waves.size() - 1 || open != i) {
                    return at + ": COMPLETE names the last wave while it is open";
                }
                return succeeded(plan.getWaves().get(i), waves.get(i)) ? null
                        : at + ": the last wave is below its success threshold";
            case HALT:
            case TIME_OUT:
                return i == open ? null : at + ": wave " + i + " is not the open wave (" + open + ")";
            default:
                return at + ": unknown action";
        }
    }
}
