package io.factfleet.ota;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.Reducer;
import io.factfleet.ota.internal.UpgradeProcessor;
import io.factfleet.registry.client.SchemaRegistryClient;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The coordinator's topology: the journal ({@link FactFleetTopics#JOURNAL}) flows into one processor
 * that folds each authority's state with the pure {@link Reducer} and asks
 * {@code io.factfleet.core.UpgradeCoordination} what to emit; emitted facts, signed with the
 * authority's admin key, go to {@link FactFleetTopics#INBOUND} in the same exactly-once transaction,
 * so ingest verifies them like any other fact. Each fact is folded into the authority's keyed entries
 * at a cost that does not grow with the authority; what to emit is decided from the materialized state
 * of the authorities that changed, at most every {@link io.factfleet.ota.internal.UpgradeProcessor#DECIDE_EVERY}.
 * A wall-clock punctuator re-decides every authority with an upgrade in progress each tick, which is
 * what fires wave timeouts when no fact arrives.
 */
public final class OtaTopology {
    static final String SOURCE = "journal-source";
    static final String PROCESSOR = "coordinate-upgrades";
    static final String SINK = "inbound-sink";

    private OtaTopology() {
    }

    public static Topology build(final SchemaRegistryClient registry, final AdminKeyRing keys, final String actor, final Duration tick,
                                 final OtaMetrics metrics) {
        final Topology topology = new Topology();
        topology.addSource(SOURCE, FactFleetTopics.JOURNAL.keySerde(registry).deserializer(),
                FactFleetTopics.JOURNAL.valueSerde(registry).deserializer(), FactFleetTopics.JOURNAL.name());
        topology.addProcessor(PROCESSOR, () -> new UpgradeProcessor(Reducer.standard(), keys, actor, tick, registry, metrics), SOURCE);
        for (final OtaStores.Store<String, ?> store : List.of(OtaStores.AUTHORITY_ENTRIES, OtaStores.LEGACY_AUTHORITY_STATE,
                OtaStores.FACTS, OtaStores.EMITTED)) {
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store.name()), store.keySerde(),
                    store.valueSerde()), PROCESSOR);
        }
        topology.addSink(SINK, FactFleetTopics.INBOUND.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer(), PROCESSOR);
        return topology;
    }
}
