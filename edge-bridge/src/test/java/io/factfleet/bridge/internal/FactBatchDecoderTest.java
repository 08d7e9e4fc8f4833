package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.bridge.BridgeError;
import io.factfleet.bridge.BridgeProtocol;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Facts;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.WireFormat;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;

class FactBatchDecoderTest {
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final FactBatchDecoder decoder = new FactBatchDecoder(registry, 3);
    private final SpecificAvroSerializer<FactEnvelope> facts = new SpecificAvroSerializer<>(registry);
    private final SpecificAvroSerializer<FactBatch> batches = new SpecificAvroSerializer<>(registry);
    private final AuthorityGenesis site = AuthorityGenesis.generate("site-1", 2, 1);

    private final java.util.Map<Integer, FactEnvelope> signed = new java.util.HashMap<>();

    private FactEnvelope fact(final int i) {
        return signed.computeIfAbsent(i, n -> site.device(0).journalEntry(0, ("k" + n).getBytes(StandardCharsets.UTF_8), new byte[] {n.byteValue()}));
    }

    private byte[] avroBatch(final List<byte[]> elements) {
        return batches.serialize(BridgeProtocol.FACT_BATCH_SUBJECT_TOPIC, new FactBatch(elements.stream().map(ByteBuffer::wrap).toList()));
    }

    private byte[] wire(final FactEnvelope fact) {
        return facts.serialize(FactFleetTopics.INBOUND.name(), fact);
    }

    static String avroJson(final FactEnvelope fact) {
        try {
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            final JsonEncoder encoder = EncoderFactory.get().jsonEncoder(FactEnvelope.getClassSchema(), out);
            new SpecificDatumWriter<>(FactEnvelope.class).write(fact, encoder);
            encoder.flush();
            return out.toString(StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anAvroBatchYieldsItsFactsWithTheDevicesOwnBytes() {
        final List<byte[]> elements = List.of(wire(fact(1)), wire(fact(2)));

        final List<SubmittedFact> decoded = decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, avroBatch(elements));

        assertThat(decoded).extracting(SubmittedFact::fact).containsExactly(fact(1), fact(2));
        assertThat(decoded.get(0).wireBytes()).isEqualTo(elements.get(0));
    }

    @Test
    void aJsonBatchIsReencodedInTheWireFormat() {
        final byte[] body = ("{\"facts\": [" + avroJson(fact(1)) + "]}").getBytes(StandardCharsets.UTF_8);

        final List<SubmittedFact> decoded = decoder.decode("application/json; charset=utf-8", body);

        assertThat(decoded).hasSize(1);
        assertThat(Facts.idHex(decoded.get(0).fact())).isEqualTo(Facts.idHex(fact(1)));
        assertThat(new SpecificAvroDeserializer<>(registry, FactEnvelope.class).deserialize("t", decoded.get(0).wireBytes())).isEqualTo(fact(1));
    }

    @Test
    void aCanonicalJsonBatchOfTheDeviceSdkIsDecodedAndEncodedInTheWireFormat() {
        final String element = java.util.Base64.getEncoder().encodeToString(io.factfleet.core.Canonical.bytes(fact(2)));
        final byte[] body = ("{\"facts\": [\"" + element + "\"]}").getBytes(StandardCharsets.UTF_8);

        final List<SubmittedFact> decoded = decoder.decode(BridgeProtocol.FACT_BATCH_CANONICAL_JSON, body);

        assertThat(decoded).extracting(SubmittedFact::fact).containsExactly(fact(2));
        assertThat(new SpecificAvroDeserializer<>(registry, FactEnvelope.class).deserialize("t", decoded.get(0).wireBytes())).isEqualTo(fact(2));
        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_CANONICAL_JSON, "{\"facts\": [\"!!\"]}".getBytes(StandardCharsets.UTF_8)),
                BridgeError.UNDECODABLE);
        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_CANONICAL_JSON, "{\"facts\": [\"AAEC\"]}".getBytes(StandardCharsets.UTF_8)),
                BridgeError.UNDECODABLE);
    }

    @Test
    void bytesThatAreNotJsonAreMalformedJson() {
        assertError(() -> decoder.decode(BridgeProtocol.JSON, "{\"facts\": [".getBytes(StandardCharsets.UTF_8)), BridgeError.MALFORMED_JSON);
        assertError(() -> decoder.decode(BridgeProtocol.JSON, "{\"fax\": []}".getBytes(StandardCharsets.UTF_8)), BridgeError.MALFORMED_JSON);
    }

    @Test
    void jsonThatIsNotAFactEnvelopeIsUndecodable() {
        assertError(() -> decoder.decode(BridgeProtocol.JSON, "{\"facts\": [{\"factId\": 3}]}".getBytes(StandardCharsets.UTF_8)),
                BridgeError.UNDECODABLE);
    }

    @Test
    void aTruncatedAvroBatchIsUndecodable() {
        final byte[] batch = avroBatch(List.of(wire(fact(1)), wire(fact(2))));
        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, Arrays.copyOf(batch, batch.length - 10)), BridgeError.UNDECODABLE);
    }

    @Test
    void aTruncatedFactInsideABatchIsUndecodable() {
        final byte[] good = wire(fact(1));
        final ApiException e = assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_AVRO,
                avroBatch(List.of(good, Arrays.copyOf(good, good.length - 3)))), BridgeError.UNDECODABLE);
        assertThat(e.getMessage()).contains("fact 1");
    }

    @Test
    void anUnknownSchemaIdIsRefusedWithThatCode() {
        final byte[] batch = avroBatch(List.of(wire(fact(1))));
        final byte[] unknown = WireFormat.frame(987_654, Arrays.copyOfRange(batch, WireFormat.HEADER_SIZE, batch.length));
        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, unknown), BridgeError.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void bytesWithoutTheWireFormatAreMalformedWireFormat() {
        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, new byte[] {7, 7}), BridgeError.MALFORMED_WIRE_FORMAT);
    }

    @Test
    void aBatchOverTheLimitIsTooLargeInEitherEncoding() {
        final List<byte[]> four = new ArrayList<>();
        final StringBuilder json = new StringBuilder("{\"facts\": [");
        for (int i = 0; i < 4; i++) {
            four.add(wire(fact(i)));
            json.append(i == 0 ? "" : ",").append(avroJson(fact(i)));
        }
        json.append("]}");

        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, avroBatch(four)), BridgeError.BATCH_TOO_LARGE);
        assertError(() -> decoder.decode(BridgeProtocol.JSON, json.toString().getBytes(StandardCharsets.UTF_8)), BridgeError.BATCH_TOO_LARGE);
    }

    @Test
    void aTinyBatchWhoseArrayClaimsMillionsOfFactsIsUndecodableNotAnOutOfMemoryError() {
        // FactBatchDecoderFuzzTest's finding: these 29 bytes (after the selector byte) made the bridge allocate for
        // about 860 million facts and fail with an OutOfMemoryError (a 500 at best, a dead JVM at worst).
        decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, avroBatch(List.of(wire(fact(1))))); // registers FactBatch as id 2
        final byte[] body = java.util.Base64.getDecoder().decode("AAAAAALuo6OjBqOjo6OjGRkZGRkZGQIuuv8ZGQ==");
        assertError(() -> decoder.decode(BridgeProtocol.FACT_BATCH_AVRO, body), BridgeError.UNDECODABLE);
    }

    @Test
    void anotherContentTypeIsUnsupported() {
        assertError(() -> decoder.decode("text/plain", new byte[0]), BridgeError.UNSUPPORTED_MEDIA_TYPE);
    }

    /** Found by FactBatchDecoderFuzzTest: a Content-Type of parameters only (";") was an ArrayIndexOutOfBounds, a 500. */
    @Test
    void aContentTypeOfOnlyParametersIsUnsupported() {
        assertError(() -> decoder.decode(";", new byte[0]), BridgeError.UNSUPPORTED_MEDIA_TYPE);
        assertError(() -> decoder.decode(" ; charset=utf-8", new byte[0]), BridgeError.UNSUPPORTED_MEDIA_TYPE);
        assertThat(FactBatchDecoder.mediaType("Application/JSON ; charset=utf-8")).isEqualTo(BridgeProtocol.JSON);
    }

    private static ApiException assertError(final ThrowableAssert.ThrowingCallable call, final BridgeError expected) {
        final ApiException[] caught = new ApiException[1];
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isEqualTo(expected);
            caught[0] = e;
        });
        return caught[0];
    }
}
