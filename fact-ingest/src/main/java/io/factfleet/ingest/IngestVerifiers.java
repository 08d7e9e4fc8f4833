package io.factfleet.ingest;

import io.factfleet.core.SignatureVerifier;
import io.factfleet.ingest.internal.SodiumFirstVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signature verifier ingest uses, chosen by {@value IngestConfig#VERIFIER}: {@code sodium}
 * (default: libsodium fast path, BouncyCastle's answers) or {@code bouncycastle}. If libsodium's
 * native library cannot be loaded on this platform, ingest falls back to BouncyCastle and says so.
 * The bench measures the verify limit with the verifier this class returns.
 */
public final class IngestVerifiers {
    private static final Logger LOG = LoggerFactory.getLogger(IngestVerifiers.class);

    private IngestVerifiers() {
    }

    public static SignatureVerifier fromConfig(final IngestConfig config) {
        final String choice = config.get(IngestConfig.VERIFIER);
        switch (choice) {
            case "bouncycastle":
                return SignatureVerifier.bouncyCastle();
            case "sodium":
                try {
                    return new SodiumFirstVerifier();
                } catch (final Throwable e) {
                    LOG.warn("libsodium is not available on this platform ({}); verifying with BouncyCastle", e.toString());
                    return SignatureVerifier.bouncyCastle();
                }
            default:
                throw new IllegalArgumentException(IngestConfig.VERIFIER + " must be 'sodium' or 'bouncycastle', not '" + choice + "'");
        }
    }
}
