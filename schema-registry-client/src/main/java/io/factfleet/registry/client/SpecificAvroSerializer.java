package io.factfleet.registry.client;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Kafka {@link Serializer} of Avro generated ({@link SpecificRecord}) classes into the Confluent
 * {@linkplain WireFormat wire format}, interchangeable with Confluent's {@code KafkaAvroSerializer}.
 *
 * <p>The subject is the topic's, as Confluent's {@code TopicNameStrategy} names it:
 * {@code <topic>-value}, or {@code <topic>-key} for a key serializer. On the first record of a schema the
 * schema is registered ({@code auto.register.schemas=true}, the default) or looked up (false); the id is
 * then cached by the registry client.
 *
 * <p>Two ways to build one:
 * <ul>
 *   <li>by Kafka from configuration: {@code value.serializer=io.factfleet.registry.client.SpecificAvroSerializer}
 *       with {@code schema.registry.url} among the producer properties;</li>
 *   <li>in code: {@code new SpecificAvroSerializer<>(registryClient)}, then optionally
 *       {@link #configure(Map, boolean)} for a key serializer or other settings.</li>
 * </ul>
 *
 * <p>Thread-safe once configured.
 *
 * @param <T> the generated record type
 */
public class SpecificAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private volatile SchemaRegistryClient registry;
    private volatile boolean isKey;
    private volatile boolean autoRegister = true;
    private volatile boolean useLatestVersion;

    private final ConcurrentMap<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, SubjectVersion> latestBySubject = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; {@link #configure(Map, boolean)} must follow. */
    public SpecificAvroSerializer() {
    }

    /**
     * A value serializer using {@code registry}, registering schemas on first use. Call
     * {@link #configure(Map, boolean)} to make it a key serializer or change settings.
     */
    public SpecificAvroSerializer(final SchemaRegistryClient registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Reads {@link AvroSerdeConfig} settings, and creates an {@link HttpSchemaRegistryClient} from
     * {@link SchemaRegistryClientConfig} settings unless this serializer was given a client.
     */
    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        AvroSerdeConfig.requireTopicNameStrategy(configs, isKey);
        this.isKey = isKey;
        this.autoRegister = AvroSerdeConfig.autoRegisterSchemas(configs);
        this.useLatestVersion = AvroSerdeConfig.useLatestVersion(configs);
        if (registry == null) {
            registry = new HttpSchemaRegistryClient(configs);
        }
    }

    /**
     * The record in the wire format, or null for a null record (a tombstone).
     *
     * @throws SchemaRegistryException if the schema cannot be registered or looked up (e.g. 40901 when
     *                                 it breaks the subject's compatibility)
     * @throws AvroEncodeException     if the record does not conform to its schema
     */
    @Override
    public byte[] serialize(final String topic, final T record) {
        if (record == null) {
            return null;
        }
        final SchemaRegistryClient client = requireConfigured();
        final String subject = AvroSerdeConfig.subject(topic, isKey);
        final Schema schema = record.getSchema();
        if (useLatestVersion) {
            return serializeAsLatest(client, subject, schema, record);
        }
        final int id = autoRegister ? client.register(subject, schema) : client.lookup(subject, schema);
        return WireFormat.frame(id, encode(schema, record));
    }

    private byte[] serializeAsLatest(final SchemaRegistryClient client, final String subject, final Schema schema,
                                     final T record) {
        SubjectVersion latest = latestBySubject.get(subject);
        if (latest == null) {
            latest = client.latestVersion(subject);
            latestBySubject.putIfAbsent(subject, latest);
        }
        if (latest.schema().equals(schema)) {
            return WireFormat.frame(latest.id(), encode(schema, record));
        }
        final SchemaCompatibility.SchemaPairCompatibility compatibility =
            SchemaCompatibility.checkReaderWriterCompatibility(latest.schema(), schema);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new AvroEncodeException("use.latest.version: version " + latest.version() + " of subject '"
                + subject + "' cannot represent records of schema " + schema.getFullName() + ": "
                + compatibility.getDescription(), null);
        }
        // Re-express the record in the latest schema by Avro schema resolution, then write that.
        final byte[] own = encode(schema, record);
        final GenericRecord converted;
        try {
            final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(own, null);
            converted = new GenericDatumReader<GenericRecord>(schema, latest.schema()).read(null, decoder);
        } catch (final IOException | AvroRuntimeException e) {
            throw new AvroEncodeException("use.latest.version: cannot convert a " + schema.getFullName()
                + " record to version " + latest.version() + " of subject '" + subject + "'", e);
        }
        return WireFormat.frame(latest.id(), encode(latest.schema(), converted));
    }

    private byte[] encode(final Schema schema, final Object datum) {
        final DatumWriter<Object> writer = writers.computeIfAbsent(schema, SpecificAvroSerializer::writerFor);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            writer.write(datum, encoder);
            encoder.flush();
        } catch (final IOException | RuntimeException e) {
            throw new AvroEncodeException("Cannot write a " + schema.getFullName() + " record in Avro: "
                + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /**
     * Writes generated records and, for use.latest.version, generic records re-expressed in the latest
     * schema alike (both are indexed by the writer schema's field positions). The model of the
     * generated class keeps its logical-type conversions.
     */
    private static DatumWriter<Object> writerFor(final Schema schema) {
        return new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
    }

    /** Gives a serializer built without a client the one its {@link SpecificAvroSerde} created. */
    void useRegistryIfUnset(final SchemaRegistryClient client) {
        if (registry == null) {
            registry = client;
        }
    }

    private SchemaRegistryClient requireConfigured() {
        final SchemaRegistryClient client = registry;
        if (client == null) {
            throw new IllegalStateException("SpecificAvroSerializer is not configured: call configure() with "
                + SchemaRegistryClientConfig.SCHEMA_REGISTRY_URL_CONFIG + " or pass a SchemaRegistryClient");
        }
        return client;
    }
}
