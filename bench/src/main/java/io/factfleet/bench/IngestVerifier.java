package io.factfleet.bench;

import io.factfleet.core.SignatureVerifier;

/**
 * The signature verifier fact-ingest verifies every fact with: the one
 * {@code io.factfleet.ingest.IngestService#start()} hands to {@code FactAdmission}. The verify limit
 * must be measured with exactly that implementation; when ingest switches verifier, change this one
 * line with it (the bench prints and records the class it measured).
 */
final class IngestVerifier {
    private IngestVerifier() {
    }

    static SignatureVerifier current() {
        return SignatureVerifier.bouncyCastle();
    }

    static String describe() {
        return current().getClass().getName();
    }
}
