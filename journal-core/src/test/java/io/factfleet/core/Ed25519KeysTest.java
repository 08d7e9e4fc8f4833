package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** RFC 8032 section 7.1 test vectors against the signer; verifiers pass SignatureVerifierContract. */
class Ed25519KeysTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.factfleet.core.SignatureVerifierContract#rfc8032Vectors")
    void signerDerivesThePublicKeyAndSignatureOfTheVector(final String name, final String secret, final String publicKey,
                                                          final String message, final String signature) {
        final Ed25519Keys.SigningKey key = Ed25519Keys.fromSeed(Hashing.unhex(secret));
        assertThat(Hashing.hex(key.publicKey())).isEqualTo(publicKey);
        assertThat(Hashing.hex(key.sign(Hashing.unhex(message)))).isEqualTo(signature);
    }

    @Test
    void keyIdIsTheFirstSixteenBytesOfTheKeyHash() {
        final byte[] publicKey = Hashing.unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(Ed25519Keys.keyId(publicKey)).hasSize(32).isEqualTo(Hashing.hex(Hashing.sha256(publicKey)).substring(0, 32));
    }

    @Test
    void seedRoundTripsToTheSameKey() {
        final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
        assertThat(Ed25519Keys.fromSeed(key.seed()).publicKey()).isEqualTo(key.publicKey());
    }
}
