package io.factfleet.bench;

import io.factfleet.core.SignatureVerifier;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestVerifiers;
import java.util.Properties;

/**
 * The signature verifier fact-ingest verifies every fact with, chosen exactly as ingest chooses it
 * ({@link IngestVerifiers#fromConfig}) from ingest's default configuration, so the verify limit is
 * measured with the implementation the ingest run uses.
 */
final class IngestVerifier {
    private static final SignatureVerifier CURRENT = IngestVerifiers.fromConfig(new IngestConfig(new Properties()));

    private IngestVerifier() {
    }

    static SignatureVerifier current() {
        return CURRENT;
    }

    static String describe() {
        return CURRENT.toString();
    }
}
