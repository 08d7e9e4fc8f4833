package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalReplicaTest {
    private static final AuthorityGenesis AUTHORITY = AuthorityGenesis.generate("replica-1", 3, 2);
    private static final List<FactEnvelope> FACTS = new ArrayList<>();

    static {
        FACTS.add(AUTHORITY.genesisFact(Ed25519Keys.generate()));
        for (int i = 0; i < 12; i++) {
            FACTS.add(AUTHORITY.device(i % 3).journalEntry(0, ("k" + i).getBytes(), new byte[] {(byte) i}));
        }
        FACTS.add(AUTHORITY.device(0).cacheInvalidated(0, List.of("c"), 4));
        FACTS.add(AUTHORITY.device(1).readiness(0, "u", "fw", 2, ReadinessStatus.READY, null));
    }

    @Test
    void theReplicaDigestIsTheServersDigestForTheSameFacts(@TempDir final Path dir) {
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            FACTS.forEach(replica::add);
            assertThat(replica.digest()).isEqualTo(StateDigest.of(Reducer.standard().reduce(AUTHORITY.authorityId(), FACTS)));
            assertThat(replica.merkleRoot()).isEqualTo(MerkleRoot.of(FACTS.stream().map(Facts::id).toList()));
        }
    }

    @Test
    void aReopenedReplicaHasTheSameFactsAndDigest(@TempDir final Path dir) {
        final byte[] digest;
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            FACTS.forEach(replica::add);
            digest = replica.digest();
        }
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            assertThat(replica.size()).isEqualTo(FACTS.size());
            assertThat(replica.digest()).isEqualTo(digest);
        }
    }

    @Test
    void aReplicaCompactedToASnapshotKeepsItsDigestAcrossAReopenAndHoldsOnlyTheTail(@TempDir final Path dir) {
        final List<FactEnvelope> prefix = FACTS.subList(0, 8);
        final List<FactEnvelope> tail = FACTS.subList(8, FACTS.size());
        final byte[] full = StateDigest.of(Reducer.standard().reduce(AUTHORITY.authorityId(), FACTS));
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            FACTS.forEach(replica::add);
            replica.compactTo("p1", Reducer.standard().reduce(AUTHORITY.authorityId(), prefix), prefix.stream().map(Facts::id).toList());
            assertThat(replica.digest()).isEqualTo(full);
        }
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            assertThat(replica.digest()).isEqualTo(full);
            assertThat(replica.size()).isEqualTo(tail.size());
            assertThat(replica.snapshotProposalId()).contains("p1");
            assertThat(replica.merkleRoot()).as("the root covers the tail, as the server's does after garbage collection")
                    .isEqualTo(MerkleRoot.of(tail.stream().map(Facts::id).toList()));
            assertThat(replica.contains(Facts.idHex(prefix.get(3)))).isTrue();
            assertThat(replica.add(prefix.get(3))).as("a covered fact is known").isFalse();
            assertThat(replica.digest()).isEqualTo(full);
        }
    }

    @Test
    void aKnownFactIsNotAddedTwice(@TempDir final Path dir) {
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            assertThat(replica.add(FACTS.get(0))).isTrue();
            assertThat(replica.add(FACTS.get(0))).isFalse();
            assertThat(replica.size()).isEqualTo(1);
        }
    }

    @Property(tries = 50)
    void anyArrivalOrderGivesTheServersDigest(@ForAll final Random random) throws Exception {
        final Path dir = Files.createTempDirectory("replica");
        final List<FactEnvelope> order = new ArrayList<>(FACTS);
        Collections.shuffle(order, random);
        try (LocalReplica replica = LocalReplica.open(dir.resolve("replica.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            order.forEach(replica::add);
            assertThat(replica.digest()).isEqualTo(StateDigest.of(Reducer.standard().reduce(AUTHORITY.authorityId(), FACTS)));
        }
    }
}
