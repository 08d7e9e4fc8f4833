package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.CacheInvalidated;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Folding facts one by one into keyed entries and materializing gives, byte for byte, the state the
 * reducer computes from the whole set, in any arrival order, with redeliveries and refolds; and a
 * fact that is not a roster change reads and writes only a handful of entries, never the roster.
 */
class KeyedStateProperties {
    private static final List<FactPool> POOLS = List.of(FactPool.build(31), FactPool.build(32), FactPool.large(33));
    private static final Reducer REDUCER = new Reducer(new FactPool.MemoizingVerifier());

    /** Entries in a map, counting what each fold touches. */
    static final class CountingEntries implements KeyedState.Entries {
        final TreeMap<String, byte[]> map = new TreeMap<>();
        private final KeyedState.Entries inner = KeyedState.inMemory(map);
        int writes;
        int entriesScanned;

        @Override
        public byte[] get(final String key) {
            return inner.get(key);
        }

        @Override
        public void put(final String key, final byte[] value) {
            writes++;
            inner.put(key, value);
        }

        @Override
        public void delete(final String key) {
            writes++;
            inner.delete(key);
        }

        @Override
        public void scan(final String prefix, final BiConsumer<String, byte[]> visitor) {
            inner.scan(prefix, (k, v) -> {
                entriesScanned++;
                visitor.accept(k, v);
            });
        }
    }

    @Property(tries = 1000)
    void keyedFoldsFactByFactMaterializeToTheReducersState(@ForAll @IntRange(min = 0, max = 2) final int poolIndex, @ForAll final Random random) {
        final FactPool pool = POOLS.get(poolIndex);
        final String authority = pool.genesis.authorityId();
        final List<FactEnvelope> arrivals = new ArrayList<>();
        for (final FactEnvelope fact : pool.facts) {
            if (random.nextInt(6) != 0) {
                arrivals.add(fact);
                if (random.nextInt(5) == 0) {
                    arrivals.add(fact);
                }
            }
        }
        Collections.shuffle(arrivals, random);
        final CountingEntries entries = new CountingEntries();
        final Map<String, FactEnvelope> seen = new LinkedHashMap<>();
        for (final FactEnvelope fact : arrivals) {
            if (seen.putIfAbsent(Facts.idHex(fact), fact) != null) {
                continue;
            }
            entries.writes = 0;
            entries.entriesScanned = 0;
            final Reducer.Step step = KeyedState.apply(REDUCER, entries, authority, fact);
            if (step instanceof Reducer.Step.NeedsRefold) {
                KeyedState.replace(entries, REDUCER.reduce(authority, seen.values()));
            } else if (!FactAdmission.isRosterFact(fact)) {
                final int cacheKeys = fact.getBody().getPayload() instanceof CacheInvalidated c ? c.getKeys().size() : 0;
                assertThat(entries.writes).as("entries a %s writes", fact.getBody().getPayload().getClass().getSimpleName())
                        .isLessThanOrEqualTo(4 + cacheKeys);
                assertThat(entries.entriesScanned).as("entries a %s scans", fact.getBody().getPayload().getClass().getSimpleName())
                        .isLessThanOrEqualTo(16);
            }
        }
        final MaintenanceState expected = REDUCER.reduce(authority, seen.values());
        final MaintenanceState materialized = KeyedState.materialize(KeyedState.inMemory(entries.map));
        if (seen.isEmpty()) {
            assertThat(materialized).isNull();
            return;
        }
        assertThat(materialized.toString()).isEqualTo(expected.toString());
        assertThat(Canonical.bytes(materialized)).isEqualTo(Canonical.bytes(expected));
        // What the edge reads per device comes from single entries and the header, and agrees with the whole state.
        final KeyedState.Entries view = KeyedState.inMemory(entries.map);
        assertThat(KeyedState.hardForksInForce(view)).isEqualTo(UpgradeChecks.requiredPackages(expected));
        for (final io.factfleet.schema.state.RosterEntry m : expected.getRoster()) {
            assertThat(KeyedState.member(view, m.getDeviceId())).isEqualTo(m);
        }
        for (final io.factfleet.schema.state.DeviceState d : expected.getDevices()) {
            assertThat(KeyedState.device(view, d.getDeviceId())).isEqualTo(d);
        }
    }

    @Property(tries = 50)
    void replacingWithAReducedStateMaterializesToIt(@ForAll @IntRange(min = 0, max = 2) final int poolIndex, @ForAll final Random random) {
        final FactPool pool = POOLS.get(poolIndex);
        final List<FactEnvelope> some = new ArrayList<>();
        for (final FactEnvelope fact : pool.facts) {
            if (random.nextBoolean()) {
                some.add(fact);
            }
        }
        final MaintenanceState reduced = REDUCER.reduce(pool.genesis.authorityId(), some);
        final TreeMap<String, byte[]> map = new TreeMap<>();
        // Stale entries from another state must go.
        KeyedState.replace(KeyedState.inMemory(map), REDUCER.reduce(pool.genesis.authorityId(), pool.facts));
        KeyedState.replace(KeyedState.inMemory(map), reduced);
        assertThat(Canonical.bytes(KeyedState.materialize(KeyedState.inMemory(map)))).isEqualTo(Canonical.bytes(reduced));
    }
}
