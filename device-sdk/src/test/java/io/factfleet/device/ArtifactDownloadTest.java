package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The downloader against stand-ins for the bridge (JDK HttpServer) that misbehave on purpose: the
 * attacks of issue 13 (endless data, slow retrieval, a wrong artifact) and resuming. The same
 * downloader against the real bridge is in edge-bridge's {@code ArtifactDownloadIT}.
 */
class ArtifactDownloadTest {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
    private static final int LENGTH = 300_000;

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    /** Each request's path and Authorization header. */
    private final List<String[]> signed = new CopyOnWriteArrayList<>();
    private final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
    private byte[] artifact;
    private String sha256;

    /** What the stand-in does with a request. */
    private interface Behaviour {
        void answer(HttpExchange exchange, long first, long last) throws IOException;
    }

    @BeforeEach
    void artifact() {
        artifact = new byte[LENGTH];
        new Random(7).nextBytes(artifact);
        sha256 = Hashing.hex(Hashing.sha256(artifact));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private URI serve(final Behaviour behaviour) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/authorities/a1/artifacts/", exchange -> {
            try (exchange) {
                signed.add(new String[] {exchange.getRequestURI().getRawPath(), exchange.getRequestHeaders().getFirst("Authorization")});
                final String range = exchange.getRequestHeaders().getFirst("Range");
                ranges.add(range);
                final Matcher m = RANGE.matcher(range == null ? "" : range);
                final long first = m.matches() ? Long.parseLong(m.group(1)) : 0;
                final long last = m.matches() ? Long.parseLong(m.group(2)) : LENGTH - 1;
                behaviour.answer(exchange, first, Math.min(last, LENGTH - 1));
            } catch (final IOException e) {
                // the downloader hung up: expected in several tests
            }
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A correct server of {@code bytes}. */
    private static Behaviour ranged(final byte[] bytes) {
        return (exchange, first, last) -> {
            exchange.getResponseHeaders().add("Content-Range", "bytes " + first + "-" + last + "/" + bytes.length);
            exchange.sendResponseHeaders(206, last - first + 1);
            exchange.getResponseBody().write(bytes, (int) first, (int) (last - first + 1));
        };
    }

    private ArtifactDownload downloader(final URI bridge, final ArtifactDownload.Settings settings) {
        final BridgeClient client = new BridgeClient(bridge, "a1", "a1-d0", key, System::currentTimeMillis,
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
        return new ArtifactDownload(client, dir, settings);
    }

    private static ArtifactDownload.Settings fast() {
        return ArtifactDownload.Settings.defaults().withChunkBytes(64 * 1024).withRetries(2, Duration.ofMillis(10));
    }

    @Test
    void aWellBehavedServerGivesTheVerifiedFileInRanges() throws IOException {
        final ArtifactDownload download = downloader(serve(ranged(artifact)), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOf(ArtifactDownload.Verified.class);
        assertThat(((ArtifactDownload.Verified) result).file()).isEqualTo(dir.resolve(sha256));
        assertThat(Files.readAllBytes(dir.resolve(sha256))).isEqualTo(artifact);
        assertThat(ranges).containsExactly("bytes=0-65535", "bytes=65536-131071", "bytes=131072-196607", "bytes=196608-262143",
                "bytes=262144-299999");
        assertThat(result.bytesTransferred()).isEqualTo(LENGTH);
        assertThat(dir.resolve(sha256 + ".part")).doesNotExist();
    }

    @Test
    void eachRangeRequestIsSignedByTheDeviceForTheArtifactsPathWithAFreshNonce() throws IOException {
        final ArtifactDownload download = downloader(serve(ranged(artifact)), fast());

        assertThat(download.fetch(sha256, LENGTH)).isInstanceOf(ArtifactDownload.Verified.class);

        assertThat(signed).hasSize(5);
        final java.util.Set<String> nonces = new java.util.HashSet<>();
        for (final String[] request : signed) {
            assertThat(request[0]).isEqualTo("/v1/authorities/a1/artifacts/" + sha256);
            final io.factfleet.core.RequestSignatures.Credentials credentials = io.factfleet.core.RequestSignatures.parse(request[1]).orElseThrow();
            assertThat(credentials.authorityId()).isEqualTo("a1");
            assertThat(credentials.deviceId()).isEqualTo("a1-d0");
            assertThat(io.factfleet.core.RequestSignatures.verify(credentials, key.publicKey(), "GET", request[0], new byte[0],
                    io.factfleet.core.SignatureVerifier.bouncyCastle())).isTrue();
            assertThat(io.factfleet.core.RequestSignatures.verify(credentials, key.publicKey(), "GET",
                    "/v1/authorities/a1/artifacts/" + "0".repeat(64), new byte[0], io.factfleet.core.SignatureVerifier.bouncyCastle())).isFalse();
            nonces.add(credentials.nonce());
        }
        assertThat(nonces).hasSize(5);
    }

    @Test
    void aPartFileLeftByACrashIsResumedFromItsSize() throws IOException {
        Files.write(dir.resolve(sha256 + ".part"), Arrays.copyOf(artifact, 100_000));
        final ArtifactDownload download = downloader(serve(ranged(artifact)), fast().withChunkBytes(1024 * 1024));

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOf(ArtifactDownload.Verified.class);
        assertThat(ranges).containsExactly("bytes=100000-299999");
        assertThat(result.bytesTransferred()).isEqualTo(LENGTH - 100_000);
    }

    @Test
    void aServerThatIgnoresTheRangeAndSendsMoreThanTheMetadataSaysIsStoppedWithEndlessData() throws IOException {
        final ArtifactDownload download = downloader(serve((exchange, first, last) -> {
            exchange.sendResponseHeaders(200, 0); // chunked, no length announced
            final OutputStream out = exchange.getResponseBody();
            for (int i = 0; i < 20; i++) {
                out.write(artifact);
            }
        }), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.ENDLESS_DATA));
        assertThat(result.bytesTransferred()).isLessThanOrEqualTo(LENGTH);
        assertThat(Files.size(dir.resolve(sha256 + ".part"))).isLessThanOrEqualTo(LENGTH);
    }

    @Test
    void aServerAnnouncingALongerArtifactIsStoppedWithEndlessDataBeforeItsBody() throws IOException {
        final byte[] longer = Arrays.copyOf(artifact, LENGTH * 2);
        final ArtifactDownload download = downloader(serve((exchange, first, last) -> {
            exchange.getResponseHeaders().add("Content-Range", "bytes " + first + "-" + last + "/" + longer.length);
            exchange.sendResponseHeaders(206, last - first + 1);
            exchange.getResponseBody().write(longer, (int) first, (int) (last - first + 1));
        }), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.ENDLESS_DATA));
        assertThat(result.bytesTransferred()).isZero();
    }

    @Test
    void aRangeLongerThanAskedForIsStoppedWithEndlessData() throws IOException {
        final ArtifactDownload download = downloader(serve((exchange, first, last) -> {
            exchange.getResponseHeaders().add("Content-Range", "bytes " + first + "-" + (LENGTH - 1) + "/" + LENGTH);
            exchange.sendResponseHeaders(206, LENGTH - first);
            exchange.getResponseBody().write(artifact, (int) first, (int) (LENGTH - first));
        }), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.ENDLESS_DATA));
    }

    @Test
    void otherBytesOfTheRightLengthAreAHashMismatchAndThePartFileIsDeleted() throws IOException {
        final byte[] other = artifact.clone();
        other[LENGTH / 2] ^= 1;
        final ArtifactDownload download = downloader(serve(ranged(other)), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.HASH_MISMATCH));
        assertThat(dir.resolve(sha256 + ".part")).doesNotExist();
        assertThat(dir.resolve(sha256)).doesNotExist();
    }

    @Test
    void aTricklingServerIsStoppedWithSlowRetrieval() throws IOException {
        final ArtifactDownload download = downloader(serve((exchange, first, last) -> {
            exchange.getResponseHeaders().add("Content-Range", "bytes " + first + "-" + last + "/" + LENGTH);
            exchange.sendResponseHeaders(206, last - first + 1);
            final OutputStream out = exchange.getResponseBody();
            for (long at = first; at <= last; at += 100) {
                out.write(artifact, (int) at, (int) Math.min(100, last - at + 1));
                out.flush();
                try {
                    Thread.sleep(50);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }), fast().withFloor(100_000, Duration.ofMillis(300)));

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class, s -> {
            assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.SLOW_RETRIEVAL);
            assertThat(s.reason().retriable()).isTrue();
        });
        assertThat(result.bytesTransferred()).isLessThan(LENGTH);
    }

    @Test
    void anUnknownArtifactIsNotFound() throws IOException {
        final ArtifactDownload download = downloader(serve((exchange, first, last) -> {
            final byte[] body = "{\"code\":\"UNKNOWN_ARTIFACT\",\"message\":\"no such artifact\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
        }), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class, s -> {
            assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.NOT_FOUND);
            assertThat(s.message()).contains("UNKNOWN_ARTIFACT");
        });
    }

    @Test
    void aBridgeThatKeepsFailingIsUnreachableAndThePartFileIsKept() throws IOException {
        final int[] calls = {0};
        final ArtifactDownload download = downloader(serve((exchange, first, last) -> {
            if (calls[0]++ == 0) {
                ranged(artifact).answer(exchange, first, last);
            } else {
                exchange.sendResponseHeaders(503, -1);
            }
        }), fast());

        final ArtifactDownload.Result result = download.fetch(sha256, LENGTH);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.UNREACHABLE));
        assertThat(Files.size(dir.resolve(sha256 + ".part"))).isEqualTo(64 * 1024);
    }
}
