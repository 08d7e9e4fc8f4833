package io.factfleet.bridge.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.bridge.BridgeError;
import io.factfleet.bridge.BridgeProtocol;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.registry.client.AvroSerdeException;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryException;
import io.factfleet.registry.client.SchemaRegistryUnavailableException;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.UnknownSchemaIdException;
import io.factfleet.core.Canonical;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Decodes a submission body into facts (edge-bridge/PROTOCOL.md, "Submitting facts"): a
 * {@code FactBatch} in the Confluent wire format whose elements are wire-format FactEnvelopes,
 * {@code {"facts": ["<base64 canonical Avro binary>"]}} (the device SDK's), or
 * {@code {"facts": [<FactEnvelope in Avro JSON>]}}. Facts of a JSON body are re-encoded in the wire
 * format for the inbound topic. Any decoding failure refuses the whole batch
 * with a 400 naming the element; a batch over the fact limit is a 413.
 */
public final class FactBatchDecoder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SpecificAvroDeserializer<FactBatch> batches;
    private final SpecificAvroDeserializer<FactEnvelope> facts;
    private final SpecificAvroSerializer<FactEnvelope> serializer;
    private final int maxBatchFacts;

    public FactBatchDecoder(final SchemaRegistryClient registry, final int maxBatchFacts) {
        this.batches = new SpecificAvroDeserializer<>(registry, FactBatch.class);
        this.facts = new SpecificAvroDeserializer<>(registry, FactEnvelope.class);
        this.serializer = new SpecificAvroSerializer<>(registry);
        this.maxBatchFacts = maxBatchFacts;
    }

    /**
     * The facts of a body of the given content type, in order.
     *
     * @throws ApiException 400 (MALFORMED_JSON, MALFORMED_WIRE_FORMAT, UNKNOWN_SCHEMA_ID, UNDECODABLE),
     *                      413 BATCH_TOO_LARGE, 415 UNSUPPORTED_MEDIA_TYPE, or 503/502 when the registry fails
     */
    public List<SubmittedFact> decode(final String contentType, final byte[] body) {
        final String type = mediaType(contentType);
        if (type.equals(BridgeProtocol.FACT_BATCH_AVRO)) {
            return decodeAvro(body);
        }
        if (type.equals(BridgeProtocol.FACT_BATCH_CANONICAL_JSON)) {
            return decodeJson(body, this::canonicalFact);
        }
        if (type.equals(BridgeProtocol.JSON)) {
            return decodeJson(body, FactBatchDecoder::avroJsonFact);
        }
        throw ApiException.of(BridgeError.UNSUPPORTED_MEDIA_TYPE, "Content-Type '" + contentType + "' is none of "
                + BridgeProtocol.FACT_BATCH_AVRO + ", " + BridgeProtocol.FACT_BATCH_CANONICAL_JSON + ", " + BridgeProtocol.JSON);
    }

    /** The media type of a Content-Type without its parameters, lower case; "" for none (also for ";" alone). */
    static String mediaType(final String contentType) {
        if (contentType == null) {
            return "";
        }
        final int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }

    private List<SubmittedFact> decodeAvro(final byte[] body) {
        final FactBatch batch;
        try {
            batch = batches.deserialize(BridgeProtocol.FACT_BATCH_SUBJECT_TOPIC, body);
        } catch (final AvroSerdeException e) {
            throw refused("the FactBatch", e);
        }
        checkCount(batch.getFacts().size());
        final List<SubmittedFact> out = new ArrayList<>(batch.getFacts().size());
        for (int i = 0; i < batch.getFacts().size(); i++) {
            final byte[] bytes = Canonical.array(batch.getFacts().get(i));
            try {
                out.add(new SubmittedFact(facts.deserialize(FactFleetTopics.INBOUND.name(), bytes), bytes));
            } catch (final AvroSerdeException e) {
                throw refused("fact " + i + " of the batch", e);
            }
        }
        return out;
    }

    /** Decodes one element of a JSON batch. */
    @FunctionalInterface
    private interface ElementDecoder {
        FactEnvelope decode(int index, JsonNode element);
    }

    private FactEnvelope canonicalFact(final int index, final JsonNode element) {
        if (!element.isTextual()) {
            throw ApiException.of(BridgeError.UNDECODABLE, "fact " + index + " is not a base64 string of a FactEnvelope's canonical Avro binary");
        }
        try {
            return Canonical.decode(Base64.getDecoder().decode(element.asText()), FactEnvelope.class);
        } catch (final IllegalArgumentException e) {
            throw ApiException.of(BridgeError.UNDECODABLE, "fact " + index + " is not a FactEnvelope's canonical Avro binary in base64: "
                    + e.getMessage());
        }
    }

    private static FactEnvelope avroJsonFact(final int index, final JsonNode element) {
        try {
            final SpecificDatumReader<FactEnvelope> reader = new SpecificDatumReader<>(FactEnvelope.class);
            return reader.read(null, DecoderFactory.get().jsonDecoder(FactEnvelope.getClassSchema(), JSON.writeValueAsString(element)));
        } catch (final IOException | RuntimeException e) {
            throw ApiException.of(BridgeError.UNDECODABLE, "fact " + index + " is not a FactEnvelope in Avro's JSON encoding: " + message(e));
        }
    }

    private List<SubmittedFact> decodeJson(final byte[] body, final ElementDecoder elements) {
        final JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (final IOException e) {
            throw ApiException.of(BridgeError.MALFORMED_JSON, "the body is not JSON: " + message(e));
        }
        final JsonNode array = root == null ? null : root.get("facts");
        if (array == null || !array.isArray()) {
            throw ApiException.of(BridgeError.MALFORMED_JSON, "expected {\"facts\": [...]}, each fact as its content type says");
        }
        checkCount(array.size());
        final List<SubmittedFact> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            final FactEnvelope fact = elements.decode(i, array.get(i));
            final byte[] wire;
            try {
                wire = serializer.serialize(FactFleetTopics.INBOUND.name(), fact);
            } catch (final AvroSerdeException e) {
                throw refused("fact " + i + " of the batch", e);
            }
            out.add(new SubmittedFact(fact, wire));
        }
        return out;
    }

    private void checkCount(final int count) {
        if (count > maxBatchFacts) {
            throw ApiException.of(BridgeError.BATCH_TOO_LARGE, "the batch holds " + count + " facts; send at most " + maxBatchFacts
                    + " per request");
        }
    }

    private static ApiException refused(final String what, final AvroSerdeException e) {
        if (e instanceof SchemaRegistryUnavailableException) {
            return ApiException.of(BridgeError.REGISTRY_UNAVAILABLE, "the schema registry did not answer while decoding " + what
                    + "; retry later", e).retryAfter(1);
        }
        if (e instanceof UnknownSchemaIdException unknown) {
            return ApiException.of(BridgeError.UNKNOWN_SCHEMA_ID, what + " names schema id " + unknown.schemaId()
                    + ", which the registry does not know; serialize with this deployment's registry", e);
        }
        if (e instanceof SchemaRegistryException) {
            return ApiException.of(BridgeError.REGISTRY_ERROR, "the schema registry failed while decoding " + what + ": " + e.getMessage(), e);
        }
        final BridgeError error = switch (e.getCode()) {
            case "MALFORMED_WIRE_FORMAT" -> BridgeError.MALFORMED_WIRE_FORMAT;
            default -> BridgeError.UNDECODABLE;
        };
        return ApiException.of(error, what + " does not decode: " + e.getMessage(), e);
    }

    private static String message(final Exception e) {
        if (e instanceof JsonProcessingException j) {
            return j.getOriginalMessage();
        }
        return String.valueOf(e.getMessage());
    }
}
