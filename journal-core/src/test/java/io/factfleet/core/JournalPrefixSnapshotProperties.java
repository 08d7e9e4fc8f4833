package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.IgnoredFact;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Snapshot + tail = state for the snapshots the coordinator takes: the prefix is a journal prefix
 * (whatever arrived before the proposal), not an epoch range. The journal is admission-ordered: a fact
 * ingest would refuse (one that would reorder the roster chain, or wait for an epoch or a genesis that
 * is not there yet) never reaches it.
 */
public class JournalPrefixSnapshotProperties {
    private static final List<FactPool> POOLS = List.of(FactPool.build(21), FactPool.build(22), FactPool.large(23));
    private static final Reducer REDUCER = new Reducer(new FactPool.MemoizingVerifier());

    @Property(tries = 1000)
    void aSnapshotOfAnyJournalPrefixPlusTheRestGivesTheSameState(@ForAll @IntRange(min = 0, max = 2) final int poolIndex,
                                                                 @ForAll @IntRange(min = 0, max = 1000) final int cutPermille,
                                                                 @ForAll final Random random) {
        final FactPool pool = POOLS.get(poolIndex);
        final String authority = pool.genesis.authorityId();
        final List<FactEnvelope> arrivals = new ArrayList<>(pool.facts);
        arrivals.addAll(pool.facts.subList(0, pool.facts.size() / 3)); // re-sent facts
        Collections.shuffle(arrivals, random);
        final List<FactEnvelope> journal = journalOf(authority, arrivals);
        final int cut = journal.size() * cutPermille / 1000;
        final List<FactEnvelope> prefix = journal.subList(0, cut);
        final List<FactEnvelope> tail = journal.subList(cut, journal.size());

        final MaintenanceState snapshot = REDUCER.reduce(authority, prefix);
        // A reader that hydrates the snapshot and folds the tail as it arrives (the reducer)...
        MaintenanceState folded = Canonical.decode(Canonical.bytes(snapshot), MaintenanceState.class);
        for (final FactEnvelope fact : tail) {
            final Reducer.Step step = REDUCER.apply(folded, fact);
            assertThat(step).as("an admission-ordered tail never needs the pruned prefix").isInstanceOf(Reducer.Step.Applied.class);
            folded = ((Reducer.Step.Applied) step).state();
        }
        // ... and one that reduces the tail at once onto it (a restore) both reach the full state.
        final String expected = StateDigest.hex(REDUCER.reduce(authority, journal));
        assertThat(StateDigest.hex(folded)).isEqualTo(expected);
        assertThat(StateDigest.hex(REDUCER.reduceFrom(snapshot, Long.MIN_VALUE, tail))).isEqualTo(expected);
    }

    @Property(tries = 200)
    void aReplicaComputesTheProposalsPrefixDigestFromWhatItHolds(@ForAll @IntRange(min = 0, max = 2) final int poolIndex,
                                                                 @ForAll @IntRange(min = 0, max = 1000) final int cutPermille,
                                                                 @ForAll final Random random) {
        final FactPool pool = POOLS.get(poolIndex);
        final String authority = pool.genesis.authorityId();
        final List<FactEnvelope> arrivals = new ArrayList<>(pool.facts);
        Collections.shuffle(arrivals, random);
        final List<FactEnvelope> journal = journalOf(authority, arrivals);
        final List<FactEnvelope> prefix = new ArrayList<>(journal.subList(0, journal.size() * cutPermille / 1000));
        final MaintenanceState prefixState = REDUCER.reduce(authority, prefix);
        if (!prefixState.getCreated()) {
            return;
        }
        final DeviceSigner admin = new DeviceSigner(authority, "snapshot-coordinator", pool.genesis.adminKey());
        final FactEnvelope proposal = admin.sign(prefixState.getIdentityEpoch(), new io.factfleet.schema.SnapshotProposed(
                "p-" + cutPermille, "test", prefixState.getIdentityEpoch(), java.nio.ByteBuffer.wrap(StateDigest.of(prefixState)),
                prefixState.getFactCount()));
        final FactEnvelope approval = pool.genesis.device(0).approveSnapshot(prefixState.getIdentityEpoch(), "p-" + cutPermille, prefixState.getIdentityEpoch(), StateDigest.of(prefixState));
        final List<FactEnvelope> replica = new ArrayList<>(prefix);
        replica.add(proposal);
        replica.add(approval);
        Collections.shuffle(replica, random);
        assertThat(Snapshots.prefixDigest(REDUCER, authority, null, replica, "p-" + cutPermille)).isEqualTo(StateDigest.of(prefixState));
    }

    /** What ingest lets into the journal, in arrival order: new facts that fold without a refold and are not left waiting. */
    public static List<FactEnvelope> journalOf(final String authority, final List<FactEnvelope> arrivals) {
        final List<FactEnvelope> journal = new ArrayList<>();
        final java.util.Set<String> seen = new java.util.HashSet<>();
        MaintenanceState state = Reducer.empty(authority);
        for (final FactEnvelope fact : arrivals) {
            final String id = Facts.idHex(fact);
            if (seen.contains(id)) {
                continue;
            }
            final MaintenanceState probe = Canonical.decode(Canonical.bytes(state), MaintenanceState.class);
            final Reducer.Step step = REDUCER.apply(probe, fact);
            if (step instanceof Reducer.Step.NeedsRefold || waits(((Reducer.Step.Applied) step).state(), id)) {
                continue;
            }
            seen.add(id);
            journal.add(fact);
            state = ((Reducer.Step.Applied) step).state();
        }
        return journal;
    }

    private static boolean waits(final MaintenanceState state, final String id) {
        for (final IgnoredFact ignored : state.getIgnored()) {
            if (ignored.getFactId().equals(id) && (ignored.getReason().equals(Reducer.NOT_CREATED) || ignored.getReason().equals(Reducer.EPOCH_AHEAD))) {
                return true;
            }
        }
        return false;
    }

    static final Map<String, byte[]> OPERATORS = Map.of(FactPool.OPERATOR.keyId(), FactPool.OPERATOR.publicKey());
}
