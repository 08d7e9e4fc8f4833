package io.factfleet.reducer;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReducerTopologyTest {
    private static final Reducer CORE = Reducer.standard();

    @TempDir
    Path stateDir;

    private final ReducerMetrics metrics = new ReducerMetrics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, FactEnvelope> journal;
    private TestInputTopic<String, byte[]> rawJournal;

    @BeforeEach
    void startDriver() {
        final SchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        final Serde<FactEnvelope> serde = FactFleetTopics.JOURNAL.valueSerde(registry);
        final Properties given = new Properties();
        given.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        given.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(ReducerTopology.build(registry, metrics), ReducerConfig.of(given).streamsProperties(metrics));
        journal = driver.createInputTopic(FactFleetTopics.JOURNAL.name(), new StringSerializer(), serde.serializer());
        rawJournal = driver.createInputTopic(FactFleetTopics.JOURNAL.name(), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    @Test
    void stateEqualsTheCoreReductionWhateverTheOrderAndDuplication() {
        for (long seed = 1; seed <= 4; seed++) {
            final AuthorityFacts facts = AuthorityFacts.create("auth-" + seed);
            final Random random = new Random(seed);
            final List<FactEnvelope> arrivals = new ArrayList<>(facts.all());
            for (int i = 0; i < 5; i++) {
                arrivals.add(arrivals.get(random.nextInt(arrivals.size())));
            }
            Collections.shuffle(arrivals, random);

            pipe(arrivals);

            assertThat(digestOf(facts.authorityId)).as("seed %d", seed).isEqualTo(StateDigest.hex(CORE.reduce(facts.authorityId, facts.all())));
        }
    }

    @Test
    void aDuplicateFactIsANoOp() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-dup");
        pipe(facts.all());
        final byte[] before = Canonical.bytes(states().get(facts.authorityId));
        final List<String> indexBefore = indexKeys();

        journal.pipeInput(AuthorityFacts.key(facts.epochZero.get(3)), facts.epochZero.get(3));

        assertThat(Canonical.bytes(states().get(facts.authorityId))).isEqualTo(before);
        assertThat(indexKeys()).isEqualTo(indexBefore);
        assertThat(metrics.snapshot().duplicateFacts()).isEqualTo(1);
    }

    @Test
    void rosterFactsArrivingAfterTheFactsThatNeedThemRefoldToTheCoreState() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-late-roster");
        final List<FactEnvelope> arrivals = new ArrayList<>(facts.epochOneAndLater);
        arrivals.addAll(facts.epochZero);
        arrivals.add(facts.genesis);
        // Larger fact id first: that enrolment takes epoch 1 until the smaller one arrives and wins it back by a refold.
        final List<FactEnvelope> roster = new ArrayList<>(facts.rosterChanges);
        roster.sort(Reducer.CANONICAL_ORDER.reversed());
        arrivals.addAll(roster);

        pipe(arrivals);

        // The genesis releases the facts waiting for it, the first enrolment those waiting for epoch 1,
        // and the second enrolment sorts before the first and takes epoch 1 from it.
        assertThat(metrics.snapshot().refolds()).isEqualTo(3);
        assertThat(digestOf(facts.authorityId)).isEqualTo(StateDigest.hex(CORE.reduce(facts.authorityId, facts.withOneGenesis())));
    }

    @Test
    void anUndecodableValueDoesNotStopLaterRecords() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-garbage");
        rawJournal.pipeInput(facts.authorityId + "/" + "0".repeat(64), "not a fact".getBytes(StandardCharsets.UTF_8));
        rawJournal.pipeInput(facts.authorityId + "/" + "1".repeat(64), new byte[] {0, 0, 0, 0, 1, 42, 42, 42});

        pipe(facts.all());

        assertThat(metrics.snapshot().deserializationErrors()).isEqualTo(2);
        assertThat(digestOf(facts.authorityId)).isEqualTo(StateDigest.hex(CORE.reduce(facts.authorityId, facts.all())));
    }

    @Test
    void aRecordWhoseKeyIsNotItsFactsJournalKeyIsSkippedAndCounted() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-bad-key");
        final AuthorityFacts other = AuthorityFacts.create("auth-other");
        journal.pipeInput(AuthorityFacts.key(other.genesis), facts.genesis);
        journal.pipeInput(null, facts.genesis);

        pipe(facts.all());

        assertThat(metrics.snapshot().processingErrors()).isEqualTo(2);
        assertThat(states().get(other.authorityId)).isNull();
        assertThat(digestOf(facts.authorityId)).isEqualTo(StateDigest.hex(CORE.reduce(facts.authorityId, facts.all())));
    }

    @Test
    void aTombstoneRemovesTheFactFromTheIndexAndKeepsTheState() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-gc");
        pipe(facts.all());
        final byte[] before = Canonical.bytes(states().get(facts.authorityId));
        final FactEnvelope pruned = facts.epochZero.get(2);

        journal.pipeInput(AuthorityFacts.key(pruned), null);

        assertThat(indexKeys()).hasSize(facts.all().size() - 1).noneMatch(k -> k.endsWith(Facts.idHex(pruned)));
        assertThat(ids().get(AuthorityFacts.key(pruned))).isNull();
        assertThat(Canonical.bytes(states().get(facts.authorityId))).isEqualTo(before);
        assertThat(metrics.snapshot().prunedFacts()).isEqualTo(1);
    }

    @Test
    void factsOfAnInvalidAuthorityIdAreSkippedAndCounted() {
        final AuthorityFacts invalid = AuthorityFacts.create("site/7");
        final AuthorityFacts valid = AuthorityFacts.create("site");
        pipe(invalid.withOneGenesis());
        pipe(valid.all());

        assertThat(metrics.snapshot().processingErrors()).isEqualTo(invalid.withOneGenesis().size());
        assertThat(indexKeys()).hasSize(valid.all().size());
        assertThat(digestOf(valid.authorityId)).isEqualTo(StateDigest.hex(CORE.reduce(valid.authorityId, valid.all())));
    }

    @Test
    void factsOfSeveralAuthoritiesAreFoldedApart() {
        final AuthorityFacts first = AuthorityFacts.create("site-1");
        final AuthorityFacts second = AuthorityFacts.create("site-10");
        final List<FactEnvelope> arrivals = new ArrayList<>(second.all());
        arrivals.addAll(first.epochOneAndLater);
        arrivals.addAll(first.epochZero);
        arrivals.add(first.rivalGenesis);
        arrivals.add(first.genesis); // late genesis facts refold "site-1" from a scan of its index
        arrivals.addAll(first.rosterChanges);

        pipe(arrivals);

        assertThat(metrics.snapshot().refolds()).isPositive();
        assertThat(digestOf(first.authorityId)).isEqualTo(StateDigest.hex(CORE.reduce(first.authorityId, first.all())));
        assertThat(digestOf(second.authorityId)).isEqualTo(StateDigest.hex(CORE.reduce(second.authorityId, second.all())));
    }

    @Test
    void theIndexListsAnAuthoritysFactsInCanonicalOrder() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-order");
        final List<FactEnvelope> shuffled = new ArrayList<>(facts.all());
        Collections.shuffle(shuffled, new Random(7));
        pipe(shuffled);

        final List<FactEnvelope> expected = new ArrayList<>(facts.all());
        expected.sort(Reducer.CANONICAL_ORDER);
        assertThat(indexKeys()).map(k -> k.substring(k.length() - 64)).containsExactlyElementsOf(expected.stream().map(Facts::idHex).toList());
    }

    private void pipe(final List<FactEnvelope> facts) {
        for (final FactEnvelope fact : facts) {
            journal.pipeInput(AuthorityFacts.key(fact), fact);
        }
    }

    private String digestOf(final String authorityId) {
        final MaintenanceState state = states().get(authorityId);
        assertThat(state).as("state of %s", authorityId).isNotNull();
        return StateDigest.hex(state);
    }

    /** Each authority's state as the views read it: its keyed entries, materialized. */
    private java.util.function.Function<String, MaintenanceState> statesView() {
        final KeyValueStore<String, byte[]> entries = driver.getKeyValueStore(ReducerStores.AUTHORITY_ENTRIES.name());
        return id -> AuthorityEntries.state(entries, id);
    }

    private StateLookup states() {
        return statesView()::apply;
    }

    private interface StateLookup {
        MaintenanceState get(String authorityId);
    }

    private KeyValueStore<String, String> ids() {
        return driver.getKeyValueStore(ReducerStores.FACT_IDS.name());
    }

    private List<String> indexKeys() {
        final KeyValueStore<String, FactEnvelope> index = driver.getKeyValueStore(ReducerStores.FACT_INDEX.name());
        final List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, FactEnvelope> it = index.all()) {
            it.forEachRemaining((KeyValue<String, FactEnvelope> kv) -> keys.add(kv.key));
        }
        return keys;
    }
}
