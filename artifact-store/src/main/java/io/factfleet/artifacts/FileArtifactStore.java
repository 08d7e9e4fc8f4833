package io.factfleet.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * An {@link ArtifactStore} in a local directory:
 *
 * <pre>
 * &lt;dir&gt;/
 *   &lt;first 2 hex digits&gt;/&lt;sha256&gt;   an artifact (read-only once in place)
 *   tmp/                        uploads in progress; moved into place atomically when whole
 * </pre>
 *
 * <p>A put streams into a file under {@code tmp/} while computing SHA-256 and length, forces it to
 * disk, then renames it into place (an atomic rename in the same file system), so a reader never
 * sees a partial artifact and a crash leaves at most a stray temporary file.
 */
public final class FileArtifactStore implements ArtifactStore {
    /** The default limit of one artifact: 4 GiB. */
    public static final long DEFAULT_MAX_LENGTH = 4L * 1024 * 1024 * 1024;
    private static final int BUFFER_BYTES = 1024 * 1024;
    private static final long PROGRESS_EVERY_BYTES = 4L * 1024 * 1024;

    private final Path root;
    private final long maxLength;

    /**
     * A store in {@code root} (created if missing) accepting artifacts of at most {@code maxLength} bytes.
     *
     * @throws IOException if the directory cannot be created
     */
    public FileArtifactStore(final Path root, final long maxLength) throws IOException {
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must not be negative, got " + maxLength);
        }
        this.root = root.toAbsolutePath().normalize();
        this.maxLength = maxLength;
        Files.createDirectories(tmp());
    }

    /** A store in {@code root} with the {@linkplain #DEFAULT_MAX_LENGTH default limit}. */
    public FileArtifactStore(final Path root) throws IOException {
        this(root, DEFAULT_MAX_LENGTH);
    }

    /** The store's directory. */
    public Path root() {
        return root;
    }

    /** Where the artifact with this hash is (or would be) kept. */
    public Path path(final ArtifactHash hash) {
        return root.resolve(hash.hex().substring(0, 2)).resolve(hash.hex());
    }

    private Path tmp() {
        return root.resolve("tmp");
    }

    @Override
    public long maxLength() {
        return maxLength;
    }

    @Override
    public OptionalLong stat(final ArtifactHash hash) throws IOException {
        try {
            return OptionalLong.of(Files.size(path(hash)));
        } catch (final NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public InputStream open(final ArtifactHash hash, final long offset, final long length) throws IOException {
        final FileChannel channel;
        try {
            channel = FileChannel.open(path(hash), StandardOpenOption.READ);
        } catch (final NoSuchFileException e) {
            throw new NoSuchArtifactException(hash);
        }
        try {
            final long size = channel.size();
            if (offset < 0 || length < 0 || offset > size || length > size - offset) {
                throw new IllegalArgumentException("bytes [" + offset + ", " + offset + " + " + length + ") are not inside artifact " + hash
                        + " of " + size + " bytes");
            }
            channel.position(offset);
            return new RangeInputStream(Channels.newInputStream(channel), length);
        } catch (final IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public StoredArtifact put(final InputStream in, final LongConsumer progress) throws IOException {
        final MessageDigest sha256 = sha256();
        final Path upload = Files.createTempFile(tmp(), "upload-", ".part");
        boolean moved = false;
        try {
            long length = 0;
            long reported = 0;
            try (FileChannel out = FileChannel.open(upload, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                final byte[] buffer = new byte[BUFFER_BYTES];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (n > maxLength - length) {
                        throw new ArtifactTooLargeException(maxLength);
                    }
                    sha256.update(buffer, 0, n);
                    final ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                    while (bytes.hasRemaining()) {
                        out.write(bytes);
                    }
                    length += n;
                    if (length - reported >= PROGRESS_EVERY_BYTES) {
                        progress.accept(length);
                        reported = length;
                    }
                }
                out.force(true);
            }
            progress.accept(length);
            final ArtifactHash hash = ArtifactHash.of(sha256.digest());
            final Path target = path(hash);
            if (Files.exists(target)) {
                return new StoredArtifact(hash, length, true);
            }
            Files.createDirectories(target.getParent());
            try {
                Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (final FileAlreadyExistsException e) {
                return new StoredArtifact(hash, length, true); // a concurrent put of the same bytes won
            } catch (final AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + upload + " into place atomically: " + root + " must be on a local file system", e);
            }
            moved = true;
            return new StoredArtifact(hash, length, false);
        } finally {
            if (!moved) {
                Files.deleteIfExists(upload);
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** At most {@code remaining} bytes of a stream, then its end. */
    private static final class RangeInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        RangeInputStream(final InputStream in, final long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            final int b = in.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            final int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), remaining);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
