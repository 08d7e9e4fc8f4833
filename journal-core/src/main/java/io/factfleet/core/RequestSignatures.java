package io.factfleet.core;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Signed device requests (edge-bridge/PROTOCOL.md, "Authentication"). The device signs
 * {@code "factfleet-request-v1\n" + METHOD + "\n" + pathWithQuery + "\n" + ts + "\n" + nonce + "\n" + hex(SHA-256(body))}
 * and sends {@code Authorization: FactFleet-Ed25519 authority=..,device=..,key=..,ts=..,nonce=..,sig=..}.
 * The device SDK signs with this class and the edge bridge verifies with it, so the format lives
 * in one place.
 *
 * <p>Operators sign their requests to the other services the same way (operator-auth), under their own scheme
 * {@value #OPERATOR_SCHEME} and with {@value #OPERATOR_CONTEXT} instead of {@value #DEVICE_CONTEXT} as the
 * message's first line: a device's signature can never pass as an operator's, nor the other way round.
 */
public final class RequestSignatures {
    public static final String SCHEME = "FactFleet-Ed25519";
    /** The scheme of operators' signed requests (operator-auth). */
    public static final String OPERATOR_SCHEME = "FactFleet-Operator-Ed25519";
    /** The first line of a device request's signed message. */
    public static final String DEVICE_CONTEXT = "factfleet-request-v1";
    /** The first line of an operator request's signed message. */
    public static final String OPERATOR_CONTEXT = "factfleet-operator-request-v1";

    private RequestSignatures() {
    }

    /** The parsed parameters of an Authorization header. */
    public record Credentials(String authorityId, String deviceId, String keyId, long timestampMillis, String nonce, byte[] signature) {
    }

    public static byte[] message(final String method, final String pathWithQuery, final long timestampMillis, final String nonce,
                                 final byte[] body) {
        return message(DEVICE_CONTEXT, method, pathWithQuery, timestampMillis, nonce, body);
    }

    /** The signed message under {@code context} ({@link #DEVICE_CONTEXT} or {@link #OPERATOR_CONTEXT}). */
    public static byte[] message(final String context, final String method, final String pathWithQuery, final long timestampMillis,
                                 final String nonce, final byte[] body) {
        final String text = context + "\n" + method.toUpperCase(java.util.Locale.ROOT) + "\n" + pathWithQuery + "\n"
                + timestampMillis + "\n" + nonce + "\n" + Hashing.hex(Hashing.sha256(body == null ? new byte[0] : body));
        return text.getBytes(StandardCharsets.UTF_8);
    }

    public static String header(final String method, final String pathWithQuery, final byte[] body, final long timestampMillis,
                                final String nonce, final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key) {
        final byte[] signature = key.sign(message(method, pathWithQuery, timestampMillis, nonce, body));
        return SCHEME + " authority=" + authorityId + ",device=" + deviceId + ",key=" + key.keyId() + ",ts=" + timestampMillis
                + ",nonce=" + nonce + ",sig=" + Hashing.hex(signature);
    }

    /** The credentials in an Authorization header, or empty when it is absent or malformed. */
    public static Optional<Credentials> parse(final String header) {
        if (header == null || !header.startsWith(SCHEME + " ")) {
            return Optional.empty();
        }
        final Map<String, String> params = new LinkedHashMap<>();
        for (final String part : header.substring(SCHEME.length() + 1).split(",")) {
            final int eq = part.indexOf('=');
            if (eq <= 0) {
                return Optional.empty();
            }
            params.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        try {
            final String nonce = params.get("nonce");
            if (nonce == null || nonce.length() < 32 || !nonce.matches("[0-9a-f]+")) {
                return Optional.empty();
            }
            final Credentials credentials = new Credentials(params.get("authority"), params.get("device"), params.get("key"),
                    Long.parseLong(params.get("ts")), nonce, Hashing.unhex(params.get("sig")));
            if (credentials.authorityId() == null || credentials.deviceId() == null || credentials.keyId() == null) {
                return Optional.empty();
            }
            return Optional.of(credentials);
        } catch (final RuntimeException e) {
            return Optional.empty();
        }
    }

    public static boolean verify(final Credentials credentials, final byte[] publicKey, final String method, final String pathWithQuery,
                                 final byte[] body, final SignatureVerifier verifier) {
        return verifier.verify(publicKey, message(method, pathWithQuery, credentials.timestampMillis(), credentials.nonce(), body),
                credentials.signature());
    }
}
