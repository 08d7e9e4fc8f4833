package io.factfleet.reducer.internal;

import io.factfleet.core.Canonical;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The canonical Avro bytes of a generated record, for state stores and their changelogs: no schema
 * registry, no wire-format header, the schema compiled into this build. Null stays null (tombstones).
 */
public final class CanonicalSerde<T extends SpecificRecord> implements Serde<T> {
    private final Class<T> type;

    private CanonicalSerde(final Class<T> type) {
        this.type = type;
    }

    public static <T extends SpecificRecord> CanonicalSerde<T> of(final Class<T> type) {
        return new CanonicalSerde<>(type);
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : Canonical.bytes(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : Canonical.decode(bytes, type);
    }
}
