package io.factfleet.registry.client;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;

/**
 * A {@link Serde} of Avro generated classes in the Confluent wire format: a
 * {@link SpecificAvroSerializer} and a {@link SpecificAvroDeserializer} configured alike.
 *
 * <pre>{@code
 * Serde<FactEnvelope> facts = new SpecificAvroSerde<>(registryClient, FactEnvelope.class);
 * facts.configure(Map.of("auto.register.schemas", false), false);   // optional
 * }</pre>
 *
 * <p>Thread-safe once configured.
 *
 * @param <T> the generated record type
 */
public class SpecificAvroSerde<T extends SpecificRecord> implements Serde<T> {

    private final SpecificAvroSerializer<T> serializer;
    private final SpecificAvroDeserializer<T> deserializer;
    private final boolean hasRegistry;

    /**
     * For reflective construction (e.g. Kafka Streams' {@code default.value.serde});
     * {@link #configure(Map, boolean)} must follow.
     */
    public SpecificAvroSerde() {
        this.serializer = new SpecificAvroSerializer<>();
        this.deserializer = new SpecificAvroDeserializer<>();
        this.hasRegistry = false;
    }

    /** A value serde for {@code type} using {@code registry}; ready to use without {@link #configure}. */
    public SpecificAvroSerde(final SchemaRegistryClient registry, final Class<T> type) {
        this.serializer = new SpecificAvroSerializer<>(registry);
        this.deserializer = new SpecificAvroDeserializer<>(registry, type);
        this.hasRegistry = true;
    }

    /** Configures both halves, as Confluent's serdes do. */
    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        if (!hasRegistry) {
            // One client, and so one cache, for both halves.
            final SchemaRegistryClient registry = new HttpSchemaRegistryClient(configs);
            serializer.useRegistryIfUnset(registry);
            deserializer.useRegistryIfUnset(registry);
        }
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
