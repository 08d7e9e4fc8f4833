package io.factfleet.reducer;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Reducer;
import io.factfleet.reducer.internal.FactFoldProcessor;
import io.factfleet.registry.client.SchemaRegistryClient;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The reducer's topology: the journal ({@link FactFleetTopics#JOURNAL}) flows into one processor
 * that keeps three persistent, changelogged stores ({@link ReducerStores}).
 *
 * <p>There is no repartition topic: the journal is partitioned by authority
 * ({@code io.factfleet.contracts.AuthorityPartitioner}), so the task owning a journal partition owns
 * every fact of its authorities, and interactive queries find that task with the same partitioner.
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

    private ReducerTopology() {
    }

    /**
     * Builds the topology.
     *
     * @param registry the schema registry the journal's Avro values are decoded with
     * @param metrics  counters the processor updates
     */
    public static Topology build(final SchemaRegistryClient registry, final ReducerMetrics metrics) {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(persistentStore(ReducerStores.AUTHORITY_STATE));
        builder.addStateStore(persistentStore(ReducerStores.FACT_INDEX));
        builder.addStateStore(persistentStore(ReducerStores.FACT_IDS));
        builder.stream(FactFleetTopics.JOURNAL.name(),
                        Consumed.with(FactFleetTopics.JOURNAL.keySerde(registry), FactFleetTopics.JOURNAL.valueSerde(registry))
                                .withName(SOURCE_NAME))
                .process(() -> new FactFoldProcessor(Reducer.standard(), metrics), Named.as(FOLD_NAME),
                        ReducerStores.AUTHORITY_STATE.name(), ReducerStores.FACT_INDEX.name(), ReducerStores.FACT_IDS.name());
        return builder.build();
    }

    private static <K, V> StoreBuilder<KeyValueStore<K, V>> persistentStore(final ReducerStores.Store<K, V> store) {
        // RocksDB, changelogged (the default), so a standby or a new owner restores it from Kafka.
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store.name()), store.keySerde(), store.valueSerde());
    }
}
