package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * The index answers every device's pending work exactly as {@link PendingWork#forDevice} does, over states of random
 * subsets of the pools' facts (open and closed proposals, approvals, rollouts with open and closed waves, readiness
 * reports, roster changes), for rostered, former and unknown devices, at times before and after upgrades expire.
 */
class PendingWorkIndexProperties {
    private static final List<FactPool> POOLS = List.of(FactPool.build(41), FactPool.build(42), FactPool.large(43));
    private static final Reducer REDUCER = new Reducer(new FactPool.MemoizingVerifier());

    @Property(tries = 300)
    void theIndexAnswersEveryDeviceAsForDeviceDoes(@ForAll @IntRange(min = 0, max = 2) final int poolIndex, @ForAll final Random random) {
        final FactPool pool = POOLS.get(poolIndex);
        final List<FactEnvelope> facts = new ArrayList<>();
        for (final FactEnvelope fact : pool.facts) {
            if (random.nextInt(4) != 0) {
                facts.add(fact);
            }
        }
        final MaintenanceState state = REDUCER.reduce(pool.genesis.authorityId(), facts);
        final PendingWork.Index index = PendingWork.index(state);
        final Set<String> devices = new LinkedHashSet<>(pool.genesis.deviceIds());
        state.getRoster().forEach(m -> devices.add(m.getDeviceId()));
        state.getFormerMembers().forEach(f -> devices.add(f.getDeviceId()));
        devices.add("nobody");
        final long[] times = {0L, System.currentTimeMillis(), Long.MAX_VALUE};
        int nonEmpty = 0;
        for (final String device : devices) {
            for (final long now : times) {
                final PendingWork expected = PendingWork.forDevice(state, device, now);
                assertThat(index.forDevice(device, now)).isEqualTo(expected);
                if (!expected.isEmpty()) {
                    nonEmpty++;
                }
            }
        }
        // Not a vacuous comparison: in many of the states some device has something pending (checked over all tries).
        Statistics.collect(nonEmpty > 0 ? "some work pending" : "nothing pending");
        Statistics.coverage(coverage -> coverage.check("some work pending").percentage(p -> p > 20));
    }
}
