package io.factfleet.artifacts;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The address of an artifact: the SHA-256 of its bytes, as 64 lower-case hex digits (what
 * {@code UpgradeMetadata.artifactSha256} holds, hex-encoded).
 *
 * @param hex 64 lower-case hex digits
 */
public record ArtifactHash(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    public ArtifactHash {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("an artifact hash is the SHA-256 of its bytes as 64 lower-case hex digits, not '" + hex + "'");
        }
    }

    /** The hash in {@code text}, upper-case digits allowed; empty if it is not 64 hex digits. */
    public static Optional<ArtifactHash> parse(final String text) {
        if (text == null) {
            return Optional.empty();
        }
        final String lower = text.strip().toLowerCase(Locale.ROOT);
        return HEX.matcher(lower).matches() ? Optional.of(new ArtifactHash(lower)) : Optional.empty();
    }

    /** The hash of these 32 digest bytes. */
    public static ArtifactHash of(final byte[] sha256) {
        if (sha256.length != 32) {
            throw new IllegalArgumentException("a SHA-256 is 32 bytes, not " + sha256.length);
        }
        return new ArtifactHash(java.util.HexFormat.of().formatHex(sha256));
    }

    /** The 32 digest bytes. */
    public byte[] bytes() {
        return java.util.HexFormat.of().parseHex(hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
