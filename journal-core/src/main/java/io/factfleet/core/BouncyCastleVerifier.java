package io.factfleet.core;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

final class BouncyCastleVerifier implements SignatureVerifier {
    static final BouncyCastleVerifier INSTANCE = new BouncyCastleVerifier();

    static {
        Ed25519.precompute();
    }

    private BouncyCastleVerifier() {
    }

    @Override
    public boolean verify(final byte[] publicKey, final byte[] message, final byte[] signature) {
        if (publicKey == null || signature == null || message == null
                || publicKey.length != Ed25519.PUBLIC_KEY_SIZE || signature.length != Ed25519.SIGNATURE_SIZE) {
            return false;
        }
        return Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
    }
}
