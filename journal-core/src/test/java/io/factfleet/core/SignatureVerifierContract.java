package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link SignatureVerifier} must do: pass the RFC 8032 section 7.1 vectors, and answer
 * exactly as BouncyCastle's plain verifier does on everything an attacker might send (tampered
 * signatures, non-canonical scalars, malformed and small-order public keys, a signature crafted for
 * the identity key). A verifier's test extends this class and supplies the verifier.
 */
public abstract class SignatureVerifierContract {
    private static final SignatureVerifier REFERENCE = SignatureVerifier.bouncyCastle();

    /** Encodings of small-order and non-canonical points, and one that is not on the curve. */
    private static final List<String> NASTY_KEYS = List.of(
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0200000000000000000000000000000000000000000000000000000000000000");

    protected abstract SignatureVerifier verifier();

    public static Stream<Arguments> rfc8032Vectors() {
        return Stream.of(
                Arguments.of("TEST 1",
                        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                        "",
                        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
                Arguments.of("TEST 2",
                        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                        "72",
                        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
                Arguments.of("TEST 3",
                        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                        "af82",
                        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
                Arguments.of("TEST SHA(abc)",
                        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
                        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
                        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
                        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc8032Vectors")
    void acceptsTheVectorAndRefusesATamperedOne(final String name, final String secret, final String publicKey, final String message,
                                               final String signature) {
        final byte[] key = Hashing.unhex(publicKey);
        final byte[] m = Hashing.unhex(message);
        assertThat(verifier().verify(key, m, Hashing.unhex(signature))).isTrue();
        final byte[] tampered = Hashing.unhex(signature);
        tampered[5] ^= 0x01;
        assertThat(verifier().verify(key, m, tampered)).isFalse();
        final byte[] otherMessage = java.util.Arrays.copyOf(m, m.length + 1);
        assertThat(verifier().verify(key, otherMessage, Hashing.unhex(signature))).isFalse();
    }

    @Test
    void refusesKeysAndSignaturesOfTheWrongLength() {
        final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
        final byte[] signature = key.sign(new byte[] {1, 2, 3});
        assertThat(verifier().verify(new byte[31], new byte[] {1, 2, 3}, signature)).isFalse();
        assertThat(verifier().verify(key.publicKey(), new byte[] {1, 2, 3}, new byte[63])).isFalse();
        assertThat(verifier().verify(null, new byte[] {1}, signature)).isFalse();
    }

    private void assertAgreesWithReference(final byte[] key, final byte[] message, final byte[] signature) {
        assertThat(verifier().verify(key, message, signature)).as("key %s, signature %s", Hashing.hex(key), Hashing.hex(signature))
                .isEqualTo(REFERENCE.verify(key, message, signature));
    }

    @Test
    void agreesWithBouncyCastleOnValidTamperedAndNonCanonicalSignatures() {
        final Random random = new Random(8032);
        for (int i = 0; i < 1000; i++) {
            final byte[] seed = new byte[32];
            random.nextBytes(seed);
            final Ed25519Keys.SigningKey key = Ed25519Keys.fromSeed(seed);
            final byte[] message = new byte[random.nextInt(100)];
            random.nextBytes(message);
            final byte[] signature = key.sign(message);
            assertAgreesWithReference(key.publicKey(), message, signature);
            final byte[] tampered = signature.clone();
            tampered[random.nextInt(64)] ^= (byte) (1 << random.nextInt(8));
            assertAgreesWithReference(key.publicKey(), message, tampered);
            final byte[] wrongKey = key.publicKey();
            wrongKey[random.nextInt(32)] ^= (byte) (1 << random.nextInt(8));
            assertAgreesWithReference(wrongKey, message, signature);
            final byte[] nonCanonical = signature.clone();
            nonCanonical[63] |= (byte) 0xf0; // S >= L
            assertAgreesWithReference(key.publicKey(), message, nonCanonical);
        }
    }

    @Test
    void agreesWithBouncyCastleOnSmallOrderAndMalformedKeys() {
        final Random random = new Random(25519);
        for (int i = 0; i < 200; i++) {
            final byte[] message = new byte[random.nextInt(40)];
            random.nextBytes(message);
            final byte[] signature = new byte[64];
            random.nextBytes(signature);
            signature[63] &= 0x0f;
            for (final String key : NASTY_KEYS) {
                assertAgreesWithReference(Hashing.unhex(key), message, signature);
            }
        }
    }

    @Test
    void agreesWithBouncyCastleOnASignatureCraftedForTheIdentityKey() {
        // With A the identity, R = [S]B verifies any message in cofactorless verification.
        final byte[] crafted = Hashing.unhex("5866666666666666666666666666666666666666666666666666666666666666"
                + "0100000000000000000000000000000000000000000000000000000000000000");
        for (final String key : NASTY_KEYS) {
            assertAgreesWithReference(Hashing.unhex(key), "any message".getBytes(), crafted);
        }
    }
}
