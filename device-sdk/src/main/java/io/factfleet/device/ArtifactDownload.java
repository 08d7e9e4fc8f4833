package io.factfleet.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.Hashing;
import io.factfleet.device.internal.ContentRange;
import io.factfleet.device.internal.RetrievalRate;
import io.factfleet.schema.UpgradeMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Downloads an upgrade artifact through the edge bridge ({@code GET /v1/authorities/{authorityId}/artifacts/{sha256}},
 * edge-bridge/PROTOCOL.md "Artifacts"), each range request signed afresh by the device (the signature covers
 * method and path, so it names this artifact; a fresh nonce each), in byte ranges of {@link Settings#chunkBytes()}, into
 * {@code <dir>/<sha256>.part}, and reports nothing before it has verified the whole file against
 * the threshold-signed metadata:
 *
 * <ul>
 *   <li>it never accepts more bytes than the metadata's length: a server announcing or sending more
 *       is stopped with {@link Reason#ENDLESS_DATA};</li>
 *   <li>a download slower than {@link Settings#floorBytesPerSecond()} over
 *       {@link Settings#floorWindow()} is stopped with {@link Reason#SLOW_RETRIEVAL};</li>
 *   <li>at the end the SHA-256 must be the metadata's, else {@link Reason#HASH_MISMATCH} and the part
 *       file is deleted; otherwise it is renamed to {@code <dir>/<sha256>}, and that path is the
 *       result.</li>
 * </ul>
 *
 * <p>It resumes from the part file's size: after a dropped connection within one {@link #fetch}
 * (up to {@link Settings#maxRetries()} failures in a row that moved no byte), and after a crash or a
 * stop in the next {@code fetch} of the same artifact. The bytes kept in the part file are checked
 * by the final hash like the rest, so a resumed file is as trustworthy as a fresh one. The metadata
 * given must already be verified (its threshold certificate): this class trusts its hash and length.
 *
 * <pre>{@code
 * ArtifactDownload download = new ArtifactDownload(bridgeClient, Path.of("/data/ota"), ArtifactDownload.Settings.defaults());
 * ArtifactDownload.Result result = download.fetch(verifiedMetadata);
 * if (result instanceof ArtifactDownload.Verified v) {
 *     install(v.file());
 * } else if (result instanceof ArtifactDownload.Stopped s) {
 *     report(s.reason(), s.message());                  // and retry later if s.reason().retriable()
 * }
 * }</pre>
 *
 * <p>One download of a given artifact at a time per directory; different artifacts may run in parallel.
 */
public final class ArtifactDownload {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** How often a running request is checked against the retrieval floor. */
    private static final long TICK_MILLIS = 50;
    /** An error answer's body is read up to this size (it is a short JSON document). */
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final int HASH_BUFFER_BYTES = 1024 * 1024;

    /** Why a download stopped, for a device to act on. */
    public enum Reason {
        /** The server announced or sent more bytes than the metadata's length (the endless-data attack). Retry later, another source if any. */
        ENDLESS_DATA(true),
        /** The server announced fewer bytes than the metadata's length: it has another artifact under that hash. Retry later. */
        LENGTH_MISMATCH(true),
        /** Slower than the configured floor over the configured window (the slow-retrieval attack, or a bad link). Retry later. */
        SLOW_RETRIEVAL(true),
        /** The whole file's SHA-256 is not the metadata's; the part file was deleted. Retry from the start later. */
        HASH_MISMATCH(true),
        /**
         * The bridge has no artifact with this hash (not uploaded yet, or not to this bridge), or no upgrade of the
         * device's authority names it ({@code ARTIFACT_NOT_IN_AUTHORITY}: not proposed yet). Retry later.
         */
        NOT_FOUND(true),
        /** The bridge answered with something that is not the range asked for. Retry later. */
        BAD_RESPONSE(true),
        /** The bridge refused the request (authentication, a hard fork's required version, ...); the message has its code. */
        REFUSED(false),
        /** The bridge could not be reached, or kept failing, {@code maxRetries} times in a row without progress. Retry later. */
        UNREACHABLE(true),
        /** The thread was interrupted; the part file is kept. */
        INTERRUPTED(true);

        private final boolean retriable;

        Reason(final boolean retriable) {
            this.retriable = retriable;
        }

        /** Whether the same download may succeed later (the part file, if kept, is resumed). */
        public boolean retriable() {
            return retriable;
        }
    }

    /** The outcome of {@link #fetch}: how many bytes crossed the network in it, either way. */
    public sealed interface Result permits Verified, Stopped {
        long bytesTransferred();
    }

    /** The artifact is whole and verified at {@code file}. */
    public record Verified(Path file, long length, long bytesTransferred) implements Result {
    }

    /** The download stopped, with a reason and what to do in the message. */
    public record Stopped(Reason reason, String message, long bytesTransferred) implements Result {
    }

    /**
     * How to download.
     *
     * @param chunkBytes          bytes asked for per range request
     * @param floorBytesPerSecond the slowest acceptable rate, measured over {@code floorWindow}
     * @param floorWindow         the window of the rate; the first check is one window after the start
     * @param maxRetries          failures in a row that moved no byte before giving up ({@link Reason#UNREACHABLE})
     * @param retryDelay          pause before retrying a failed request (or the bridge's {@code Retry-After}, if longer, up to a minute)
     * @param responseTimeout     how long to wait for a response's headers
     */
    public record Settings(int chunkBytes, long floorBytesPerSecond, Duration floorWindow, int maxRetries, Duration retryDelay,
                           Duration responseTimeout) {
        /** 4 MiB ranges; at least 1 KiB/s over 30 s; 5 retries 1 s apart; 30 s for headers. */
        public static Settings defaults() {
            return new Settings(4 * 1024 * 1024, 1024, Duration.ofSeconds(30), 5, Duration.ofSeconds(1), Duration.ofSeconds(30));
        }

        public Settings {
            if (chunkBytes <= 0 || floorBytesPerSecond < 0 || floorWindow.isNegative() || floorWindow.isZero() || maxRetries < 0
                    || retryDelay.isNegative() || responseTimeout.isNegative() || responseTimeout.isZero()) {
                throw new IllegalArgumentException("chunkBytes, floorWindow and responseTimeout must be positive; the rest not negative");
            }
        }

        public Settings withChunkBytes(final int bytes) {
            return new Settings(bytes, floorBytesPerSecond, floorWindow, maxRetries, retryDelay, responseTimeout);
        }

        public Settings withFloor(final long bytesPerSecond, final Duration window) {
            return new Settings(chunkBytes, bytesPerSecond, window, maxRetries, retryDelay, responseTimeout);
        }

        public Settings withRetries(final int retries, final Duration delay) {
            return new Settings(chunkBytes, floorBytesPerSecond, floorWindow, retries, delay, responseTimeout);
        }
    }

    private final BridgeClient bridge;
    private final Path dir;
    private final Settings settings;
    private final LongSupplier nanoClock;

    /** Downloads through {@code bridge} (its signing key and HTTP client) into {@code dir}. */
    public ArtifactDownload(final BridgeClient bridge, final Path dir, final Settings settings) {
        this(bridge, dir, settings, System::nanoTime);
    }

    ArtifactDownload(final BridgeClient bridge, final Path dir, final Settings settings, final LongSupplier nanoClock) {
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.dir = Objects.requireNonNull(dir, "dir");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = nanoClock;
    }

    /** Where a verified artifact is kept. */
    public Path file(final String sha256Hex) {
        return dir.resolve(sha256Hex);
    }

    /** Where a download in progress is kept. */
    public Path partFile(final String sha256Hex) {
        return dir.resolve(sha256Hex + ".part");
    }

    /** {@link #fetch(String, long)} of the artifact that verified upgrade metadata names. */
    public Result fetch(final UpgradeMetadata metadata) {
        final ByteBuffer hash = metadata.getArtifactSha256().duplicate();
        final byte[] bytes = new byte[hash.remaining()];
        hash.get(bytes);
        return fetch(Hashing.hex(bytes), metadata.getArtifactLength());
    }

    /**
     * Downloads (or resumes) the artifact with this SHA-256 and length, verifies it, and returns its path; or
     * why it stopped. An artifact already verified in the directory is checked again and returned.
     *
     * @param sha256Hex 64 lower-case hex digits, from verified metadata
     * @param length    the artifact's length in bytes, from verified metadata
     * @throws UncheckedIOException if the local directory cannot be written
     */
    public Result fetch(final String sha256Hex, final long length) {
        if (!SHA256_HEX.matcher(sha256Hex).matches() || length < 0) {
            throw new IllegalArgumentException("an artifact is 64 lower-case hex digits of SHA-256 and a length of at least 0");
        }
        try {
            Files.createDirectories(dir);
            final Path done = file(sha256Hex);
            if (Files.exists(done)) {
                if (Files.size(done) == length && sha256Hex.equals(sha256(done))) {
                    return new Verified(done, length, 0);
                }
                Files.delete(done);
            }
            return download(sha256Hex, length, done);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot keep artifact " + sha256Hex + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    private Result download(final String sha256Hex, final long length, final Path done) throws IOException {
        final Path part = partFile(sha256Hex);
        final AtomicLong received = new AtomicLong();
        final RetrievalRate rate = new RetrievalRate(settings.floorBytesPerSecond(), settings.floorWindow().toNanos(), nanoClock.getAsLong());
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (channel.size() > length) {
                channel.close();
                Files.delete(part);
                return new Stopped(Reason.ENDLESS_DATA, "the part file held more than the metadata's " + length + " bytes; it was deleted",
                        0);
            }
            int failures = 0;
            while (channel.size() < length) {
                final long have = channel.size();
                final long last = Math.min(length, have + settings.chunkBytes()) - 1;
                final long before = received.get();
                final Attempt attempt = range(channel, sha256Hex, have, last, length, received, rate);
                if (attempt instanceof Attempt.Stop stop) {
                    return new Stopped(stop.reason(), stop.message(), received.get());
                }
                if (attempt instanceof Attempt.Retry retry) {
                    failures = received.get() > before ? 0 : failures + 1;
                    if (failures > settings.maxRetries()) {
                        return new Stopped(Reason.UNREACHABLE, retry.message() + " (" + failures + " failures in a row; the part file is kept, "
                                + channel.size() + " of " + length + " bytes)", received.get());
                    }
                    if (!pause(retry.after().compareTo(settings.retryDelay()) > 0 ? retry.after() : settings.retryDelay())) {
                        return new Stopped(Reason.INTERRUPTED, "interrupted; the part file is kept", received.get());
                    }
                } else {
                    failures = 0;
                    channel.force(false);
                }
                if (rate.tooSlow(received.get(), nanoClock.getAsLong())) {
                    return slow(received.get());
                }
            }
            channel.force(true);
        }
        if (!sha256Hex.equals(sha256(part))) {
            Files.delete(part);
            return new Stopped(Reason.HASH_MISMATCH, "the downloaded bytes do not have SHA-256 " + sha256Hex + "; the part file was deleted",
                    received.get());
        }
        Files.move(part, done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return new Verified(done, length, received.get());
    }

    private Stopped slow(final long received) {
        return new Stopped(Reason.SLOW_RETRIEVAL, "fewer than " + settings.floorBytesPerSecond() + " bytes/s over " + settings.floorWindow().toMillis()
                + " ms; the part file is kept", received);
    }

    private boolean pause(final Duration after) {
        try {
            Thread.sleep(after.toMillis());
            return true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** What one range request came to. */
    private sealed interface Attempt {
        record Done() implements Attempt {
        }

        record Retry(String message, Duration after) implements Attempt {
        }

        record Stop(Reason reason, String message) implements Attempt {
        }
    }

    /** Thrown inside the body subscriber to stop the download for a reason. */
    private static final class StopException extends IOException {
        private static final long serialVersionUID = 1L;
        private final Reason reason;

        StopException(final Reason reason, final String message) {
            super(message);
            this.reason = reason;
        }
    }

    /** One {@code Range: bytes=have-last} request, its body written to the part file from {@code have} as it arrives. */
    private Attempt range(final FileChannel channel, final String sha256Hex, final long have, final long last, final long length,
                          final AtomicLong received, final RetrievalRate rate) {
        final String path = "/v1/authorities/" + bridge.authorityId() + "/artifacts/" + sha256Hex;
        final HttpRequest request = bridge.signedGet(path).timeout(settings.responseTimeout())
                .header("Range", "bytes=" + have + "-" + last).build();
        final AtomicReference<Sink> sink = new AtomicReference<>();
        final CompletableFuture<HttpResponse<Long>> response = bridge.http().sendAsync(request, info -> {
            sink.set(sink(info, channel, have, last, length, received));
            return sink.get();
        });
        while (true) {
            try {
                final HttpResponse<Long> answer = response.get(TICK_MILLIS, TimeUnit.MILLISECONDS);
                return sink.get().outcome(answer);
            } catch (final TimeoutException e) {
                if (rate.tooSlow(received.get(), nanoClock.getAsLong())) {
                    response.cancel(true);
                    if (sink.get() != null) {
                        sink.get().cancel();
                    }
                    return new Attempt.Stop(Reason.SLOW_RETRIEVAL, slow(received.get()).message());
                }
            } catch (final InterruptedException e) {
                response.cancel(true);
                Thread.currentThread().interrupt();
                return new Attempt.Stop(Reason.INTERRUPTED, "interrupted; the part file is kept");
            } catch (final ExecutionException e) {
                for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
                    if (cause instanceof StopException stop) {
                        return new Attempt.Stop(stop.reason, stop.getMessage());
                    }
                }
                return new Attempt.Retry("the bridge at " + bridge.base() + " did not answer " + path + ": " + e.getCause(), settings.retryDelay());
            }
        }
    }

    private Sink sink(final HttpResponse.ResponseInfo info, final FileChannel channel, final long have, final long last, final long length,
                      final AtomicLong received) {
        final long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (info.statusCode() == 206) {
            final ContentRange range = ContentRange.parse(info.headers().firstValue("Content-Range").orElse(null)).orElse(null);
            if (range == null || range.first() < 0) {
                return Sink.failing(new StopException(Reason.BAD_RESPONSE, "a 206 answer without a Content-Range 'bytes a-b/length'"));
            }
            if (range.total() > length) {
                return Sink.failing(new StopException(Reason.ENDLESS_DATA, "the bridge's artifact has " + range.total()
                        + " bytes, more than the metadata's " + length));
            }
            if (range.total() >= 0 && range.total() < length) {
                return Sink.failing(new StopException(Reason.LENGTH_MISMATCH, "the bridge's artifact has " + range.total()
                        + " bytes, fewer than the metadata's " + length));
            }
            if (range.first() != have || range.last() > last) {
                if (range.last() > last && range.first() == have) {
                    return Sink.failing(new StopException(Reason.ENDLESS_DATA, "asked for bytes " + have + "-" + last + ", offered " + range.first()
                            + "-" + range.last()));
                }
                return Sink.failing(new StopException(Reason.BAD_RESPONSE, "asked for bytes " + have + "-" + last + ", got " + range.first() + "-"
                        + range.last()));
            }
            return Sink.toFile(channel, have, range.last() - range.first() + 1, declared, received);
        }
        if (info.statusCode() == 200) {
            // The server ignored the Range: take the whole artifact from the start, but never more than the metadata's length.
            return Sink.toFile(channel, 0, length, declared, received).whole();
        }
        return Sink.error(info);
    }

    /** Where a response body goes: the part file (counted, capped) or, for an error answer, a small buffer. */
    private static final class Sink implements HttpResponse.BodySubscriber<Long> {
        private final CompletableFuture<Long> body = new CompletableFuture<>();
        private final FileChannel channel;
        private final long cap;
        private final AtomicLong received;
        private final HttpResponse.ResponseInfo errorInfo;
        private final java.io.ByteArrayOutputStream errorBody;
        private final StopException failure;
        private long position;
        private long written;
        private boolean truncate;
        private volatile Flow.Subscription subscription;

        private Sink(final FileChannel channel, final long position, final long cap, final AtomicLong received,
                     final HttpResponse.ResponseInfo errorInfo, final StopException failure) {
            this.channel = channel;
            this.position = position;
            this.cap = cap;
            this.received = received;
            this.errorInfo = errorInfo;
            this.errorBody = errorInfo == null ? null : new java.io.ByteArrayOutputStream();
            this.failure = failure;
        }

        static Sink toFile(final FileChannel channel, final long position, final long cap, final long declared, final AtomicLong received) {
            if (declared > cap) {
                return failing(new StopException(Reason.ENDLESS_DATA, "the bridge announced " + declared + " bytes where at most " + cap
                        + " may come"));
            }
            return new Sink(channel, position, cap, received, null, null);
        }

        static Sink failing(final StopException failure) {
            return new Sink(null, 0, 0, null, null, failure);
        }

        static Sink error(final HttpResponse.ResponseInfo info) {
            return new Sink(null, 0, MAX_ERROR_BODY, null, info, null);
        }

        /** A {@code 200}: the whole artifact, written from the start of a truncated part file. */
        Sink whole() {
            truncate = true;
            return this;
        }

        @Override
        public CompletableFuture<Long> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(final Flow.Subscription s) {
            subscription = s;
            if (failure != null) {
                s.cancel();
                body.completeExceptionally(failure);
                return;
            }
            if (truncate) {
                try {
                    channel.truncate(0);
                } catch (final IOException e) {
                    s.cancel();
                    body.completeExceptionally(e);
                    return;
                }
            }
            s.request(1);
        }

        @Override
        public void onNext(final List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            try {
                for (final ByteBuffer buffer : buffers) {
                    final int n = buffer.remaining();
                    if (errorBody != null) {
                        final byte[] bytes = new byte[(int) Math.min(n, Math.max(0, cap - errorBody.size()))];
                        buffer.get(bytes);
                        errorBody.write(bytes);
                        if (errorBody.size() >= cap) { // enough of an error answer; the rest is not read
                            subscription.cancel();
                            body.complete(written);
                            return;
                        }
                        continue;
                    }
                    if (n > cap - written) {
                        throw new StopException(Reason.ENDLESS_DATA, "the bridge sent more than the " + cap + " bytes that may come");
                    }
                    while (buffer.hasRemaining()) {
                        position += channel.write(buffer, position);
                    }
                    written += n;
                    received.addAndGet(n);
                }
                subscription.request(1);
            } catch (final IOException e) {
                subscription.cancel();
                body.completeExceptionally(e);
            }
        }

        @Override
        public void onError(final Throwable throwable) {
            body.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            body.complete(written);
        }

        void cancel() {
            final Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            body.completeExceptionally(new IOException("cancelled"));
        }

        /** The attempt's outcome once the body is complete. */
        Attempt outcome(final HttpResponse<Long> response) {
            if (errorInfo == null) {
                if (written == cap) {
                    return new Attempt.Done();
                }
                if (truncate) {
                    return new Attempt.Stop(Reason.LENGTH_MISMATCH, "the bridge sent a whole artifact of " + written + " bytes, fewer than the metadata's "
                            + cap);
                }
                return new Attempt.Retry("the answer ended after " + written + " of " + cap + " bytes", Duration.ZERO);
            }
            final int status = errorInfo.statusCode();
            JsonNode json;
            try {
                json = JSON.readTree(errorBody.toByteArray());
            } catch (final IOException e) {
                json = null;
            }
            final String code = json == null ? "HTTP_" + status : json.path("code").asText("HTTP_" + status);
            final String message = status + " " + code + ": " + (json == null ? "" : json.path("message").asText(""));
            if (status == 404) {
                return new Attempt.Stop(Reason.NOT_FOUND, message);
            }
            if (status == 416) {
                return new Attempt.Stop(Reason.LENGTH_MISMATCH, message + " (" + errorInfo.headers().firstValue("Content-Range").orElse("") + ")");
            }
            if (status == 429 || status >= 500) {
                final Duration after = errorInfo.headers().firstValueAsLong("Retry-After").stream().mapToObj(Duration::ofSeconds).findFirst()
                        .orElse(Duration.ZERO);
                return new Attempt.Retry(message, after.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : after);
            }
            return new Attempt.Stop(Reason.REFUSED, message);
        }
    }

    private static String sha256(final Path file) throws IOException {
        final MessageDigest digest = Hashing.sha256();
        try (InputStream in = Channels.newInputStream(FileChannel.open(file, StandardOpenOption.READ))) {
            final byte[] buffer = new byte[HASH_BUFFER_BYTES];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return Hashing.hex(digest.digest());
    }
}
