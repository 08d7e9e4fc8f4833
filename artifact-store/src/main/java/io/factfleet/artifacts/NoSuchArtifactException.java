package io.factfleet.artifacts;

import java.io.IOException;

/** The store holds no artifact with this hash. */
public final class NoSuchArtifactException extends IOException {
    private static final long serialVersionUID = 1L;

    private final ArtifactHash hash;

    public NoSuchArtifactException(final ArtifactHash hash) {
        super("no artifact with SHA-256 " + hash + " is stored; upload it first (factfleet artifact upload FILE)");
        this.hash = hash;
    }

    public ArtifactHash hash() {
        return hash;
    }
}
