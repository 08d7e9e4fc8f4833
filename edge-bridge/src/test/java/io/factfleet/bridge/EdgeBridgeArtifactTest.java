package io.factfleet.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.artifacts.ArtifactHash;
import io.factfleet.artifacts.FileArtifactStore;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.device.ArtifactDownload;
import io.factfleet.device.BridgeClient;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /v1/authorities/{id}/artifacts/{sha256}} over real HTTP against a started bridge (real
 * broker, fake reducer for rosters and the artifacts each authority's upgrades name): each range form
 * and edge case of RFC 7233; who may download (a signed request of a device of that authority, for an
 * artifact one of its upgrades names) and how often; and the device SDK's {@link ArtifactDownload}
 * through it, with a link cut mid-download, a crash and the download rate limit.
 */
class EdgeBridgeArtifactTest {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final int SMALL = 10_000;
    private static final long BIG = 50L * 1024 * 1024;

    private static final List<AutoCloseable> CLOSE = new ArrayList<>();
    private static FakeReducer reducer;
    private static EdgeBridgeService bridge;
    private static Path root;
    private static FileArtifactStore store;
    private static AuthorityGenesis authority;
    private static TestDevice device;
    /** A device of another authority, on the same bridge, with its own upgrade's artifact. */
    private static TestDevice outsider;
    private static ArtifactHash outsiderHash;
    private static byte[] small;
    private static ArtifactHash smallHash;
    private static Path bigFile;
    private static ArtifactHash bigHash;

    @BeforeAll
    static void start() throws IOException {
        root = Files.createTempDirectory("artifacts-test");
        store = new FileArtifactStore(root.resolve("store"));
        reducer = new FakeReducer();
        CLOSE.add(reducer);
        bridge = start(Map.of(BridgeConfig.ARTIFACTS_DIR, store.root().toString()));
        authority = AuthorityGenesis.generate("artifacts", 3, 2);
        reducer.addAuthority(authority, 0);
        device = new TestDevice(URI.create("http://localhost:" + bridge.port()), authority, 0, HTTP);
        small = new byte[SMALL];
        new Random(1).nextBytes(small);
        smallHash = store.put(new java.io.ByteArrayInputStream(small)).hash();
        bigFile = root.resolve("big.bin");
        writeRandom(bigFile, BIG, 2);
        try (InputStream in = Files.newInputStream(bigFile)) {
            bigHash = store.put(in).hash();
        }
        reducer.nameArtifact(authority.authorityId(), smallHash.hex());
        reducer.nameArtifact(authority.authorityId(), bigHash.hex());
        final AuthorityGenesis elsewhere = AuthorityGenesis.generate("elsewhere", 3, 2);
        reducer.addAuthority(elsewhere, 0);
        outsider = new TestDevice(URI.create("http://localhost:" + bridge.port()), elsewhere, 0, HTTP);
        outsiderHash = store.put(new java.io.ByteArrayInputStream("elsewhere's firmware".getBytes(java.nio.charset.StandardCharsets.UTF_8))).hash();
        reducer.nameArtifact(elsewhere.authorityId(), outsiderHash.hex());
    }

    @AfterAll
    static void stop() throws Exception {
        for (final AutoCloseable c : CLOSE) {
            c.close();
        }
        if (root != null) {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static EdgeBridgeService start(final Map<String, Object> overrides) {
        final Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put(BridgeConfig.REDUCER_URL, reducer.url());
        props.put(BridgeConfig.HTTP_PORT, 0);
        props.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
        props.put(BridgeConfig.RATE_DEVICE_BURST, 1_000);
        props.put(BridgeConfig.RATE_DEVICE_PER_SECOND, 1_000);
        // The tests' device asks for more than a real download's range requests a second; the rate limit has its own tests.
        props.put(BridgeConfig.ARTIFACTS_RATE_DEVICE_PER_SECOND, 1_000);
        props.put(BridgeConfig.STOP_GRACE_MS, 1_000);
        props.putAll(overrides);
        final EdgeBridgeService started = new EdgeBridgeService(BridgeConfig.of(props), new InMemorySchemaRegistryClient()).start();
        CLOSE.add(0, started::stop);
        return started;
    }

    private static void writeRandom(final Path file, final long length, final long seed) throws IOException {
        final Random random = new Random(seed);
        final byte[] block = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < length; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, length - written));
            }
        }
    }

    private static String path(final ArtifactHash hash) {
        return path(authority.authorityId(), hash);
    }

    private static String path(final String authorityId, final ArtifactHash hash) {
        return "/v1/authorities/" + authorityId + "/artifacts/" + hash.hex();
    }

    private static HttpResponse<byte[]> get(final ArtifactHash hash, final String... headers) {
        final Map<String, String> h = new HashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return device.getBytes(path(hash), h);
    }

    private static JsonNode json(final HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (final IOException e) {
            throw new UncheckedIOException(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8), e);
        }
    }

    private static void assertError(final HttpResponse<byte[]> response, final int status, final BridgeError code) {
        assertThat(response.statusCode()).as(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(json(response).path("code").asText()).isEqualTo(code.name());
        assertThat(json(response).path("message").asText()).isNotBlank();
    }

    private static String sha256(final Path file) throws IOException {
        final MessageDigest digest = Hashing.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            final byte[] buffer = new byte[1024 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return Hashing.hex(digest.digest());
    }

    private static BridgeClient client(final URI base, final Ed25519Keys.SigningKey key) {
        return new BridgeClient(base, authority.authorityId(), authority.deviceIds().get(1), key, System::currentTimeMillis,
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
    }

    private static ArtifactDownload.Settings settings() {
        return ArtifactDownload.Settings.defaults().withRetries(3, Duration.ofMillis(20));
    }

    // ---- the endpoint -----------------------------------------------------------------------

    @Test
    void aGetWithoutRangeIsTheWholeArtifactWithItsEntityTag() {
        final HttpResponse<byte[]> response = get(smallHash);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(small);
        assertThat(response.headers().firstValue("ETag")).hasValue("\"" + smallHash.hex() + "\"");
        assertThat(response.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(SMALL);
        assertThat(response.headers().firstValue("Content-Range")).isEmpty();
    }

    @Test
    void aFirstToLastRangeIsPartialContent() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=100-199");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes 100-199/" + SMALL);
        assertThat(response.headers().firstValue("ETag")).hasValue("\"" + smallHash.hex() + "\"");
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(small, 100, 200));
    }

    @Test
    void anOpenEndedRangeRunsToTheEnd() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=9000-");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes 9000-9999/" + SMALL);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(small, 9000, SMALL));
    }

    @Test
    void aSuffixRangeIsTheLastBytes() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=-500");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes 9500-9999/" + SMALL);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(small, 9500, SMALL));
    }

    @Test
    void aLastBytePastTheEndIsCutToTheEnd() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=9990-20000");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes 9990-9999/" + SMALL);
        assertThat(response.body()).hasSize(10);
    }

    @Test
    void aRangeStartingAtTheEndIs416WithTheLength() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=" + SMALL + "-");

        assertError(response, 416, BridgeError.RANGE_NOT_SATISFIABLE);
        assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes */" + SMALL);
        assertThat(json(response).path("length").asLong()).isEqualTo(SMALL);
    }

    @Test
    void moreThanOneRangeIs416() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=0-1,10-11");

        assertError(response, 416, BridgeError.MULTIPLE_RANGES);
        assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes */" + SMALL);
    }

    @Test
    void aMalformedRangeIs400() {
        assertError(get(smallHash, "Range", "bytes=20-10"), 400, BridgeError.MALFORMED_RANGE);
        assertError(get(smallHash, "Range", "bytes=x-"), 400, BridgeError.MALFORMED_RANGE);
    }

    @Test
    void anIfRangeNamingTheArtifactKeepsTheRange() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=0-9", "If-Range", "\"" + smallHash.hex() + "\"");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(response.body()).isEqualTo(Arrays.copyOf(small, 10));
    }

    @Test
    void anIfRangeNamingAnotherArtifactIsTheWholeOne() {
        final HttpResponse<byte[]> response = get(smallHash, "Range", "bytes=0-9", "If-Range", "\"" + bigHash.hex() + "\"");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(small);
    }

    @Test
    void anArtifactAnUpgradeNamesButTheStoreLacksIs404UnknownArtifact() {
        final ArtifactHash missing = new ArtifactHash("00".repeat(32));
        reducer.nameArtifact(authority.authorityId(), missing.hex());

        assertError(get(missing), 404, BridgeError.UNKNOWN_ARTIFACT);
    }

    @Test
    void aMalformedHashIs400() {
        final HttpResponse<byte[]> response = device.getBytes("/v1/authorities/" + authority.authorityId() + "/artifacts/not-a-hash", Map.of());

        assertError(response, 400, BridgeError.BAD_REQUEST);
    }

    @Test
    void anUnsignedRequestIsRefused() throws Exception {
        final HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + bridge.port() + path(smallHash)))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());

        assertError(response, 401, BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aRequestSignedByAKeyNotOnTheRosterIsRefused() {
        final TestDevice stranger = new TestDevice(URI.create("http://localhost:" + bridge.port()),
                AuthorityGenesis.generate("stranger", 1, 1), 0, HTTP);

        final HttpResponse<byte[]> response = stranger.getBytes(path(smallHash), Map.of());

        assertError(response, 401, BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aSignatureForOneArtifactDoesNotFetchAnother() throws Exception {
        final String signedFor = path(smallHash);
        final HttpRequest forged = HttpRequest.newBuilder(device.base().resolve(path(bigHash))).GET()
                .header("Authorization", device.authorization("GET", signedFor, new byte[0], System.currentTimeMillis(), TestDevice.nonce()))
                .build();

        assertError(HTTP.send(forged, HttpResponse.BodyHandlers.ofByteArray()), 401, BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aSignedRangeRequestSentAgainIsAReplay() throws Exception {
        final HttpRequest once = device.request("GET", path(smallHash), null, null, Map.of("Range", "bytes=0-9")).build();

        assertThat(HTTP.send(once, HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(206);
        assertError(HTTP.send(once, HttpResponse.BodyHandlers.ofByteArray()), 409, BridgeError.REPLAYED_REQUEST);
    }

    @Test
    void aDeviceOfAnotherAuthorityCannotNameThisAuthorityInThePath() {
        final HttpResponse<byte[]> response = outsider.getBytes(path(smallHash), Map.of());

        assertError(response, 403, BridgeError.WRONG_AUTHORITY);
    }

    @Test
    void aDeviceOfAnotherAuthorityCannotFetchThisAuthoritysFirmwareThroughItsOwn() {
        final HttpResponse<byte[]> response = outsider.getBytes(path(outsider.authorityId(), smallHash), Map.of());

        assertError(response, 404, BridgeError.ARTIFACT_NOT_IN_AUTHORITY);
        assertThat(json(response).path("message").asText()).contains("propose");
        assertThat(get(outsiderHash).statusCode()).as("and the other way round").isEqualTo(404);
        assertThat(outsider.getBytes(path(outsider.authorityId(), outsiderHash), Map.of()).statusCode()).isEqualTo(200);
    }

    @Test
    void aStoredArtifactNoUpgradeNamesIs404UntilAnUpgradeNamesIt() throws IOException {
        final ArtifactHash unproposed = store.put(new java.io.ByteArrayInputStream("not proposed yet".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .hash();

        assertError(get(unproposed), 404, BridgeError.ARTIFACT_NOT_IN_AUTHORITY);

        reducer.nameArtifact(authority.authorityId(), unproposed.hex());
        assertThat(get(unproposed).statusCode()).as("a just-proposed upgrade is not hidden by the cached answer").isEqualTo(200);
    }

    @Test
    void theRangeRequestsOfADownloadAskTheReducerAtMostOnce() {
        get(smallHash, "Range", "bytes=0-0");
        final int before = reducer.artifactQueries(authority.authorityId());

        for (int i = 1; i <= 10; i++) {
            assertThat(get(smallHash, "Range", "bytes=" + i + "-" + i).statusCode()).isEqualTo(206);
        }

        assertThat(reducer.artifactQueries(authority.authorityId()) - before).isLessThanOrEqualTo(1);
    }

    @Test
    void aDeviceOverItsDownloadRateIs429WithRetryAfter() {
        final EdgeBridgeService limited = start(Map.of(BridgeConfig.ARTIFACTS_DIR, store.root().toString(),
                BridgeConfig.ARTIFACTS_RATE_DEVICE_PER_SECOND, 1));
        final TestDevice onLimited = new TestDevice(URI.create("http://localhost:" + limited.port()), authority, 2, HTTP);

        HttpResponse<byte[]> response = null;
        for (int i = 0; i < 10 && (response == null || response.statusCode() != 429); i++) {
            response = onLimited.getBytes(path(smallHash), Map.of("Range", "bytes=0-9"));
        }

        assertError(response, 429, BridgeError.RATE_LIMITED);
        assertThat(json(response).path("message").asText()).contains("artifact download rate");
        assertThat(response.headers().firstValueAsLong("Retry-After").orElse(-1)).isBetween(1L, 2L);
        assertThat(json(response).path("retryAfterSeconds").asLong()).isBetween(1L, 2L);
    }

    @Test
    void aBridgeWithoutAnArtifactStoreSaysSo() {
        final EdgeBridgeService bare = start(Map.of());
        final TestDevice onBare = new TestDevice(URI.create("http://localhost:" + bare.port()), authority, 0, HTTP);

        final HttpResponse<byte[]> response = onBare.getBytes(path(smallHash), Map.of());

        assertError(response, 501, BridgeError.NO_ARTIFACT_STORE);
    }

    @Test
    void aFiftyMebibyteArtifactDownloadedInRangesHasItsHash() {
        final MessageDigest digest = Hashing.sha256();
        final long chunk = 8L * 1024 * 1024;
        long received = 0;
        for (long first = 0; first < BIG; first += chunk) {
            final long last = Math.min(BIG, first + chunk) - 1;
            final HttpResponse<byte[]> response = get(bigHash, "Range", "bytes=" + first + "-" + last);
            assertThat(response.statusCode()).isEqualTo(206);
            assertThat(response.headers().firstValue("Content-Range")).hasValue("bytes " + first + "-" + last + "/" + BIG);
            digest.update(response.body());
            received += response.body().length;
        }

        assertThat(received).isEqualTo(BIG);
        assertThat(Hashing.hex(digest.digest())).isEqualTo(bigHash.hex());
    }

    // ---- the device SDK's downloader through the bridge ----------------------------------------

    @Test
    void aDownloadWhoseLinkIsCutMidwayResumesAndMovesAtMostATenthMore() throws IOException {
        try (CuttingProxy proxy = new CuttingProxy(bridge.port())) {
            proxy.cutAfter(BIG * 2 / 5);
            final Path dir = root.resolve("device-cut");
            final ArtifactDownload download = new ArtifactDownload(client(proxy.uri(), authority.deviceKeys().get(1)), dir, settings());

            final ArtifactDownload.Result result = download.fetch(bigHash.hex(), BIG);

            assertThat(result).isInstanceOf(ArtifactDownload.Verified.class);
            assertThat(proxy.cuts()).isEqualTo(1);
            assertThat(sha256(dir.resolve(bigHash.hex()))).isEqualTo(bigHash.hex());
            assertThat(proxy.downstreamBytes()).isLessThanOrEqualTo((long) (BIG * 1.1));
            assertThat(result.bytesTransferred()).isLessThanOrEqualTo((long) (BIG * 1.1));
        }
    }

    @Test
    void aDownloadStoppedByACrashResumesFromThePartFileInTheNextFetch() throws IOException {
        try (CuttingProxy proxy = new CuttingProxy(bridge.port())) {
            proxy.cutAndRefuseAfter(BIG / 3);
            final Path dir = root.resolve("device-crash");
            final BridgeClient client = client(proxy.uri(), authority.deviceKeys().get(1));

            final ArtifactDownload.Result first = new ArtifactDownload(client, dir, settings().withRetries(0, Duration.ZERO))
                    .fetch(bigHash.hex(), BIG);
            assertThat(first).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                    s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.UNREACHABLE));
            final long kept = Files.size(dir.resolve(bigHash.hex() + ".part"));
            assertThat(kept).isGreaterThan(0).isLessThan(BIG);
            proxy.heal();

            final ArtifactDownload.Result second = new ArtifactDownload(client, dir, settings()).fetch(bigHash.hex(), BIG);

            assertThat(second).isInstanceOf(ArtifactDownload.Verified.class);
            assertThat(second.bytesTransferred()).isEqualTo(BIG - kept);
            assertThat(proxy.downstreamBytes()).isLessThanOrEqualTo((long) (BIG * 1.1));
            assertThat(sha256(dir.resolve(bigHash.hex()))).isEqualTo(bigHash.hex());
        }
    }

    @Test
    void anArtifactLongerThanTheMetadataSaysIsStoppedWithEndlessData() {
        final Path dir = root.resolve("device-endless");
        final ArtifactDownload download = new ArtifactDownload(client(device.base(), authority.deviceKeys().get(1)), dir, settings());

        final ArtifactDownload.Result result = download.fetch(smallHash.hex(), SMALL - 1);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.ENDLESS_DATA));
        assertThat(result.bytesTransferred()).isZero();
    }

    @Test
    void aDownloadOverTheRateLimitWaitsOutRetryAfterAndCompletes() {
        final EdgeBridgeService limited = start(Map.of(BridgeConfig.ARTIFACTS_DIR, store.root().toString(),
                BridgeConfig.ARTIFACTS_RATE_DEVICE_PER_SECOND, 2));
        final Path dir = root.resolve("device-limited");
        final ArtifactDownload download = new ArtifactDownload(client(URI.create("http://localhost:" + limited.port()),
                authority.deviceKeys().get(1)), dir, settings().withChunkBytes(SMALL / 4));

        final ArtifactDownload.Result result = download.fetch(smallHash.hex(), SMALL);

        assertThat(result).isInstanceOf(ArtifactDownload.Verified.class);
        assertThat(result.bytesTransferred()).isEqualTo(SMALL);
    }

    @Test
    void aDownloadOfAnArtifactNoUpgradeNamesStopsAsNotFound() {
        final Path dir = root.resolve("device-foreign");
        final ArtifactDownload download = new ArtifactDownload(client(device.base(), authority.deviceKeys().get(1)), dir, settings());

        final ArtifactDownload.Result result = download.fetch(outsiderHash.hex(), 20);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class, s -> {
            assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.NOT_FOUND);
            assertThat(s.message()).contains("ARTIFACT_NOT_IN_AUTHORITY");
        });
    }

    @Test
    void storedBytesThatAreNotTheHashAreAHashMismatch() throws IOException {
        final byte[] bytes = new byte[50_000];
        new Random(3).nextBytes(bytes);
        final ArtifactHash hash = store.put(new java.io.ByteArrayInputStream(bytes)).hash();
        reducer.nameArtifact(authority.authorityId(), hash.hex());
        bytes[123] ^= 1;
        Files.write(store.path(hash), bytes); // rot or tampering in the store
        final Path dir = root.resolve("device-mismatch");
        final ArtifactDownload download = new ArtifactDownload(client(device.base(), authority.deviceKeys().get(1)), dir, settings());

        final ArtifactDownload.Result result = download.fetch(hash.hex(), bytes.length);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class,
                s -> assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.HASH_MISMATCH));
        assertThat(dir.resolve(hash.hex() + ".part")).doesNotExist();
        assertThat(dir.resolve(hash.hex())).doesNotExist();
    }

    @Test
    void aDeviceTheRosterDoesNotKnowIsRefused() {
        final Path dir = root.resolve("device-refused");
        final ArtifactDownload download = new ArtifactDownload(client(device.base(), Ed25519Keys.generate()), dir, settings());

        final ArtifactDownload.Result result = download.fetch(smallHash.hex(), SMALL);

        assertThat(result).isInstanceOfSatisfying(ArtifactDownload.Stopped.class, s -> {
            assertThat(s.reason()).isEqualTo(ArtifactDownload.Reason.REFUSED);
            assertThat(s.message()).contains("UNAUTHENTICATED");
        });
    }
}
