package io.factfleet.core;

class BouncyCastleVerifierTest extends SignatureVerifierContract {
    @Override
    protected SignatureVerifier verifier() {
        return SignatureVerifier.bouncyCastle();
    }
}
