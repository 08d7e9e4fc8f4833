package io.factfleet.reducer;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.reducer.ReducerStores.Rejection;
import io.factfleet.reducer.ReducerStores.SeqCounter;
import io.factfleet.reducer.internal.FactKeys;
import io.factfleet.reducer.internal.ProtocolQueries;
import io.factfleet.reducer.internal.ProtocolQueries.FactStatus;
import io.factfleet.reducer.internal.ProtocolQueries.Status;
import io.factfleet.reducer.internal.ProtocolQueries.SyncRequest;
import io.factfleet.reducer.internal.ProtocolQueries.SyncResult;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ingest.RejectedFact;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
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

/**
 * The reducer side of the device protocol on a {@link TopologyTestDriver}: the arrival sequence, the
 * rejected-facts store, and the status and sync queries over those stores.
 */
class DeviceProtocolTopologyTest {
    private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final SyncRequest EVERYTHING = new SyncRequest(0, null, false, Long.MAX_VALUE, null);

    @TempDir
    Path stateDir;

    private final ReducerMetrics metrics = new ReducerMetrics();
    private TopologyTestDriver driver;
    private TestInputTopic<String, FactEnvelope> journal;
    private TestInputTopic<String, RejectedFact> rejected;
    private ProtocolQueries.StoreSource stores;

    @BeforeEach
    void startDriver() {
        final SchemaRegistryClient registry = new InMemorySchemaRegistryClient();
        final Properties given = new Properties();
        given.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        given.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(ReducerTopology.build(registry, metrics, RETENTION), ReducerConfig.of(given).streamsProperties(metrics), START);
        journal = driver.createInputTopic(FactFleetTopics.JOURNAL.name(), new StringSerializer(),
                FactFleetTopics.JOURNAL.valueSerde(registry).serializer());
        rejected = driver.createInputTopic(FactFleetTopics.REJECTED.name(), new StringSerializer(),
                FactFleetTopics.REJECTED.valueSerde(registry).serializer());
        stores = driver::getKeyValueStore;
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    // ---- arrival sequence -----------------------------------------------------------------------

    @Test
    void factsAreNumberedInTheOrderTheyAreFirstIndexedAndDuplicatesTakeNoSeq() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-seq");
        final Random random = new Random(3);
        final List<FactEnvelope> arrivals = new ArrayList<>(facts.all());
        Collections.shuffle(arrivals, random);
        for (int i = 0; i < 6; i++) {
            final int at = 1 + random.nextInt(arrivals.size() - 1);
            arrivals.add(at, arrivals.get(random.nextInt(at)));  // a copy of a fact that arrived earlier
        }
        pipe(arrivals);

        final List<String> expected = firstOccurrences(arrivals);
        assertThat(seqIndex(facts.authorityId)).containsExactlyEntriesOf(numbered(facts.authorityId, expected));
        final SeqCounter counter = counter(facts.authorityId);
        assertThat(counter.lastSeq()).isEqualTo(expected.size());
        assertThat(counter.indexId()).matches("[0-9a-f]{32}");
        for (int i = 0; i < expected.size(); i++) {
            assertThat(status(facts.authorityId, expected.get(i))).isEqualTo(new FactStatus(expected.get(i), Status.IN_JOURNAL, i + 1L, null, null));
        }
        assertThat(metrics.snapshot().duplicateFacts()).isEqualTo(6);

        pipe(facts.all()); // every fact again: nothing moves
        assertThat(counter(facts.authorityId)).isEqualTo(counter);
        assertThat(seqIndex(facts.authorityId)).containsExactlyEntriesOf(numbered(facts.authorityId, expected));
    }

    @Test
    void eachAuthorityHasItsOwnSequenceAndIndexId() {
        final AuthorityFacts first = AuthorityFacts.create("site-1");
        final AuthorityFacts second = AuthorityFacts.create("site-10");
        final List<FactEnvelope> arrivals = new ArrayList<>();
        for (int i = 0; i < first.all().size(); i++) {
            arrivals.add(first.all().get(i));
            arrivals.add(second.all().get(i));
        }
        pipe(arrivals);

        assertThat(seqIndex(first.authorityId)).containsExactlyEntriesOf(numbered(first.authorityId, ids(first.all())));
        assertThat(seqIndex(second.authorityId)).containsExactlyEntriesOf(numbered(second.authorityId, ids(second.all())));
        assertThat(counter(first.authorityId).indexId()).isNotEqualTo(counter(second.authorityId).indexId());
    }

    @Test
    void aPrunedFactLosesItsSlotForGoodAndLaterFactsContinueTheSequence() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-gc");
        final List<FactEnvelope> all = facts.all();
        pipe(all.subList(0, all.size() - 1));
        final FactEnvelope pruned = all.get(2);

        journal.pipeInput(AuthorityFacts.key(pruned), null);
        pipe(List.of(all.get(all.size() - 1)));

        final List<String> remaining = ids(all);
        remaining.remove(Facts.idHex(pruned));
        final Map<String, String> expected = numbered(facts.authorityId, ids(all));
        expected.remove(FactKeys.seqKey(facts.authorityId, 3));
        assertThat(seqIndex(facts.authorityId)).containsExactlyEntriesOf(expected);
        assertThat(counter(facts.authorityId).lastSeq()).isEqualTo(all.size());
        assertThat(status(facts.authorityId, Facts.idHex(pruned)))
                .isEqualTo(new FactStatus(Facts.idHex(pruned), Status.IN_JOURNAL, null, null, ProtocolQueries.PRUNED_MESSAGE));

        final SyncResult sync = sync(facts.authorityId, EVERYTHING);
        assertThat(sync.factCount()).isEqualTo(all.size() - 1);
        assertThat(sync.merkleRoot()).isEqualTo(MerkleRoot.of(remaining.stream().map(Hashing::unhex).toList()));
        assertThat(ids(decode(sync.facts()))).containsExactlyElementsOf(remaining);
        assertThat(sync.upToSeq()).isEqualTo(all.size());
    }

    @Test
    void aFactThatCannotBeFoldedTakesNoSeq() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-bad");
        final AuthorityFacts other = AuthorityFacts.create("auth-other");
        journal.pipeInput(AuthorityFacts.key(facts.genesis), facts.genesis);
        journal.pipeInput(AuthorityFacts.key(other.genesis), facts.epochZero.get(0)); // key of another fact: skipped
        journal.pipeInput(AuthorityFacts.key(facts.epochZero.get(0)), facts.epochZero.get(0));

        assertThat(metrics.snapshot().processingErrors()).isEqualTo(1);
        assertThat(seqIndex(facts.authorityId)).containsExactlyEntriesOf(numbered(facts.authorityId,
                ids(List.of(facts.genesis, facts.epochZero.get(0)))));
        assertThat(counter(other.authorityId)).isNull();
    }

    @Test
    void factsIndexedBeforeTheSequenceExistedAreNumberedInCanonicalOrder() {
        final AuthorityFacts touched = AuthorityFacts.create("auth-touched");
        final AuthorityFacts idle = AuthorityFacts.create("auth-idle");
        final List<FactEnvelope> earlier = new ArrayList<>(touched.all());
        final FactEnvelope later = earlier.remove(earlier.size() - 1);
        final List<FactEnvelope> shuffled = new ArrayList<>(earlier);
        shuffled.addAll(idle.all());
        Collections.shuffle(shuffled, new Random(11));
        pipe(shuffled);
        forgetTheSequence(); // as if the stores had been written by a reducer without it

        pipe(List.of(later)); // the first fact of an authority numbers what the index already holds
        final List<FactEnvelope> canonical = new ArrayList<>(earlier);
        canonical.sort(Reducer.CANONICAL_ORDER);
        final List<String> expected = ids(canonical);
        expected.add(Facts.idHex(later));
        assertThat(seqIndex(touched.authorityId)).containsExactlyEntriesOf(numbered(touched.authorityId, expected));
        assertThat(sync(idle.authorityId, EVERYTHING)).as("idle authority not numbered yet").isNull();
        assertThat(status(idle.authorityId, Facts.idHex(idle.genesis)).status()).isEqualTo(Status.IN_JOURNAL);

        driver.advanceWallClockTime(Duration.ofSeconds(2)); // the one-off punctuation numbers every authority left
        final List<FactEnvelope> idleCanonical = new ArrayList<>(idle.all());
        idleCanonical.sort(Reducer.CANONICAL_ORDER);
        assertThat(seqIndex(idle.authorityId)).containsExactlyEntriesOf(numbered(idle.authorityId, ids(idleCanonical)));
        assertThat(sync(idle.authorityId, EVERYTHING).facts()).hasSize(idle.all().size());
        assertThat(seqIndex(touched.authorityId)).containsExactlyEntriesOf(numbered(touched.authorityId, expected));
    }

    // ---- rejections -----------------------------------------------------------------------------

    @Test
    void rejectionsAreRecordedByAuthorityAndFactIdAndTheJournalWinsOverThem() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-rejected");
        final String refused = Facts.idHex(facts.epochZero.get(0));
        final String admittedLater = Facts.idHex(facts.epochZero.get(1));
        final long at = START.toEpochMilli();
        rejected.pipeInput(facts.authorityId, rejection(facts.authorityId, refused, "BAD_SIGNATURE", at));
        rejected.pipeInput(facts.authorityId, rejection(facts.authorityId, admittedLater, "EPOCH_AHEAD", at));
        rejected.pipeInput(facts.authorityId, rejection(facts.authorityId, null, "FACT_ID_MISMATCH", at));
        rejected.pipeInput(null, rejection(null, refused, "UNDECODABLE", at));
        rejected.pipeInput("auth-other", rejection(facts.authorityId, refused, "BAD_SIGNATURE", at)); // key is not the authority
        rejected.pipeInput("bad/id", rejection("bad/id", refused, "INVALID_AUTHORITY_ID", at));

        assertThat(metrics.snapshot().rejectionsRecorded()).isEqualTo(2);
        assertThat(metrics.snapshot().rejectionsSkipped()).isEqualTo(4);
        assertThat(this.<Rejection>store(ReducerStores.REJECTED_FACTS).get(facts.authorityId + "/" + refused))
                .isEqualTo(new Rejection("BAD_SIGNATURE", "because BAD_SIGNATURE", at));
        assertThat(ProtocolQueries.isKnown(stores, facts.authorityId)).as("known by its rejections alone").isTrue();
        assertThat(ProtocolQueries.isKnown(stores, "auth-other")).isFalse();
        assertThat(status(facts.authorityId, refused)).isEqualTo(new FactStatus(refused, Status.REJECTED, null, "BAD_SIGNATURE", "because BAD_SIGNATURE"));

        pipe(List.of(facts.genesis, facts.epochZero.get(1)));
        assertThat(status(facts.authorityId, admittedLater)).isEqualTo(new FactStatus(admittedLater, Status.IN_JOURNAL, 2L, null, null));
        assertThat(status(facts.authorityId, refused).status()).isEqualTo(Status.REJECTED);
        assertThat(status(facts.authorityId, Facts.idHex(facts.epochZero.get(2))).status()).isEqualTo(Status.UNKNOWN);
    }

    @Test
    void rejectionsOlderThanTheRetentionAreForgottenAndALaterOneReplacesAnEarlier() {
        final String authority = "auth-expiry";
        final String old = "0".repeat(64);
        final String recent = "1".repeat(64);
        final String again = "2".repeat(64);
        final long start = START.toEpochMilli();
        rejected.pipeInput(authority, rejection(authority, old, "BAD_SIGNATURE", start));
        rejected.pipeInput(authority, rejection(authority, recent, "BAD_SIGNATURE", start + Duration.ofDays(20).toMillis()));
        rejected.pipeInput(authority, rejection(authority, again, "EPOCH_AHEAD", start));
        rejected.pipeInput(authority, rejection(authority, again, "SIGNER_NOT_ROSTERED", start + Duration.ofDays(20).toMillis()));

        driver.advanceWallClockTime(RETENTION.plusMinutes(2));

        assertThat(status(authority, old).status()).isEqualTo(Status.UNKNOWN);
        assertThat(status(authority, recent).status()).isEqualTo(Status.REJECTED);
        assertThat(status(authority, again)).isEqualTo(new FactStatus(again, Status.REJECTED, null, "SIGNER_NOT_ROSTERED", "because SIGNER_NOT_ROSTERED"));
        assertThat(metrics.snapshot().rejectionsExpired()).isEqualTo(1);
        assertThat(keys(ReducerStores.REJECTED_EXPIRY)).hasSize(2);
    }

    // ---- sync -----------------------------------------------------------------------------------

    @Test
    void syncPagesByBytesInSeqOrderAndThePagesAddUpToEveryFact() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-pages");
        final List<FactEnvelope> arrivals = new ArrayList<>(facts.all());
        Collections.shuffle(arrivals, new Random(5));
        pipe(arrivals);
        final byte[] root = MerkleRoot.of(arrivals.stream().map(Facts::id).toList());
        final long maxBytes = 3L * Canonical.bytes(arrivals.get(0)).length;

        final List<byte[]> all = new ArrayList<>();
        long after = 0;
        int pages = 0;
        SyncResult page;
        do {
            page = sync(facts.authorityId, new SyncRequest(after, null, false, maxBytes, null));
            pages++;
            assertThat(page.merkleRoot()).isEqualTo(root);
            assertThat(page.factCount()).isEqualTo(arrivals.size());
            assertThat(page.indexId()).isEqualTo(counter(facts.authorityId).indexId());
            assertThat(page.facts()).isNotEmpty();
            assertThat(page.facts().size() == 1 || page.facts().stream().mapToLong(b -> b.length).sum() <= maxBytes).isTrue();
            all.addAll(page.facts());
            assertThat(page.upToSeq()).isEqualTo(all.size());
            after = page.upToSeq();
        } while (!page.complete());

        assertThat(pages).isGreaterThan(2);
        assertThat(ids(decode(all))).containsExactlyElementsOf(ids(arrivals));
        final SyncResult atTheEnd = sync(facts.authorityId, new SyncRequest(arrivals.size(), null, false, maxBytes, null));
        assertThat(atTheEnd.facts()).isEmpty();
        assertThat(atTheEnd.complete()).isTrue();
        assertThat(atTheEnd.upToSeq()).isEqualTo(arrivals.size());
        final SyncResult beyond = sync(facts.authorityId, new SyncRequest(arrivals.size() + 10L, null, false, maxBytes, null));
        assertThat(beyond.upToSeq()).isEqualTo(arrivals.size() + 10L);
        assertThat(beyond.complete()).isTrue();

        final SyncResult tiny = sync(facts.authorityId, new SyncRequest(0, null, false, 1, null));
        assertThat(tiny.facts()).as("a fact larger than maxBytes still comes, alone").hasSize(1);
        assertThat(tiny.upToSeq()).isEqualTo(1);
        assertThat(tiny.complete()).isFalse();
    }

    @Test
    void syncSkipsTheDevicesOwnFactsUnlessItAsksForThem() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-own");
        pipe(facts.all());
        final String device = facts.devices.get(0).deviceId();
        final List<FactEnvelope> others = facts.all().stream().filter(f -> !f.getBody().getDeviceId().equals(device)).toList();
        assertThat(others).hasSizeLessThan(facts.all().size() - 1);

        final SyncResult without = sync(facts.authorityId, new SyncRequest(0, device, false, Long.MAX_VALUE, null));
        assertThat(ids(decode(without.facts()))).containsExactlyElementsOf(ids(others));
        assertThat(without.complete()).isTrue();
        assertThat(without.upToSeq()).isEqualTo(facts.all().size());
        assertThat(without.merkleRoot()).isEqualTo(MerkleRoot.of(facts.all().stream().map(Facts::id).toList()));

        final SyncResult with = sync(facts.authorityId, new SyncRequest(0, device, true, Long.MAX_VALUE, null));
        assertThat(ids(decode(with.facts()))).containsExactlyElementsOf(ids(facts.all()));
    }

    @Test
    void syncSkipsFactsTheBloomFilterMightContain() {
        final AuthorityFacts facts = AuthorityFacts.create("auth-bloom");
        pipe(facts.all());
        final List<FactEnvelope> held = new ArrayList<>();
        for (int i = 0; i < facts.all().size(); i += 2) {
            held.add(facts.all().get(i));
        }
        final byte[] salt = Hashing.sha256("salt".getBytes(StandardCharsets.UTF_8));
        final SaltedBloomFilter bloom = SaltedBloomFilter.of(java.util.Arrays.copyOf(salt, SaltedBloomFilter.SALT_BYTES), held.size(), 0.01,
                held.stream().map(Facts::id).toList());

        final SyncResult sync = sync(facts.authorityId, new SyncRequest(0, null, false, Long.MAX_VALUE, bloom));

        final List<String> expected = ids(facts.all().stream().filter(f -> !bloom.mightContain(Facts.id(f))).toList());
        assertThat(ids(decode(sync.facts()))).containsExactlyElementsOf(expected).doesNotContainAnyElementsOf(ids(held));
        assertThat(expected).hasSizeGreaterThan(0);
        assertThat(sync.complete()).isTrue();
        assertThat(sync.upToSeq()).isEqualTo(facts.all().size());
    }

    // ---- artifacts -------------------------------------------------------------------------------

    @Test
    void theArtifactsAreThoseTheAuthoritysUpgradesNameAndNoOtherAuthoritys() {
        final io.factfleet.core.AuthorityGenesis site = io.factfleet.core.AuthorityGenesis.generate("auth-ota", 3, 2);
        final io.factfleet.core.AuthorityGenesis other = io.factfleet.core.AuthorityGenesis.generate("auth-other", 3, 2);
        final byte[] firmware = "firmware 7".getBytes(StandardCharsets.UTF_8);
        final io.factfleet.schema.UpgradeMetadata metadata = io.factfleet.core.UpgradeFacts.metadata("auth-ota", "fw-7", "fw", 7, firmware,
                io.factfleet.schema.UpgradeKind.SOFT, null, Long.MAX_VALUE, io.factfleet.core.UpgradeFacts.noWaves());
        pipe(List.of(site.genesisFact(AuthorityFacts.OPERATOR), io.factfleet.core.UpgradeFacts.propose(site, 0, metadata),
                other.genesisFact(AuthorityFacts.OPERATOR)));

        assertThat(ProtocolQueries.artifacts(stores, "auth-ota")).hasValue(List.of(
                new ProtocolQueries.ProposedArtifact("fw-7", "fw", 7, Hashing.hex(Hashing.sha256(firmware)), firmware.length)));
        assertThat(ProtocolQueries.artifacts(stores, "auth-other")).hasValue(List.of());
        assertThat(ProtocolQueries.artifacts(stores, "nobody")).isEmpty();
    }

    @Test
    void anAuthorityWithNoFactsHasNoSequence() {
        assertThat(sync("nobody", EVERYTHING)).isNull();
        assertThat(ProtocolQueries.hasState(stores, "nobody")).isFalse();
        assertThat(status("nobody", "a".repeat(64)).status()).isEqualTo(Status.UNKNOWN);
    }

    // ---------------------------------------------------------------------------------------------

    private void pipe(final List<FactEnvelope> facts) {
        for (final FactEnvelope fact : facts) {
            journal.pipeInput(AuthorityFacts.key(fact), fact);
        }
    }

    private static RejectedFact rejection(final String authorityId, final String factId, final String code, final long at) {
        return RejectedFact.newBuilder().setAuthorityId(authorityId).setFactId(factId).setReasonCode(code).setMessage("because " + code)
                .setOriginalBytes(ByteBuffer.wrap(new byte[] {1, 2, 3})).setSourceTopic(FactFleetTopics.INBOUND.name())
                .setSourcePartition(0).setSourceOffset(0).setRejectedAtMillis(at).build();
    }

    private FactStatus status(final String authorityId, final String factIdHex) {
        return ProtocolQueries.status(stores, authorityId, factIdHex);
    }

    private SyncResult sync(final String authorityId, final SyncRequest request) {
        return ProtocolQueries.sync(stores, authorityId, request).orElse(null);
    }

    private SeqCounter counter(final String authorityId) {
        return this.<SeqCounter>store(ReducerStores.SEQ_COUNTERS).get(authorityId);
    }

    /** The authority's seq-index entries, in key (= seq) order. */
    private Map<String, String> seqIndex(final String authorityId) {
        final Map<String, String> entries = new LinkedHashMap<>();
        final String prefix = authorityId + "/";
        try (KeyValueIterator<String, String> it = this.<String>store(ReducerStores.SEQ_INDEX).range(prefix, prefix + Character.MAX_VALUE)) {
            it.forEachRemaining((KeyValue<String, String> kv) -> entries.put(kv.key, kv.value));
        }
        return entries;
    }

    private static Map<String, String> numbered(final String authorityId, final List<String> factIds) {
        final Map<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < factIds.size(); i++) {
            entries.put(FactKeys.seqKey(authorityId, i + 1), factIds.get(i));
        }
        return entries;
    }

    /** Deletes every counter, seq-index and fact-seqs entry. */
    private void forgetTheSequence() {
        for (final ReducerStores.Store<String, ?> spec : List.of(ReducerStores.SEQ_COUNTERS, ReducerStores.SEQ_INDEX, ReducerStores.FACT_SEQS)) {
            final KeyValueStore<String, Object> store = driver.getKeyValueStore(spec.name());
            keys(spec).forEach(store::delete);
        }
    }

    private List<String> keys(final ReducerStores.Store<String, ?> spec) {
        final List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, Object> it = driver.<String, Object>getKeyValueStore(spec.name()).all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    private <V> KeyValueStore<String, V> store(final ReducerStores.Store<String, V> spec) {
        return driver.getKeyValueStore(spec.name());
    }

    private static List<String> firstOccurrences(final List<FactEnvelope> arrivals) {
        return new ArrayList<>(new java.util.LinkedHashSet<>(ids(arrivals)));
    }

    private static List<String> ids(final List<FactEnvelope> facts) {
        return new ArrayList<>(facts.stream().map(Facts::idHex).toList());
    }

    private static List<FactEnvelope> decode(final List<byte[]> encoded) {
        return encoded.stream().map(b -> Canonical.decode(b, FactEnvelope.class)).toList();
    }
}
