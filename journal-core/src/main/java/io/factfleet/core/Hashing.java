package io.factfleet.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 and hex helpers shared by fact ids, key ids, digests and Merkle roots. */
public final class Hashing {
    private static final HexFormat HEX = HexFormat.of();

    private Hashing() {
    }

    /** A fresh SHA-256 digest (MessageDigest instances are not thread-safe). */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static byte[] sha256(final byte[] bytes) {
        return sha256().digest(bytes);
    }

    public static String hex(final byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    public static byte[] unhex(final String hex) {
        return HEX.parseHex(hex);
    }
}
