package io.factfleet.core;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/** Ed25519 (RFC 8032, pure) keys and signatures, on BouncyCastle. */
public final class Ed25519Keys {
    public static final int PUBLIC_KEY_BYTES = Ed25519PublicKeyParameters.KEY_SIZE;
    public static final int SIGNATURE_BYTES = Ed25519PrivateKeyParameters.SIGNATURE_SIZE;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ed25519Keys() {
    }

    /** A private key with its public key and key id. */
    public static final class SigningKey {
        private final Ed25519PrivateKeyParameters privateKey;
        private final byte[] publicKey;
        private final String keyId;

        private SigningKey(final Ed25519PrivateKeyParameters privateKey) {
            this.privateKey = privateKey;
            this.publicKey = privateKey.generatePublicKey().getEncoded();
            this.keyId = Ed25519Keys.keyId(publicKey);
        }

        public byte[] publicKey() {
            return publicKey.clone();
        }

        public String keyId() {
            return keyId;
        }

        /** The 32-byte seed, for storage by its owner. */
        public byte[] seed() {
            return privateKey.getEncoded();
        }

        public byte[] sign(final byte[] message) {
            final byte[] signature = new byte[SIGNATURE_BYTES];
            privateKey.sign(org.bouncycastle.math.ec.rfc8032.Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
            return signature;
        }

        @Override
        public String toString() {
            return "SigningKey[" + keyId + "]";
        }
    }

    public static SigningKey generate() {
        return new SigningKey(new Ed25519PrivateKeyParameters(RANDOM));
    }

    public static SigningKey fromSeed(final byte[] seed) {
        if (seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes, got " + seed.length);
        }
        return new SigningKey(new Ed25519PrivateKeyParameters(seed, 0));
    }

    /**
     * Public keys given as comma-separated hex (a configuration value such as the operator keys), by key id.
     *
     * @throws IllegalArgumentException naming {@code setting} when an entry is not a 32-byte key in hex
     */
    public static java.util.Map<String, byte[]> publicKeysFromHex(final String commaSeparatedHex, final String setting) {
        final java.util.Map<String, byte[]> keys = new java.util.HashMap<>();
        for (final String hex : (commaSeparatedHex == null ? "" : commaSeparatedHex).split(",")) {
            if (hex.isBlank()) {
                continue;
            }
            final byte[] key;
            try {
                key = Hashing.unhex(hex.strip());
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + " must list Ed25519 public keys in hex; '" + hex.strip() + "' is not hex");
            }
            if (key.length != PUBLIC_KEY_BYTES) {
                throw new IllegalArgumentException(setting + " must list 32-byte Ed25519 public keys in hex; got " + key.length + " bytes");
            }
            keys.put(keyId(key), key);
        }
        return keys;
    }

    /** Key id: the first 16 bytes of SHA-256(public key), in hex. */
    public static String keyId(final byte[] publicKey) {
        return Hashing.hex(Arrays.copyOf(Hashing.sha256(publicKey), 16));
    }
}
