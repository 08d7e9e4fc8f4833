package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutAction;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutTransition;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeActivated;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RolloutStatus;
import io.factfleet.schema.state.UpgradeState;
import io.factfleet.schema.state.WaveState;
import io.factfleet.schema.state.WaveStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Staged rollouts: membership, counts, the state machine and the coordinator's decisions. */
class RolloutTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private final AuthorityGenesis g = AuthorityGenesis.generate("fleet-r", 10, 3);
    private final AtomicLong clock = new AtomicLong(100_000);
    private final Reducer reducer = Reducer.standard();
    private final List<FactEnvelope> facts = new ArrayList<>(List.of(g.genesisFact(OPERATOR)));
    private final DeviceSigner admin = new DeviceSigner(g.authorityId(), "ota-coordinator", g.adminKey(), clock::incrementAndGet);

    private DeviceSigner device(final int i) {
        return new DeviceSigner(g.authorityId(), g.deviceIds().get(i), g.deviceKeys().get(i), clock::incrementAndGet);
    }

    private MaintenanceState state() {
        return reducer.reduce(g.authorityId(), facts);
    }

    private UpgradeState upgrade() {
        return state().getUpgrades().get(0);
    }

    /** Waves: 2 devices, 50% (5 devices), the rest; wave 1 halts above 1 rejection. */
    private void propose(final boolean approval, final long timeoutMillis) {
        final RolloutWave canary = UpgradeFacts.wave("canary", 2, 100, 0, timeoutMillis);
        final RolloutWave half = RolloutWave.newBuilder().setName("half").setDevicePercent(50).setSuccessThresholdPercent(80)
                .setErrorThresholdCount(1).setTimeoutMillis(0L).build();
        final RolloutWave rest = RolloutWave.newBuilder().setName("rest").setSuccessThresholdPercent(100)
                .setErrorThresholdPercent(10).setTimeoutMillis(0L).build();
        final UpgradeMetadata m = UpgradeFacts.metadata(g.authorityId(), "u1", "fw", 2, new byte[] {1, 2}, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(canary, half, rest), approval));
        facts.add(UpgradeFacts.propose(g, 0, m));
    }

    private void report(final int device, final ReadinessStatus status) {
        facts.add(device(device).readiness(0, "u1", "fw", 2, status, status == ReadinessStatus.READY ? null : "test"));
    }

    /** Applies what the coordinator decides now, as it would; returns how many facts it emitted. */
    private int coordinate(final long now) {
        final List<UpgradeCoordination.Emission> emissions = UpgradeCoordination.decide(state(), now);
        for (final UpgradeCoordination.Emission e : emissions) {
            facts.add(e.sign(admin));
        }
        return emissions.size();
    }

    @Test
    void anOperatorsStepIsAppliedLikeAnyStepAndRecordsWhoTookIt() {
        propose(true, 0);
        final UpgradeState awaiting = upgrade();
        assertThat(awaiting.getRolloutState()).isEqualTo(RolloutStatus.AWAITING_APPROVAL);
        final FactEnvelope approve = UpgradeCoordination.manualBy(state(), awaiting, RolloutAction.APPROVE, "change 42", "alice@example.com",
                clock.incrementAndGet()).sign(admin);
        facts.add(approve);
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.ROLLING);
        final var record = state().getRolloutTransitions().stream().filter(t -> t.getFactId().equals(Facts.idHex(approve))).findFirst().orElseThrow();
        assertThat(record.getApplied()).isTrue();
        assertThat(record.getOperator()).isEqualTo("alice@example.com");
        assertThat(record.getReason()).isEqualTo("change 42");
        // A device cannot take an operator's step by naming one.
        final FactEnvelope forged = device(0).sign(0, new io.factfleet.schema.OperatorRolloutTransition(
                new RolloutTransition("u1", 0, RolloutAction.CANCEL, null), "alice@example.com"));
        facts.add(forged);
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.ROLLING);
        assertThat(state().getIgnored()).anyMatch(i -> i.getFactId().equals(Facts.idHex(forged)) && i.getReason().startsWith("NOT_ADMIN"));
    }

    @Test
    void wavesAreTakenInDeviceIdOrderByCountPercentAndTheRest() {
        propose(false, 0);
        final List<WaveStatus> waves = upgrade().getWaves();
        final List<String> ids = new ArrayList<>(g.deviceIds());
        ids.sort(null);
        assertThat(waves).extracting(WaveStatus::getDeviceIds)
                .containsExactly(ids.subList(0, 2), ids.subList(2, 7), ids.subList(7, 10));
        assertThat(waves).extracting(WaveStatus::getState).containsExactly(WaveState.OPEN, WaveState.PENDING, WaveState.PENDING);
        assertThat(waves.get(0).getSilent()).isEqualTo(2);
    }

    @Test
    void onlyDevicesOfTheOpenWaveAreAskedForReadiness() {
        propose(false, 0);
        final List<String> ids = new ArrayList<>(g.deviceIds());
        ids.sort(null);
        assertThat(PendingWork.forDevice(state(), ids.get(0), clock.get()).upgradeReadiness()).hasSize(1);
        assertThat(PendingWork.forDevice(state(), ids.get(2), clock.get()).upgradeReadiness()).isEmpty();
        facts.add(UpgradeCoordination.manual(state(), upgrade(), RolloutAction.PAUSE, "ops", clock.get()).sign(admin));
        assertThat(PendingWork.forDevice(state(), ids.get(0), clock.get()).upgradeReadiness()).isEmpty();
    }

    @Test
    void aPlanThatRequiresApprovalWaitsForIt() {
        propose(true, 0);
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.AWAITING_APPROVAL);
        assertThat(upgrade().getWaves().get(0).getState()).isEqualTo(WaveState.PENDING);
        final UpgradeCoordination.Emission approve = UpgradeCoordination.manual(state(), upgrade(), RolloutAction.APPROVE, "ops", clock.get());
        facts.add(approve.sign(admin));
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.ROLLING);
        assertThat(upgrade().getWaves().get(0).getState()).isEqualTo(WaveState.OPEN);
    }

    @Test
    void successOpensTheNextWaveAndErrorsAboveTheThresholdHalt() {
        propose(false, 0);
        final List<String> ids = new ArrayList<>(g.deviceIds());
        ids.sort(null);
        report(g.deviceIds().indexOf(ids.get(0)), ReadinessStatus.READY);
        assertThat(coordinate(clock.get())).isZero(); // 1 of 2 ready: below 100%
        report(g.deviceIds().indexOf(ids.get(1)), ReadinessStatus.READY);
        assertThat(coordinate(clock.get())).isEqualTo(1);
        assertThat(upgrade().getWaves()).extracting(WaveStatus::getState).containsExactly(WaveState.SUCCEEDED, WaveState.OPEN, WaveState.PENDING);
        report(g.deviceIds().indexOf(ids.get(2)), ReadinessStatus.REJECTED);
        assertThat(coordinate(clock.get())).isZero(); // 1 rejection is tolerated
        report(g.deviceIds().indexOf(ids.get(3)), ReadinessStatus.REJECTED);
        assertThat(coordinate(clock.get())).isEqualTo(1);
        final UpgradeState u = upgrade();
        assertThat(u.getRolloutState()).isEqualTo(RolloutStatus.HALTED);
        assertThat(u.getRolloutReason()).contains(UpgradeCoordination.ERROR_THRESHOLD);
        assertThat(u.getWaves().get(1).getState()).isEqualTo(WaveState.HALTED);
        assertThat(u.getWaves().get(1).getRejected()).isEqualTo(2);
        assertThat(u.getWaves().get(1).getSilent()).isEqualTo(3);
        assertThat(coordinate(clock.get())).isZero(); // a halted rollout stays halted
    }

    @Test
    void silentDevicesFailAWaveAtItsTimeout() {
        propose(false, 5_000);
        report(0, ReadinessStatus.NOT_READY);
        final long openedAt = upgrade().getWaves().get(0).getOpenedAtMillis();
        assertThat(coordinate(openedAt + 4_999)).isZero();
        assertThat(coordinate(openedAt + 5_000)).isEqualTo(1);
        assertThat(upgrade().getWaves().get(0).getState()).isEqualTo(WaveState.TIMED_OUT);
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.HALTED);
    }

    @Test
    void aPausedRolloutDoesNotAdvanceUntilResumedAndACancelledOneNever() {
        propose(false, 0);
        facts.add(UpgradeCoordination.manual(state(), upgrade(), RolloutAction.PAUSE, "ops", clock.get()).sign(admin));
        report(0, ReadinessStatus.READY);
        report(1, ReadinessStatus.READY);
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.PAUSED);
        assertThat(coordinate(clock.get())).isZero();
        facts.add(UpgradeCoordination.manual(state(), upgrade(), RolloutAction.RESUME, "ops", clock.get()).sign(admin));
        assertThat(coordinate(clock.get())).isEqualTo(1);
        assertThat(upgrade().getWaves().get(1).getState()).isEqualTo(WaveState.OPEN);
        facts.add(UpgradeCoordination.manual(state(), upgrade(), RolloutAction.CANCEL, "ops", clock.get()).sign(admin));
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.CANCELLED);
        facts.add(admin.sign(0, new RolloutTransition("u1", 0, RolloutAction.RESUME, "too late")));
        assertThat(upgrade().getRolloutState()).isEqualTo(RolloutStatus.CANCELLED);
    }

    @Test
    void theCoordinatorDecidesTheSameFactTwiceSoARetryIsADuplicate() {
        propose(false, 0);
        for (int i = 0; i < 3; i++) {
            report(i, ReadinessStatus.READY);
        }
        final MaintenanceState state = state();
        final List<UpgradeCoordination.Emission> first = UpgradeCoordination.decide(state, 1);
        final List<UpgradeCoordination.Emission> again = UpgradeCoordination.decide(state(), 999_999_999);
        assertThat(first).isNotEmpty();
        assertThat(first.stream().map(e -> Facts.idHex(e.sign(admin))).toList())
                .isEqualTo(again.stream().map(e -> Facts.idHex(e.sign(admin))).toList());
        assertThat(first).anySatisfy(e -> assertThat(e.payload()).isInstanceOf(UpgradeActivated.class));
    }

    @Test
    void aSoftForkIsActivatedByTheCoordinatorExactlyAtTheMthReadyDevice() {
        propose(false, 0);
        report(5, ReadinessStatus.READY);
        report(6, ReadinessStatus.READY);
        assertThat(UpgradeCoordination.decide(state(), clock.get())).noneMatch(e -> e.payload() instanceof UpgradeActivated);
        report(7, ReadinessStatus.READY);
        assertThat(UpgradeCoordination.decide(state(), clock.get())).anyMatch(e -> e.payload() instanceof UpgradeActivated);
        coordinate(clock.get());
        assertThat(upgrade().getActivated()).isTrue();
    }
}
