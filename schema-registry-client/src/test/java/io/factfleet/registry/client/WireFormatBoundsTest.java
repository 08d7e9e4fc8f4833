package io.factfleet.registry.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.bridge.FactBatch;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression tests of SpecificAvroDeserializerFuzzTest's finding (and FactBatchDecoderFuzzTest's, the same code behind
 * the bridge): a wire-format payload of a few bytes whose item count or length is large was an OutOfMemoryError.
 */
class WireFormatBoundsTest {
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final int batchId = registry.register("batches-value", FactBatch.getClassSchema());
    private final SpecificAvroDeserializer<FactBatch> batches = new SpecificAvroDeserializer<>(registry, FactBatch.class);

    @Test
    void anItemCountBeyondThePayloadIsUndecodable() {
        // The bridge's 29-byte body: a FactBatch whose array claims about 860 million items (varint ee a3 a3 a3 06).
        final byte[] payload = WireFormat.frame(batchId, new byte[] {(byte) 0xee, (byte) 0xa3, (byte) 0xa3, (byte) 0xa3, 0x06, 0x19, 0x19});
        assertThatThrownBy(() -> batches.deserialize("t", payload)).isInstanceOfSatisfying(AvroDecodeException.class,
                e -> assertThat(e.getCode()).isEqualTo("UNDECODABLE")).hasMessageContaining("items");
    }

    @Test
    void aBytesLengthBeyondThePayloadIsUndecodable() {
        // One item whose bytes claim 2 GB.
        final byte[] payload = WireFormat.frame(batchId, new byte[] {0x02, (byte) 0xee, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x00});
        assertThatThrownBy(() -> batches.deserialize("t", payload)).isInstanceOf(AvroDecodeException.class).hasMessageContaining("bytes are left");
    }

    @Test
    void theFuzzersInputIsUndecodable() {
        final byte[] input = Base64.getDecoder().decode(
                "AAAAAAABQEo5L59+Dg7rLyjIg6fbqcAHXhr6U0HsAQAAAAAAAAF6egEKZTc5YbJ6OcxXATZ6LSwODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg4ODg7rLyjIg6fyDXM=");
        final SpecificAvroDeserializer<io.factfleet.schema.FactEnvelope> facts = new SpecificAvroDeserializer<>(SpecificAvroDeserializerFuzzTest.REGISTRY,
                io.factfleet.schema.FactEnvelope.class);
        assertThatThrownBy(() -> facts.deserialize("t", java.util.Arrays.copyOfRange(input, 1, input.length)))
                .isInstanceOf(AvroSerdeException.class);
    }

    @Test
    void aValidBatchStillDecodesAndTrailingBytesAreStillRefused() {
        final byte[] payload = new SpecificAvroSerializer<FactBatch>(registry).serialize("batches",
                new FactBatch(List.of(ByteBuffer.wrap(new byte[] {1, 2, 3}))));
        assertThat(batches.deserialize("t", payload).getFacts()).hasSize(1);
        final byte[] trailing = java.util.Arrays.copyOf(payload, payload.length + 2);
        assertThatThrownBy(() -> batches.deserialize("t", trailing)).isInstanceOf(AvroDecodeException.class).hasMessageContaining("2 byte(s) after");
    }
}
