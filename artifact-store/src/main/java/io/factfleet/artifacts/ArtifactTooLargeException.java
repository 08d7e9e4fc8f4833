package io.factfleet.artifacts;

import java.io.IOException;

/** {@link ArtifactStore#put} read more bytes than the store's limit; nothing was stored. */
public final class ArtifactTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long maxLength;

    public ArtifactTooLargeException(final long maxLength) {
        super("the artifact is larger than this store's limit of " + maxLength + " bytes; nothing was stored"
                + " (raise the limit, or split the artifact)");
        this.maxLength = maxLength;
    }

    /** The store's limit in bytes. */
    public long maxLength() {
        return maxLength;
    }
}
