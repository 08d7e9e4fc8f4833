package io.factfleet.registry.client;

import io.factfleet.schema.io.BoundedDecoder;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Kafka {@link Deserializer} of the Confluent {@linkplain WireFormat wire format} into Avro generated
 * ({@link SpecificRecord}) classes, interchangeable with Confluent's {@code KafkaAvroDeserializer} with
 * {@code specific.avro.reader=true}.
 *
 * <p>The writer schema comes from the registry by the id in the payload (cached); the reader schema is
 * {@code T}'s. Data written with an older or newer schema is converted by Avro schema resolution.
 *
 * <p>Every failure is a distinct {@link AvroSerdeException} with a stable code:
 * {@link MalformedWireFormatException} ({@code MALFORMED_WIRE_FORMAT}), {@link UnknownSchemaIdException}
 * ({@code UNKNOWN_SCHEMA_ID}), {@link AvroDecodeException} ({@code UNDECODABLE}), or another
 * {@link SchemaRegistryException} when the registry fails.
 *
 * <p>Build it in code with {@code new SpecificAvroDeserializer<>(registryClient, MyRecord.class)}, or let
 * Kafka build it from configuration ({@code schema.registry.url}, and {@code specific.avro.value.type}
 * or {@code specific.avro.key.type}; without a type, the class named by the writer schema is used).
 *
 * <p>Thread-safe once configured.
 *
 * @param <T> the generated record type
 */
public class SpecificAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private volatile SchemaRegistryClient registry;
    private volatile Class<T> type;

    private final ConcurrentMap<Integer, DatumReader<T>> readersBySchemaId = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #configure(Map, boolean)} must follow. */
    public SpecificAvroDeserializer() {
    }

    /** A deserializer into {@code type} using {@code registry}; ready to use without {@link #configure}. */
    public SpecificAvroDeserializer(final SchemaRegistryClient registry, final Class<T> type) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.type = Objects.requireNonNull(type, "type");
    }

    /**
     * Creates an {@link HttpSchemaRegistryClient} from {@link SchemaRegistryClientConfig} settings unless
     * this deserializer was given a client, and reads {@code specific.avro.key.type} /
     * {@code specific.avro.value.type} unless it was given a type.
     */
    @Override
    @SuppressWarnings("unchecked")
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        if (type == null) {
            final Class<?> configured = AvroSerdeConfig.specificType(configs, isKey);
            if (configured != null && !SpecificRecord.class.isAssignableFrom(configured)) {
                throw new ConfigException(isKey ? AvroSerdeConfig.SPECIFIC_AVRO_KEY_TYPE_CONFIG
                    : AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE_CONFIG, configured.getName(),
                    "must be an Avro generated class (a SpecificRecord)");
            }
            type = (Class<T>) configured;
        }
        if (registry == null) {
            registry = new HttpSchemaRegistryClient(configs);
        }
    }

    /**
     * The record in {@code payload}, or null for a null payload (a tombstone).
     *
     * @throws MalformedWireFormatException if the payload is not in the wire format
     * @throws UnknownSchemaIdException     if the registry has no schema with the payload's id
     * @throws AvroDecodeException          if the body does not decode under the writer schema, or the
     *                                      writer schema does not resolve to {@code T}'s
     */
    @Override
    public T deserialize(final String topic, final byte[] payload) {
        if (payload == null) {
            return null;
        }
        final WireFormat.Frame frame = WireFormat.parse(payload);
        final DatumReader<T> reader = readerFor(frame.schemaId());
        // Bounded: a length or item count beyond the payload is undecodable, not an allocation of what it says.
        final BoundedDecoder decoder = BoundedDecoder.of(payload, WireFormat.HEADER_SIZE, payload.length - WireFormat.HEADER_SIZE);
        final T record;
        try {
            record = reader.read(null, decoder);
        } catch (final IOException | RuntimeException e) {
            // Avro signals corrupt or truncated input with EOFException, AvroRuntimeException and
            // assorted runtime exceptions (negative lengths, bad union indexes); all mean "undecodable".
            throw new AvroDecodeException(frame.schemaId(), "Payload of " + payload.length + " bytes does not decode "
                + "under writer schema id " + frame.schemaId() + describe(frame.schemaId()) + ": " + e, e);
        }
        final int trailing;
        try {
            trailing = decoder.remaining();
        } catch (final IOException e) {
            throw new AvroDecodeException(frame.schemaId(), "Cannot check the end of the payload", e);
        }
        if (trailing > 0) {
            throw new AvroDecodeException(frame.schemaId(), "Payload has " + trailing + " byte(s) after the end of a "
                + "record under writer schema id " + frame.schemaId() + describe(frame.schemaId())
                + ": the payload was not written with that schema", null);
        }
        return record;
    }

    /** Cached per writer schema id; built outside the map so a registry call never holds a map lock. */
    private DatumReader<T> readerFor(final int schemaId) {
        final DatumReader<T> cached = readersBySchemaId.get(schemaId);
        if (cached != null) {
            return cached;
        }
        final DatumReader<T> built = newReader(schemaId);
        final DatumReader<T> raced = readersBySchemaId.putIfAbsent(schemaId, built);
        return raced != null ? raced : built;
    }

    /** Gives a deserializer built without a client the one its {@link SpecificAvroSerde} created. */
    void useRegistryIfUnset(final SchemaRegistryClient client) {
        if (registry == null) {
            registry = client;
        }
    }

    private DatumReader<T> newReader(final int schemaId) {
        final SchemaRegistryClient client = registry;
        if (client == null) {
            throw new IllegalStateException("SpecificAvroDeserializer is not configured: call configure() with "
                + SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG + " or pass a SchemaRegistryClient");
        }
        final Schema writer = client.getSchemaById(schemaId);
        final Class<T> readerType = type != null ? type : generatedClassOf(writer);
        final SpecificData model = SpecificData.getForClass(readerType);
        final Schema reader = model.getSchema(readerType);
        return new SpecificDatumReader<>(writer, reader, model);
    }

    @SuppressWarnings("unchecked")
    private static <T> Class<T> generatedClassOf(final Schema writer) {
        final Class<?> generated = SpecificData.get().getClass(writer);
        if (generated == null || !SpecificRecord.class.isAssignableFrom(generated)) {
            throw new SerializationException("No generated class " + writer.getFullName() + " on the classpath for "
                + "the writer schema; give the deserializer a type (constructor, or "
                + AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE_CONFIG + " / " + AvroSerdeConfig.SPECIFIC_AVRO_KEY_TYPE_CONFIG
                + ")");
        }
        return (Class<T>) generated;
    }

    private String describe(final int schemaId) {
        try {
            return " (" + registry.getSchemaById(schemaId).getFullName() + ")";
        } catch (final AvroRuntimeException | SerializationException e) {
            return "";
        }
    }

}
