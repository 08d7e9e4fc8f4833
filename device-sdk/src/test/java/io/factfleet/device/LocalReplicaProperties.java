package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.FactPool;
import io.factfleet.core.Facts;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.schema.FactEnvelope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The replica keeps its state as keyed entries in SQLite; whatever the arrival order, redeliveries,
 * reopenings and a compaction to a snapshot of any prefix, its digest is the reducer's over the same
 * facts. The pools are the core's, including the 1,100-device authority with bulk enrolments.
 */
class LocalReplicaProperties {
    private static final List<FactPool> POOLS = List.of(FactPool.build(51), FactPool.large(53));
    private static final Reducer REDUCER = new Reducer(new FactPool.MemoizingVerifier());
    private static final List<List<FactEnvelope>> JOURNALS = POOLS.stream()
            .map(p -> io.factfleet.core.JournalPrefixSnapshotProperties.journalOf(p.genesis.authorityId(), p.facts)).toList();

    @Property(tries = 200)
    void theReplicaOnDiskReachesTheReducersDigest(@ForAll @IntRange(min = 0, max = 1) final int poolIndex, @ForAll final Random random)
            throws Exception {
        final FactPool pool = POOLS.get(poolIndex);
        final String authority = pool.genesis.authorityId();
        // What the server's journal holds (admitted in order), delivered to the device in any order, some twice.
        final List<FactEnvelope> journal = JOURNALS.get(poolIndex);
        final List<FactEnvelope> arrivals = new ArrayList<>();
        for (final FactEnvelope fact : journal) {
            if (random.nextInt(5) != 0) {
                arrivals.add(fact);
                if (random.nextInt(6) == 0) {
                    arrivals.add(fact);
                }
            }
        }
        Collections.shuffle(arrivals, random);
        final Path dir = Files.createTempDirectory("replica-properties");
        final Path file = dir.resolve("replica.db");
        final Map<String, FactEnvelope> seen = new LinkedHashMap<>();
        final int compactAt = random.nextInt(arrivals.size() + 1);
        final List<FactEnvelope> snapshotPrefix = journal.subList(0, random.nextInt(journal.size() + 1));
        LocalReplica replica = LocalReplica.open(file, authority, REDUCER);
        try {
            for (int i = 0; i < arrivals.size(); i++) {
                if (i == compactAt && !snapshotPrefix.isEmpty()) {
                    // A snapshot covers a prefix of the journal: the facts it covers are dropped or, not yet seen, known by id.
                    replica.compactTo("p" + i, REDUCER.reduce(authority, snapshotPrefix), snapshotPrefix.stream().map(Facts::id).toList());
                    snapshotPrefix.forEach(f -> seen.putIfAbsent(Facts.idHex(f), f));
                }
                if (random.nextInt(4) == 0) {
                    // A sync page: several facts in one transaction.
                    final List<FactEnvelope> page = arrivals.subList(i, Math.min(arrivals.size(), i + 1 + random.nextInt(8)));
                    int fresh = 0;
                    for (final FactEnvelope f : page) {
                        fresh += seen.putIfAbsent(Facts.idHex(f), f) == null ? 1 : 0;
                    }
                    assertThat(replica.addAll(page)).isEqualTo(fresh);
                    i += page.size() - 1;
                    continue;
                }
                final FactEnvelope fact = arrivals.get(i);
                final boolean isNew = seen.putIfAbsent(Facts.idHex(fact), fact) == null;
                assertThat(replica.add(fact)).isEqualTo(isNew);
                if (random.nextInt(40) == 0) {
                    replica.close();
                    replica = LocalReplica.open(file, authority, REDUCER);
                }
            }
            final List<FactEnvelope> all = new ArrayList<>(seen.values());
            assertThat(replica.digest()).isEqualTo(StateDigest.of(REDUCER.reduce(authority, all)));
            replica.close();
            replica = LocalReplica.open(file, authority, REDUCER);
            assertThat(replica.digest()).as("after a reopen").isEqualTo(StateDigest.of(REDUCER.reduce(authority, all)));
            assertThat(replica.identityEpoch()).isEqualTo(REDUCER.reduce(authority, all).getIdentityEpoch());
            if (replica.snapshotProposalId().isEmpty()) {
                assertThat(replica.merkleRoot()).isEqualTo(MerkleRoot.of(all.stream().map(Facts::id).toList()));
            }
        } finally {
            replica.close();
        }
    }
}
