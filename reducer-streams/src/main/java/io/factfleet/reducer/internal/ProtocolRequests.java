package io.factfleet.reducer.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.core.Hashing;
import io.factfleet.core.SaltedBloomFilter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Parses and checks the JSON bodies of the device-protocol endpoints. Every problem is an
 * {@link IllegalArgumentException} whose message says what to fix (answered as 400 BAD_REQUEST).
 * Unknown fields are ignored, so a caller may pass more than the reducer needs.
 */
public final class ProtocolRequests {
    /** Most fact ids one status request may ask about. */
    public static final int MAX_STATUS_IDS = 1_000;
    /** {@code maxBytes} of a sync request that does not say. */
    public static final long DEFAULT_SYNC_MAX_BYTES = 1L << 20;
    /** The largest {@code maxBytes} a sync request may ask for. */
    public static final long MAX_SYNC_MAX_BYTES = 16L << 20;

    private ProtocolRequests() {
    }

    /** {@code {"factIds": ["<hex>", ...]}}: the ids, lower-cased, in order. */
    public static List<String> factIds(final byte[] body) {
        final JsonNode root = object(body);
        final JsonNode ids = root.get("factIds");
        if (ids == null || !ids.isArray()) {
            throw new IllegalArgumentException("the body must be {\"factIds\": [\"<64 hex digits>\", ...]}");
        }
        if (ids.size() > MAX_STATUS_IDS) {
            throw new IllegalArgumentException("at most " + MAX_STATUS_IDS + " factIds per request, got " + ids.size());
        }
        final List<String> out = new ArrayList<>(ids.size());
        for (final JsonNode id : ids) {
            out.add(factId(id.isTextual() ? id.asText() : null, "factIds[" + out.size() + "]"));
        }
        return out;
    }

    /** A fact id from a path or a body: 64 hex digits, lower-cased. */
    public static String factId(final String raw, final String what) {
        final String id = raw == null ? null : raw.toLowerCase(Locale.ROOT);
        if (!FactKeys.isFactIdHex(id)) {
            throw new IllegalArgumentException(what + " must be a fact id: 64 hex digits");
        }
        return id;
    }

    /**
     * {@code {"afterSeq": n, "excludeDevice": "id"|null, "includeOwn": bool, "maxBytes": n,
     * "bloom": null|{"salt": "<32 hex>", "hashes": k, "bits": "<base64>"}}}; every field is optional
     * (afterSeq 0, no exclusion, includeOwn false, maxBytes 1 MiB, no filter).
     */
    public static ProtocolQueries.SyncRequest sync(final byte[] body) {
        final JsonNode root = object(body);
        final long afterSeq = longField(root, "afterSeq", 0, 0, Long.MAX_VALUE);
        final JsonNode exclude = root.get("excludeDevice");
        if (exclude != null && !exclude.isNull() && !exclude.isTextual()) {
            throw new IllegalArgumentException("excludeDevice must be a device id or null");
        }
        final JsonNode includeOwn = root.get("includeOwn");
        if (includeOwn != null && !includeOwn.isNull() && !includeOwn.isBoolean()) {
            throw new IllegalArgumentException("includeOwn must be true or false");
        }
        final long maxBytes = longField(root, "maxBytes", DEFAULT_SYNC_MAX_BYTES, 1, MAX_SYNC_MAX_BYTES);
        return new ProtocolQueries.SyncRequest(afterSeq, exclude == null || exclude.isNull() ? null : exclude.asText(),
                includeOwn != null && includeOwn.asBoolean(), maxBytes, bloom(root.get("bloom")));
    }

    private static SaltedBloomFilter bloom(final JsonNode bloom) {
        if (bloom == null || bloom.isNull()) {
            return null;
        }
        if (!bloom.isObject()) {
            throw new IllegalArgumentException("bloom must be null or {\"salt\": \"<32 hex digits>\", \"hashes\": k, \"bits\": \"<base64>\"}");
        }
        final JsonNode salt = bloom.get("salt");
        final JsonNode bits = bloom.get("bits");
        if (salt == null || !salt.isTextual() || !salt.asText().matches("[0-9a-fA-F]{" + 2 * SaltedBloomFilter.SALT_BYTES + "}")) {
            throw new IllegalArgumentException("bloom.salt must be " + SaltedBloomFilter.SALT_BYTES + " bytes as " + 2 * SaltedBloomFilter.SALT_BYTES
                    + " hex digits");
        }
        final int hashes = (int) longField(bloom, "hashes", -1, 1, 32);
        if (hashes < 0) {
            throw new IllegalArgumentException("bloom.hashes is required (1 to 32)");
        }
        if (bits == null || !bits.isTextual()) {
            throw new IllegalArgumentException("bloom.bits must be the filter's bytes in base64");
        }
        final byte[] bitBytes;
        try {
            bitBytes = Base64.getDecoder().decode(bits.asText());
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bloom.bits is not base64: " + e.getMessage(), e);
        }
        if (bitBytes.length == 0) {
            throw new IllegalArgumentException("bloom.bits must hold at least one byte");
        }
        return SaltedBloomFilter.of(Hashing.unhex(salt.asText().toLowerCase(Locale.ROOT)), hashes, bitBytes);
    }

    private static long longField(final JsonNode object, final String name, final long absent, final long min, final long max) {
        final JsonNode node = object.get(name);
        if (node == null || node.isNull()) {
            return absent;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < min || node.asLong() > max) {
            throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max);
        }
        return node.asLong();
    }

    private static JsonNode object(final byte[] body) {
        final JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : HttpAnswer.JSON.readTree(body);
        } catch (final IOException e) {
            throw new IllegalArgumentException("the body is not JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
        return root;
    }
}
