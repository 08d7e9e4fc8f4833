package io.factfleet.core;

import java.util.List;

/** Every SignatureVerifier implementation in the core; each must pass the RFC 8032 vectors. */
final class Verifiers {
    private Verifiers() {
    }

    static List<SignatureVerifier> all() {
        return List.of(SignatureVerifier.bouncyCastle());
    }
}
