package io.factfleet.registry.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.registry.client.testrecords.Greeting;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the Confluent wire-format deserializer ({@link WireFormat#parse} and {@link SpecificAvroDeserializer})
 * with payloads from outside: the bridge's Avro fact batches and their elements, and every Kafka value the
 * services read. The registry knows FactEnvelope (id 1), FactBatch (id 2), a newer FactBatch with one more field
 * (id 3, so schema resolution runs) and an unrelated record (id 4). The first byte picks the reader type
 * (FactEnvelope or FactBatch), the rest is the payload.
 *
 * <p>Contract (the class's javadoc): a record, or an {@link AvroSerdeException} -- {@link MalformedWireFormatException},
 * {@link UnknownSchemaIdException} or {@link AvroDecodeException}, which the bridge maps to 400s and the stream
 * processors to dead letters. Any other exception or error is a finding.
 */
@ExtendWith(FuzzStats.class)
class SpecificAvroDeserializerFuzzTest {
    static final InMemorySchemaRegistryClient REGISTRY = new InMemorySchemaRegistryClient();
    static final Schema NEWER_BATCH = new Schema.Parser().parse("""
            {"type": "record", "name": "FactBatch", "namespace": "io.factfleet.schema.bridge", "fields": [
              {"name": "facts", "type": {"type": "array", "items": "bytes"}},
              {"name": "note", "type": ["null", "string"], "default": null}]}""");

    static {
        REGISTRY.setCompatibility(java.util.Optional.empty(), "NONE");
        REGISTRY.register("facts-value", FactEnvelope.getClassSchema());
        REGISTRY.register("batches-value", FactBatch.getClassSchema());
        REGISTRY.register("batches-value", NEWER_BATCH);
        REGISTRY.register("greetings-value", Greeting.getClassSchema());
    }

    static final List<SpecificAvroDeserializer<? extends SpecificRecord>> READERS = List.of(
            new SpecificAvroDeserializer<>(REGISTRY, FactEnvelope.class),
            new SpecificAvroDeserializer<>(REGISTRY, FactBatch.class));

    @FuzzTest
    void deserialize(final byte[] input) {
        FuzzStats.executed(SpecificAvroDeserializerFuzzTest.class);
        if (input.length == 0) {
            return;
        }
        final SpecificAvroDeserializer<? extends SpecificRecord> reader = READERS.get(Byte.toUnsignedInt(input[0]) % READERS.size());
        final byte[] payload = Arrays.copyOfRange(input, 1, input.length);
        try {
            final SpecificRecord record = reader.deserialize("topic", payload);
            assertThat(record).isNotNull();
        } catch (final MalformedWireFormatException | UnknownSchemaIdException | AvroDecodeException refused) {
            assertThat(refused.getCode()).isNotBlank();
        }
    }

    static Map<String, byte[]> validInputs() {
        final var site = FuzzFixtures.authority("fuzz-site", 3, 2);
        final var facts = FuzzFixtures.entries(site, 2);
        final SpecificAvroSerializer<SpecificRecord> serializer = new SpecificAvroSerializer<>(REGISTRY);
        final byte[] fact = serializer.serialize("facts", facts.get(0));
        final byte[] batch = serializer.serialize("batches", new FactBatch(List.of(ByteBuffer.wrap(fact),
                ByteBuffer.wrap(serializer.serialize("facts", facts.get(1))))));
        final org.apache.avro.generic.GenericRecord newer = new org.apache.avro.generic.GenericData.Record(NEWER_BATCH);
        newer.put("facts", List.of(ByteBuffer.wrap(fact)));
        newer.put("note", "written with a newer schema");
        final byte[] newerBatch = WireFormat.frame(3, avro(NEWER_BATCH, newer));
        final Map<String, byte[]> seeds = new TreeMap<>();
        seeds.put("seed-fact", prefixed(0, fact));
        seeds.put("seed-batch", prefixed(1, batch));
        seeds.put("seed-batch-newer-writer", prefixed(1, newerBatch));
        seeds.put("seed-greeting-as-fact", prefixed(0, serializer.serialize("greetings", new Greeting("g1", "hello", 3))));
        return seeds;
    }

    private static byte[] avro(final Schema schema, final Object datum) {
        try {
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            final org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
            new org.apache.avro.generic.GenericDatumWriter<>(schema).write(datum, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] prefixed(final int selector, final byte[] payload) {
        final byte[] out = new byte[payload.length + 1];
        out[0] = (byte) selector;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }

    @Test
    void theCommittedSeedsDecode() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(SpecificAvroDeserializerFuzzTest.class, "deserialize", SpecificAvroDeserializerFuzzTest::validInputs);
        assertThat(seeds).containsKeys("seed-fact", "seed-batch", "seed-batch-newer-writer");
        for (final String name : List.of("seed-fact", "seed-batch", "seed-batch-newer-writer")) {
            final byte[] input = seeds.get(name);
            assertThat(READERS.get(input[0]).deserialize("topic", Arrays.copyOfRange(input, 1, input.length))).as(name).isNotNull();
        }
    }
}
