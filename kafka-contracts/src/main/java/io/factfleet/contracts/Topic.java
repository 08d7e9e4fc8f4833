package io.factfleet.contracts;

import io.factfleet.registry.client.SchemaRegistryClient;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic's contract: its name, the configs it is created with, and how its keys and values are
 * serialized. Declared once in {@link FactFleetTopics}; services never spell topic names.
 *
 * @param <K> key type
 * @param <V> value type
 */
public record Topic<K, V>(String name, Map<String, String> configs,
                          Function<SchemaRegistryClient, Serde<K>> keySerdeFactory,
                          Function<SchemaRegistryClient, Serde<V>> valueSerdeFactory) {

    public Serde<K> keySerde(final SchemaRegistryClient registry) {
        return keySerdeFactory.apply(registry);
    }

    public Serde<V> valueSerde(final SchemaRegistryClient registry) {
        return valueSerdeFactory.apply(registry);
    }

    public boolean compacted() {
        return configs.getOrDefault("cleanup.policy", "delete").contains("compact");
    }
}
