package io.factfleet.core;

import io.factfleet.schema.FactBody;
import io.factfleet.schema.FactEnvelope;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fact ids and fact signatures.
 *
 * <p>factId = SHA-256(canonical bytes of the FactBody). The signer signs
 * {@code "factfleet/fact/v1" || 0x00 || factId}, so the signature covers exactly the canonical
 * bytes and a verifier hashes the body once for both the id check and the signature check.
 */
public final class Facts {
    private static final byte[] FACT_DOMAIN = "factfleet/fact/v1\0".getBytes(StandardCharsets.US_ASCII);

    private Facts() {
    }

    public static byte[] factId(final FactBody body) {
        return Hashing.sha256(Canonical.bytes(body));
    }

    /** The message a fact's signer signs. */
    public static byte[] signingMessage(final byte[] factId) {
        final byte[] message = Arrays.copyOf(FACT_DOMAIN, FACT_DOMAIN.length + factId.length);
        System.arraycopy(factId, 0, message, FACT_DOMAIN.length, factId.length);
        return message;
    }

    /** Computes the id, signs it with {@code key}, and returns the sealed envelope. */
    public static FactEnvelope seal(final FactBody body, final Ed25519Keys.SigningKey key) {
        if (!key.keyId().equals(body.getSignerKeyId())) {
            throw new IllegalArgumentException("body names signer " + body.getSignerKeyId() + " but the key is " + key.keyId());
        }
        final byte[] id = factId(body);
        return FactEnvelope.newBuilder()
                .setFactId(ByteBuffer.wrap(id))
                .setBody(body)
                .setSignature(ByteBuffer.wrap(key.sign(signingMessage(id))))
                .build();
    }

    public static byte[] id(final FactEnvelope envelope) {
        return Canonical.array(envelope.getFactId());
    }

    public static String idHex(final FactEnvelope envelope) {
        return Hashing.hex(id(envelope));
    }

    /** Whether the envelope's claimed id is the hash of its body. */
    public static boolean idMatchesBody(final FactEnvelope envelope) {
        return Arrays.equals(id(envelope), factId(envelope.getBody()));
    }

    public static boolean signatureValid(final FactEnvelope envelope, final byte[] publicKey, final SignatureVerifier verifier) {
        return verifier.verify(publicKey, signingMessage(id(envelope)), Canonical.array(envelope.getSignature()));
    }

    /** The name of the payload kind, e.g. "SnapshotApproved". */
    public static String kind(final FactEnvelope envelope) {
        return envelope.getBody().getPayload().getClass().getSimpleName();
    }
}
