package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Snapshot + tail = state: reducing the facts below an epoch, then the rest on top, equals reducing all of them. */
class SnapshotTailProperties {
    private static final List<FactPool> POOLS = List.of(FactPool.build(11), FactPool.build(12), FactPool.large(13));
    private static final Reducer REDUCER = new Reducer(new FactPool.MemoizingVerifier());

    @Property(tries = 1000)
    void aSnapshotAtAnyEpochPlusItsTailGivesTheSameState(@ForAll @IntRange(min = 0, max = 2) final int poolIndex,
                                                          @ForAll @IntRange(min = 0, max = 6) final int cut,
                                                          @ForAll final Random random) {
        final FactPool pool = POOLS.get(poolIndex);
        final List<FactEnvelope> facts = new ArrayList<>();
        for (final FactEnvelope fact : pool.facts) {
            if (random.nextInt(8) != 0) {
                facts.add(fact);
            }
        }
        final String authority = pool.genesis.authorityId();
        final List<FactEnvelope> below = new ArrayList<>();
        final List<FactEnvelope> tail = new ArrayList<>();
        for (final FactEnvelope fact : facts) {
            (fact.getBody().getIdentityEpoch() < cut ? below : tail).add(fact);
        }
        Collections.shuffle(tail, random);
        final MaintenanceState snapshot = REDUCER.reduce(authority, below);
        final byte[] snapshotBytes = Canonical.bytes(snapshot);
        final MaintenanceState restored = REDUCER.reduceFrom(snapshot, cut, tail);
        assertThat(StateDigest.hex(restored)).isEqualTo(StateDigest.hex(REDUCER.reduce(authority, facts)));
        assertThat(Canonical.bytes(snapshot)).as("the snapshot is not modified").isEqualTo(snapshotBytes);
    }

    @Property(tries = 10)
    void aTailFactBelowTheSnapshotEpochIsRefused(@ForAll @IntRange(min = 0, max = 2) final int poolIndex) {
        final FactPool pool = POOLS.get(poolIndex);
        final MaintenanceState snapshot = REDUCER.reduce(pool.genesis.authorityId(), pool.facts);
        assertThatThrownBy(() -> REDUCER.reduceFrom(snapshot, 1, List.of(pool.facts.get(0))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("below the snapshot's epoch");
    }
}
