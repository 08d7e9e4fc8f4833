package io.factfleet.reducer;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Reducer;
import io.factfleet.reducer.internal.FactFoldProcessor;
import io.factfleet.reducer.internal.RejectionIndexProcessor;
import io.factfleet.registry.client.SchemaRegistryClient;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The reducer's topology: the journal ({@link FactFleetTopics#JOURNAL}) flows into one processor
 * that folds the state and keeps the fact index and the arrival sequence, and ingest's rejections
 * ({@link FactFleetTopics#REJECTED}) flow into a second one that remembers why each refused fact was
 * refused. Every store is persistent and changelogged ({@link ReducerStores}).
 *
 * <p>There is no repartition topic: the journal is partitioned by authority
 * ({@code io.factfleet.contracts.AuthorityPartitioner}), so the task owning a journal partition owns
 * every fact of its authorities, and interactive queries find that task with the same partitioner.
 * Rejections are keyed by authority id and land, with Kafka's default partitioner, on the same
 * partition number. Both processors are connected to the rejected-facts store, which puts the two
 * sources in one sub-topology: task {@code 0_p} reads journal partition p <em>and</em> rejected
 * partition p, so one instance owns an authority's facts and its rejections. That holds only if the
 * two topics have the same number of partitions; Kafka Streams does not check it for sources that
 * merely share a store (a mismatch would give more tasks and misplace rejections), so
 * {@link ReducerService} refuses to start when the counts differ.
 *
 * <pre>{@code
 * ReducerMetrics metrics = new ReducerMetrics();
 * Topology topology = ReducerTopology.build(registryClient, metrics);
 * new TopologyTestDriver(topology, ReducerConfig.of(props).streamsProperties(metrics));
 * }</pre>
 */
public final class ReducerTopology {
    static final String SOURCE_NAME = "journal-source";
    static final String FOLD_NAME = "fold-facts";
    static final String REJECTED_SOURCE_NAME = "rejected-source";
    static final String REJECTIONS_NAME = "index-rejections";

    private ReducerTopology() {
    }

    /**
     * Builds the topology, remembering rejections for {@link ReducerConfig#DEFAULT_REJECTED_RETENTION_MS}.
     *
     * @param registry the schema registry the journal's Avro values are decoded with
     * @param metrics  counters the processor updates
     */
    public static Topology build(final SchemaRegistryClient registry, final ReducerMetrics metrics) {
        return build(registry, metrics, Duration.ofMillis(ReducerConfig.DEFAULT_REJECTED_RETENTION_MS));
    }

    /**
     * Builds the topology.
     *
     * @param registry          the schema registry the journal's and rejections' Avro values are decoded with
     * @param metrics           counters the processors update
     * @param rejectedRetention how long a fact's rejection is remembered (by its {@code rejectedAtMillis})
     */
    public static Topology build(final SchemaRegistryClient registry, final ReducerMetrics metrics, final Duration rejectedRetention) {
        return build(registry, metrics, rejectedRetention, java.util.Map.of());
    }

    /** Global stores of snapshot pointers and blobs: an authority this reducer has no state for is hydrated from its snapshot. */
    public static final io.factfleet.contracts.SnapshotStores SNAPSHOTS = new io.factfleet.contracts.SnapshotStores("reducer");

    /**
     * Builds the topology; {@code operatorKeys} (key id to public key) are the roots a snapshot's roster
     * chain is verified against before an authority is hydrated from it.
     */
    public static Topology build(final SchemaRegistryClient registry, final ReducerMetrics metrics, final Duration rejectedRetention,
                                 final java.util.Map<String, byte[]> operatorKeys) {
        final io.factfleet.core.FactAdmission admission = new io.factfleet.core.FactAdmission(operatorKeys,
                io.factfleet.core.SignatureVerifier.bouncyCastle());
        final StreamsBuilder builder = new StreamsBuilder();
        for (final ReducerStores.Store<String, ?> store : List.of(ReducerStores.AUTHORITY_ENTRIES, ReducerStores.FACT_INDEX,
                ReducerStores.FACT_IDS, ReducerStores.SEQ_COUNTERS, ReducerStores.SEQ_INDEX, ReducerStores.FACT_SEQS,
                ReducerStores.REJECTED_FACTS, ReducerStores.REJECTED_EXPIRY)) {
            builder.addStateStore(persistentStore(store));
        }
        builder.stream(FactFleetTopics.JOURNAL.name(),
                        Consumed.with(FactFleetTopics.JOURNAL.keySerde(registry), FactFleetTopics.JOURNAL.valueSerde(registry))
                                .withName(SOURCE_NAME))
                .process(() -> new FactFoldProcessor(Reducer.standard(), metrics, admission), Named.as(FOLD_NAME),
                        ReducerStores.AUTHORITY_ENTRIES.name(), ReducerStores.FACT_INDEX.name(), ReducerStores.FACT_IDS.name(),
                        ReducerStores.SEQ_COUNTERS.name(), ReducerStores.SEQ_INDEX.name(), ReducerStores.FACT_SEQS.name(),
                        // Not used by the fold: connecting it joins the two sources into one sub-topology (see above).
                        ReducerStores.REJECTED_FACTS.name());
        builder.stream(FactFleetTopics.REJECTED.name(),
                        Consumed.with(FactFleetTopics.REJECTED.keySerde(registry), FactFleetTopics.REJECTED.valueSerde(registry))
                                .withName(REJECTED_SOURCE_NAME))
                .process(() -> new RejectionIndexProcessor(metrics, rejectedRetention), Named.as(REJECTIONS_NAME),
                        ReducerStores.REJECTED_FACTS.name(), ReducerStores.REJECTED_EXPIRY.name());
        final Topology topology = builder.build();
        SNAPSHOTS.addTo(topology);
        return topology;
    }

    private static <V> StoreBuilder<KeyValueStore<String, V>> persistentStore(final ReducerStores.Store<String, V> store) {
        // RocksDB, changelogged (the default), so a standby or a new owner restores it from Kafka.
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store.name()), store.keySerde(), store.valueSerde());
    }
}
