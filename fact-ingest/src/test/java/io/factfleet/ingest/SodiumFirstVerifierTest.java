package io.factfleet.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.SignatureVerifierContract;
import io.factfleet.ingest.internal.SodiumFirstVerifier;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The libsodium fast path passes the RFC 8032 vectors and answers exactly as BouncyCastle does. */
class SodiumFirstVerifierTest extends SignatureVerifierContract {
    private static final SignatureVerifier VERIFIER = new SodiumFirstVerifier();

    @Override
    protected SignatureVerifier verifier() {
        return VERIFIER;
    }

    @Test
    void ingestUsesTheLibsodiumVerifierByDefaultAndBouncyCastleOnRequest() {
        assertThat(IngestVerifiers.fromConfig(new IngestConfig(new Properties()))).isInstanceOf(SodiumFirstVerifier.class);
        final Properties props = new Properties();
        props.put(IngestConfig.VERIFIER, "bouncycastle");
        assertThat(IngestVerifiers.fromConfig(new IngestConfig(props))).isEqualTo(SignatureVerifier.bouncyCastle());
    }
}
