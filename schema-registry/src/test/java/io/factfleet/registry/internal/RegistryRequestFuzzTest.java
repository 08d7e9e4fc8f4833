package io.factfleet.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.registry.client.CompatibilityLevel;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes what the schema registry decodes from a request: the JSON bodies of {@code POST /subjects/{s}/versions},
 * {@code POST /subjects/{s}}, {@code POST /compatibility/...} and {@code PUT /config}, and the Avro schema parser
 * behind the first three. The first byte picks the body (schema request or config), the rest is the body.
 *
 * <p>Contract: what {@link RestApi}'s routes do with a body -- decode it, parse the schema, store its text, check it
 * against earlier versions -- either succeeds or throws a {@link RegistryApiException} with a 4xx status (400 for a
 * body that is not a JSON object, 42201 for an invalid schema, 42203 for an unknown level), which the error mapper
 * answers as Confluent does. Anything else is answered 500 by the catch-all: a finding. A schema that parses must
 * also parse again from the text the registry stores (its {@code toString}), or the store topic would hold a record
 * that every registry instance fails to read.
 */
@ExtendWith(FuzzStats.class)
class RegistryRequestFuzzTest {
    static final List<Schema> EXISTING = List.of(FactEnvelope.getClassSchema(), FactBatch.getClassSchema());

    @FuzzTest
    void decode(final byte[] input) {
        FuzzStats.executed(RegistryRequestFuzzTest.class);
        if (input.length == 0) {
            return;
        }
        final byte[] body = Arrays.copyOfRange(input, 1, input.length);
        try {
            if (input[0] % 2 == 0) {
                final Schema schema = Registry.parse(RestApi.schemaRequest(body));
                final String stored = schema.toString();
                assertThat(new Schema.Parser().parse(stored)).isEqualTo(schema);
                for (final CompatibilityLevel level : CompatibilityLevel.values()) {
                    assertThat(level.incompatibilities(schema, EXISTING)).isNotNull();
                }
            } else {
                final String level = RestApi.compatibility(body);
                assertThat(CompatibilityLevel.parse(level)).isNotNull();
            }
        } catch (final RegistryApiException refused) {
            assertThat(refused.httpStatus()).as("%s", refused).isBetween(400, 499);
        }
    }

    private static byte[] prefixed(final int selector, final String body) {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[bytes.length + 1];
        out[0] = (byte) selector;
        System.arraycopy(bytes, 0, out, 1, bytes.length);
        return out;
    }

    private static String schemaBody(final Schema schema) {
        return "{\"schema\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(schema.toString()) + "}";
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        seeds.put("seed-register-fact-envelope", prefixed(0, schemaBody(FactEnvelope.getClassSchema())));
        seeds.put("seed-register-fact-batch", prefixed(0, "{\"schema\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(
                FactBatch.getClassSchema().toString()) + ", \"schemaType\": \"AVRO\", \"references\": []}"));
        seeds.put("seed-register-small", prefixed(0, "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"R\\\", \\\"fields\\\": "
                + "[{\\\"name\\\": \\\"a\\\", \\\"type\\\": [\\\"null\\\", {\\\"type\\\": \\\"enum\\\", \\\"name\\\": \\\"E\\\", \\\"symbols\\\": "
                + "[\\\"X\\\", \\\"Y\\\"]}], \\\"default\\\": null}, {\\\"name\\\": \\\"m\\\", \\\"type\\\": {\\\"type\\\": \\\"map\\\", "
                + "\\\"values\\\": {\\\"type\\\": \\\"fixed\\\", \\\"name\\\": \\\"F\\\", \\\"size\\\": 4}}}]}\"}"));
        seeds.put("seed-config", prefixed(1, "{\"compatibility\": \"FULL_TRANSITIVE\"}"));
        return seeds;
    }

    @Test
    void theCommittedSeedsAreValidRequests() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(RegistryRequestFuzzTest.class, "decode", RegistryRequestFuzzTest::validInputs);
        assertThat(seeds).hasSize(4);
        seeds.forEach((name, input) -> {
            final byte[] body = Arrays.copyOfRange(input, 1, input.length);
            if (input[0] == 0) {
                assertThat(Registry.parse(RestApi.schemaRequest(body)).getType()).as(name).isEqualTo(Schema.Type.RECORD);
            } else {
                assertThat(CompatibilityLevel.parse(RestApi.compatibility(body))).as(name).contains(CompatibilityLevel.FULL_TRANSITIVE);
            }
        });
    }
}
