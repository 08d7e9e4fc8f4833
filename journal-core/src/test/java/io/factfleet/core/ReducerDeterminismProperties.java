package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The reducer is a function of the set of facts: shuffling, duplicating, splitting a fact set
 * across replicas and merging them again (in batch or fact by fact, in any order) gives a
 * byte-identical state and digest.
 */
class ReducerDeterminismProperties {
    private static final List<FactPool> POOLS = List.of(FactPool.build(1), FactPool.build(2), FactPool.build(3), FactPool.large(4));
    private static final Reducer REDUCER = new Reducer(new FactPool.MemoizingVerifier());

    record Sample(FactPool pool, List<FactEnvelope> facts) {
        String authority() {
            return pool.genesis.authorityId();
        }
    }

    @Provide
    Arbitrary<Sample> samples() {
        return Arbitraries.integers().between(0, POOLS.size() - 1).flatMap(i -> {
            final FactPool pool = POOLS.get(i);
            // Mostly large subsets, so the interesting interactions are present most of the time.
            return Arbitraries.frequencyOf(
                    net.jqwik.api.Tuple.of(1, Arbitraries.subsetOf(pool.facts)),
                    net.jqwik.api.Tuple.of(3, Arbitraries.of(pool.facts).set().ofMinSize(pool.facts.size() - 4).ofMaxSize(pool.facts.size())))
                    .map(set -> new Sample(pool, new ArrayList<>(set)));
        });
    }

    @Property(tries = 1000)
    void shufflingAndDuplicatingGiveAByteIdenticalState(@ForAll("samples") final Sample sample, @ForAll final Random random) {
        final MaintenanceState reference = REDUCER.reduce(sample.authority(), sample.facts());
        final List<FactEnvelope> noisy = new ArrayList<>(sample.facts());
        for (int i = 0; i < sample.facts().size() / 3 && !sample.facts().isEmpty(); i++) {
            noisy.add(sample.facts().get(random.nextInt(sample.facts().size())));
        }
        Collections.shuffle(noisy, random);
        final MaintenanceState shuffled = REDUCER.reduce(sample.authority(), noisy);
        assertThat(Canonical.bytes(shuffled)).isEqualTo(Canonical.bytes(reference));
        assertThat(StateDigest.of(shuffled)).isEqualTo(StateDigest.of(reference));
    }

    @Property(tries = 1000)
    void replicasFoldingFactByFactInAnyOrderReachTheBatchState(@ForAll("samples") final Sample sample, @ForAll final Random random) {
        final List<FactEnvelope> order = new ArrayList<>(sample.facts());
        Collections.shuffle(order, random);
        final Replica replica = new Replica(sample.authority());
        for (final FactEnvelope fact : order) {
            replica.receive(fact);
            if (random.nextInt(4) == 0) {
                replica.receive(fact); // redelivery
            }
        }
        final MaintenanceState expected = REDUCER.reduce(sample.authority(), sample.facts());
        assertThat(replica.state.toString()).isEqualTo(expected.toString());
        assertThat(StateDigest.hex(replica.state)).isEqualTo(StateDigest.hex(expected));
    }

    @Property(tries = 1000)
    void splittingAcrossReplicasAndMergingGivesTheSameDigest(@ForAll("samples") final Sample sample,
                                                             @ForAll @IntRange(min = 2, max = 5) final int replicas,
                                                             @ForAll final Random random) {
        final List<List<FactEnvelope>> parts = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            parts.add(new ArrayList<>());
        }
        for (final FactEnvelope fact : sample.facts()) {
            // Each fact lands on one or more replicas.
            parts.get(random.nextInt(replicas)).add(fact);
            if (random.nextInt(5) == 0) {
                parts.get(random.nextInt(replicas)).add(fact);
            }
        }
        final List<Replica> nodes = new ArrayList<>();
        for (final List<FactEnvelope> part : parts) {
            final Replica node = new Replica(sample.authority());
            Collections.shuffle(part, random);
            part.forEach(node::receive);
            nodes.add(node);
        }
        // Anti-entropy in a random order of pairwise merges until everybody has everything.
        for (int round = 0; round < replicas * replicas; round++) {
            final Replica from = nodes.get(random.nextInt(replicas));
            final Replica to = nodes.get(random.nextInt(replicas));
            final List<FactEnvelope> missing = new ArrayList<>(from.facts.values());
            Collections.shuffle(missing, random);
            missing.forEach(to::receive);
        }
        for (final Replica from : nodes) {
            for (final Replica to : nodes) {
                from.facts.values().forEach(to::receive);
            }
        }
        final MaintenanceState expected = REDUCER.reduce(sample.authority(), sample.facts());
        for (final Replica node : nodes) {
            assertThat(node.state.toString()).isEqualTo(expected.toString());
            assertThat(StateDigest.hex(node.state)).isEqualTo(StateDigest.hex(expected));
            assertThat(MerkleRoot.of(node.ids())).isEqualTo(MerkleRoot.of(Replica.ids(sample.facts())));
        }
    }

    @Property(tries = 1000)
    void mergingFactSetsIsCommutativeAssociativeAndIdempotent(@ForAll("samples") final Sample a, @ForAll final Random random) {
        final List<FactEnvelope> pool = a.pool().facts;
        final List<FactEnvelope> b = sampleOf(pool, random);
        final List<FactEnvelope> c = sampleOf(pool, random);
        final String authority = a.authority();
        assertThat(digestOf(authority, union(a.facts(), b))).isEqualTo(digestOf(authority, union(b, a.facts())));
        assertThat(digestOf(authority, union(union(a.facts(), b), c))).isEqualTo(digestOf(authority, union(a.facts(), union(b, c))));
        assertThat(digestOf(authority, union(a.facts(), a.facts()))).isEqualTo(digestOf(authority, a.facts()));
    }

    private static List<FactEnvelope> sampleOf(final List<FactEnvelope> pool, final Random random) {
        final List<FactEnvelope> out = new ArrayList<>();
        for (final FactEnvelope fact : pool) {
            if (random.nextBoolean()) {
                out.add(fact);
            }
        }
        return out;
    }

    private static List<FactEnvelope> union(final List<FactEnvelope> x, final List<FactEnvelope> y) {
        final List<FactEnvelope> out = new ArrayList<>(x);
        out.addAll(y);
        return out;
    }

    private static String digestOf(final String authority, final List<FactEnvelope> facts) {
        return StateDigest.hex(REDUCER.reduce(authority, facts));
    }

    /** A replica that folds facts one at a time, as the stream processor and the device SDK do. */
    static final class Replica {
        final String authority;
        final Map<String, FactEnvelope> facts = new HashMap<>();
        MaintenanceState state;

        Replica(final String authority) {
            this.authority = authority;
            this.state = REDUCER.reduce(authority, List.of());
        }

        void receive(final FactEnvelope fact) {
            if (facts.putIfAbsent(Facts.idHex(fact), fact) != null) {
                return;
            }
            final Reducer.Step step = REDUCER.apply(MaintenanceState.newBuilder(state).build(), fact);
            if (step instanceof Reducer.Step.Applied applied) {
                state = applied.state();
            } else {
                state = REDUCER.reduce(authority, facts.values());
            }
        }

        List<byte[]> ids() {
            return ids(facts.values());
        }

        static List<byte[]> ids(final java.util.Collection<FactEnvelope> facts) {
            final List<byte[]> ids = new ArrayList<>();
            for (final FactEnvelope fact : facts) {
                ids.add(Facts.id(fact));
            }
            return ids;
        }
    }

    @Property(tries = 1)
    void theLargePoolExercisesBulkRosterChanges() {
        final FactPool pool = POOLS.get(3);
        final MaintenanceState state = REDUCER.reduce(pool.genesis.authorityId(), pool.facts);
        assertThat(state.getIdentityEpoch()).isEqualTo(2);
        assertThat(state.getRoster().size()).isGreaterThanOrEqualTo(1_000);
        assertThat(state.getIgnored()).extracting(i -> i.getReason().split(":")[0]).contains(
                "SUPERSEDED", "DUPLICATE_KEY", "CERTIFICATE_INVALID", "SIGNER_NOT_ROSTERED");
        assertThat(state.getFormerMembers()).hasSizeGreaterThanOrEqualTo(4);
        assertThat(state.getRosterEpochs()).extracting(e -> e.getMemberCount()).hasSize(3);
    }

    @Property(tries = 10)
    void poolsExerciseTheInterestingCases(@ForAll @IntRange(min = 0, max = 2) final int index) {
        // Guards the generator: if the pool stopped producing these cases the properties above would prove little.
        final FactPool pool = POOLS.get(index);
        final MaintenanceState state = REDUCER.reduce(pool.genesis.authorityId(), pool.facts);
        assertThat(state.getIdentityEpoch()).isEqualTo(3);
        assertThat(state.getIgnored()).extracting(i -> i.getReason().split(":")[0]).contains(
                "DUPLICATE_GENESIS", "SUPERSEDED", "CERTIFICATE_INVALID", "SIGNER_NOT_ROSTERED", "RETIRED_ADMIN", Reducer.EPOCH_AHEAD);
        assertThat(state.getApprovals()).extracting(x -> x.getProblem() == null ? "counted" : x.getProblem().split(":")[0])
                .contains("counted", "DIGEST_MISMATCH", "WRONG_EPOCH");
        assertThat(Set.copyOf(state.getRetiredAdmins())).hasSize(1);
    }
}
