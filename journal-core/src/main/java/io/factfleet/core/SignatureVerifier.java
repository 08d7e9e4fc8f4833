package io.factfleet.core;

/**
 * Verifies Ed25519 signatures. The pipeline verifies each fact exactly once through this
 * interface; any implementation must agree bit for bit with RFC 8032 (the test vectors in
 * Ed25519KeysTest run against every implementation).
 */
public interface SignatureVerifier {
    boolean verify(byte[] publicKey, byte[] message, byte[] signature);

    /** BouncyCastle's RFC 8032 verifier; thread-safe and allocation-free. */
    static SignatureVerifier bouncyCastle() {
        return BouncyCastleVerifier.INSTANCE;
    }
}
