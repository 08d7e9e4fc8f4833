package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.bridge.BridgeError;
import io.factfleet.bridge.BridgeProtocol;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Canonical;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the bridge's submission decoder with all three content types: the Avro {@code FactBatch} in the wire
 * format, the SDK's {@code {"facts": ["<base64 canonical>"]}} and {@code {"facts": [<Avro JSON>]}}. The first byte
 * picks the content type (three of every four values; the fourth tries the body as a content type of its own), the
 * rest is the body.
 *
 * <p>Contract: the facts, or an {@link ApiException} that {@code BridgeHttpApi} answers as a 4xx naming what is
 * wrong (MALFORMED_JSON, MALFORMED_WIRE_FORMAT, UNKNOWN_SCHEMA_ID, UNDECODABLE, BATCH_TOO_LARGE,
 * UNSUPPORTED_MEDIA_TYPE). Anything else would reach the catch-all and be a 500 INTERNAL_ERROR: a finding. Each
 * decoded fact's wire bytes must decode to that fact again (what the bridge produces is what ingest reads).
 */
@ExtendWith(FuzzStats.class)
class FactBatchDecoderFuzzTest {
    static final String[] TYPES = {BridgeProtocol.FACT_BATCH_AVRO, BridgeProtocol.FACT_BATCH_CANONICAL_JSON, BridgeProtocol.JSON};
    static final Set<BridgeError> REFUSALS = EnumSet.of(BridgeError.MALFORMED_JSON, BridgeError.MALFORMED_WIRE_FORMAT,
            BridgeError.UNKNOWN_SCHEMA_ID, BridgeError.UNDECODABLE, BridgeError.BATCH_TOO_LARGE, BridgeError.UNSUPPORTED_MEDIA_TYPE);

    static final InMemorySchemaRegistryClient REGISTRY = new InMemorySchemaRegistryClient();
    static final SpecificAvroSerializer<FactEnvelope> FACTS = new SpecificAvroSerializer<>(REGISTRY);
    static final SpecificAvroSerializer<FactBatch> BATCHES = new SpecificAvroSerializer<>(REGISTRY);
    static final SpecificAvroDeserializer<FactEnvelope> READ_BACK = new SpecificAvroDeserializer<>(REGISTRY, FactEnvelope.class);
    static final List<FactEnvelope> SIGNED = FuzzFixtures.entries(FuzzFixtures.authority("fuzz-site", 3, 2), 3);

    static {
        // Fixed ids whatever the order of the seeds: FactEnvelope is 1, FactBatch is 2.
        FACTS.serialize(FactFleetTopics.INBOUND.name(), SIGNED.get(0));
        BATCHES.serialize(BridgeProtocol.FACT_BATCH_SUBJECT_TOPIC, new FactBatch(List.of()));
    }

    static final FactBatchDecoder DECODER = new FactBatchDecoder(REGISTRY, 16);

    @FuzzTest
    void decode(final byte[] input) {
        FuzzStats.executed(FactBatchDecoderFuzzTest.class);
        if (input.length == 0) {
            return;
        }
        final int selector = Byte.toUnsignedInt(input[0]) % 4;
        final byte[] body = Arrays.copyOfRange(input, 1, input.length);
        final String contentType = selector < 3 ? TYPES[selector] : new String(body, StandardCharsets.UTF_8);
        final List<SubmittedFact> facts;
        try {
            facts = DECODER.decode(contentType, body);
        } catch (final ApiException refused) {
            assertThat(refused.error()).as("%s", refused).isIn(REFUSALS);
            assertThat(refused.status()).isBetween(400, 499);
            return;
        }
        assertThat(facts.size()).isLessThanOrEqualTo(16);
        for (final SubmittedFact fact : facts) {
            assertThat(READ_BACK.deserialize(FactFleetTopics.INBOUND.name(), fact.wireBytes())).isEqualTo(fact.fact());
        }
    }

    static byte[] avroJson(final FactEnvelope fact) {
        return FactBatchDecoderTest.avroJson(fact).getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        final List<ByteBuffer> wire = SIGNED.stream().map(f -> ByteBuffer.wrap(FACTS.serialize(FactFleetTopics.INBOUND.name(), f))).toList();
        seeds.put("seed-avro-batch", prefixed(0, BATCHES.serialize(BridgeProtocol.FACT_BATCH_SUBJECT_TOPIC, new FactBatch(wire))));
        final StringBuilder canonical = new StringBuilder("{\"facts\": [");
        final StringBuilder json = new StringBuilder("{\"facts\": [");
        for (int i = 0; i < SIGNED.size(); i++) {
            canonical.append(i == 0 ? "" : ", ").append('"').append(Base64.getEncoder().encodeToString(Canonical.bytes(SIGNED.get(i)))).append('"');
            json.append(i == 0 ? "" : ", ").append(new String(avroJson(SIGNED.get(i)), StandardCharsets.UTF_8));
        }
        seeds.put("seed-canonical-json-batch", prefixed(1, canonical.append("]}").toString().getBytes(StandardCharsets.UTF_8)));
        seeds.put("seed-avro-json-batch", prefixed(2, json.append("]}").toString().getBytes(StandardCharsets.UTF_8)));
        return seeds;
    }

    private static byte[] prefixed(final int selector, final byte[] body) {
        final byte[] out = new byte[body.length + 1];
        out[0] = (byte) selector;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    @Test
    void theCommittedSeedsAreValidBatchesOfEachContentType() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(FactBatchDecoderFuzzTest.class, "decode", FactBatchDecoderFuzzTest::validInputs);
        assertThat(seeds).containsOnlyKeys("seed-avro-batch", "seed-canonical-json-batch", "seed-avro-json-batch");
        seeds.forEach((name, input) -> assertThat(DECODER.decode(TYPES[input[0]], Arrays.copyOfRange(input, 1, input.length)))
                .as(name).extracting(SubmittedFact::fact).containsExactlyElementsOf(SIGNED));
    }
}
