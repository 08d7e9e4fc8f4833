package io.factfleet.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * Upgrade artifacts, content-addressed by SHA-256 and streamed: nothing is ever held whole in
 * memory, so an artifact may be as large as the store's {@link #maxLength()} (at least 2 GiB).
 * An artifact, once stored, never changes: its hash is its name, so a reader may cache or resume
 * by hash alone.
 *
 * <p>{@link FileArtifactStore} is the local-filesystem implementation (the embedded default of
 * {@code factfleet run}). The interface is shaped for an S3-compatible implementation too: a stat
 * is a {@code HEAD}, a range read a ranged {@code GET}, a put a (multipart) upload under the hash
 * computed while streaming; that implementation is not written yet.
 *
 * <p>Implementations are thread-safe.
 */
public interface ArtifactStore {
    /** The length of the stored artifact with this hash, or empty if there is none. */
    OptionalLong stat(ArtifactHash hash) throws IOException;

    /**
     * The bytes {@code [offset, offset + length)} of an artifact, streamed; the caller closes the stream.
     *
     * @throws NoSuchArtifactException  if there is no such artifact
     * @throws IllegalArgumentException if the range is not inside the artifact
     */
    InputStream open(ArtifactHash hash, long offset, long length) throws IOException;

    /**
     * Stores what {@code in} yields until its end, under the SHA-256 computed while streaming; the
     * stream is read, not closed. An artifact becomes visible only whole (a put that fails leaves
     * nothing behind), and storing the same bytes twice stores them once.
     *
     * @param progress told the number of bytes read so far, now and then (for a progress bar)
     * @throws ArtifactTooLargeException if {@code in} yields more than {@link #maxLength()} bytes
     */
    StoredArtifact put(InputStream in, LongConsumer progress) throws IOException;

    /** {@link #put(InputStream, LongConsumer)} without progress. */
    default StoredArtifact put(final InputStream in) throws IOException {
        return put(in, read -> { });
    }

    /** The largest artifact this store accepts, in bytes. */
    long maxLength();
}
