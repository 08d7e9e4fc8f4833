package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.BridgeError;
import io.factfleet.bridge.BridgeProtocol;
import io.factfleet.bridge.BridgeState;
import io.factfleet.artifacts.ArtifactHash;
import io.factfleet.artifacts.ArtifactStore;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.core.UpgradeChecks;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's HTTP endpoints (edge-bridge/PROTOCOL.md and README.md). Every {@code /v1} request
 * passes one admission in a before-handler, in this order: the bridge is RUNNING, the global rate
 * limit, the body size, the signed-request authentication, the path names the signer's authority
 * (and device), the device's rate limit and session caps (shedding low peer scores near the global
 * cap), the identity epoch the request names. The session ends in the after-handler.
 */
public final class BridgeHttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeHttpApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CALLER = "factfleet.caller";
    private static final String SESSION = "factfleet.session";
    private static final String BODY = "factfleet.body";
    private static final String ANSWERED = "factfleet.answered";
    private static final Pattern SCOPED_PATH = Pattern.compile("^/v1/authorities/([^/]+)(?:/devices/([^/]+))?(?:/.*)?$");
    private static final Pattern FACT_ID = Pattern.compile("[0-9a-f]{64}");
    private static final String EVENT_STREAM = "text/event-stream";
    /** The reducer answers at most this many statuses per query. */
    private static final int MAX_STATUS_IDS = 1_000;
    /** Copy buffer of artifact downloads. */
    private static final int STREAM_BUFFER_BYTES = 64 * 1024;
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /** What the endpoints work with. */
    public record Dependencies(BridgeConfig config, Supplier<BridgeState> state, DeviceAuthenticator authenticator, PeerRegistry peers,
                               FactBatchDecoder decoder, FactSubmission submission, ReducerClient reducer, PendingRelay pending,
                               BridgeMetrics metrics, java.util.Optional<ArtifactStore> artifacts, AuthorityArtifacts authorityArtifacts,
                               DownloadRateLimit downloads) {
    }

    private final Dependencies d;

    private BridgeHttpApi(final Dependencies dependencies) {
        this.d = dependencies;
    }

    /** A Javalin app with the routes and connectors, not yet started. */
    public static Javalin create(final Dependencies dependencies) {
        final BridgeHttpApi api = new BridgeHttpApi(dependencies);
        final BridgeConfig config = dependencies.config();
        final Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.jetty.addConnector((server, http) -> Connectors.plain(server, http, config));
            if (config.tlsKeystorePath().isPresent()) {
                c.jetty.addConnector((server, http) -> Connectors.tls(server, http, config));
            }
            c.requestLogger.http((ctx, millis) -> dependencies.metrics().request(route(ctx), ctx.method().name(), ctx.statusCode(),
                    Duration.ofNanos((long) (millis * 1_000_000))));
        });
        app.get("/health", api::health);
        app.get("/metrics", ctx -> {
            ctx.attribute(ANSWERED, Boolean.TRUE);
            ctx.contentType(PROMETHEUS_TEXT).result(dependencies.metrics().scrape());
        });
        app.before(BridgeProtocol.API_PREFIX + "/*", api::admit);
        app.after(BridgeProtocol.API_PREFIX + "/*", BridgeHttpApi::endSession);
        app.post("/v1/authorities/{authorityId}/facts", api::submit);
        app.get("/v1/authorities/{authorityId}/facts/{factId}/status", api::factStatus);
        app.post("/v1/authorities/{authorityId}/facts/status", api::factStatuses);
        app.post("/v1/authorities/{authorityId}/sync", api::sync);
        app.get("/v1/authorities/{authorityId}/snapshot", api::snapshot);
        app.get("/v1/authorities/{authorityId}/devices/{deviceId}/pending", api::pending);
        app.get("/v1/authorities/{authorityId}/devices/{deviceId}/pending/events", api::pendingEvents);
        app.get("/v1/authorities/{authorityId}/artifacts/{sha256}", api::artifact);
        app.exception(DeviceAuthenticator.AttributedException.class, (e, ctx) -> {
            api.peer(e.caller()).penalize(PeerRegistry.AUTH_FAILURE_PENALTY);
            api.fail(ctx, e.error());
        });
        app.exception(ApiException.class, (e, ctx) -> api.fail(ctx, e));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("Failed to answer {} {}", ctx.method(), ctx.path(), e);
            api.fail(ctx, ApiException.of(BridgeError.INTERNAL_ERROR, e.toString(), e));
        });
        app.error(404, ctx -> {
            if (ctx.attribute(ANSWERED) == null) {
                api.fail(ctx, ApiException.of(BridgeError.NOT_FOUND, "no endpoint " + ctx.method() + " " + ctx.path()));
            }
        });
        return app;
    }

    // ---- admission --------------------------------------------------------------------------

    private void admit(final Context ctx) {
        final BridgeState state = d.state().get();
        if (state != BridgeState.RUNNING) {
            throw ApiException.of(BridgeError.NOT_RUNNING, "the bridge is " + state + "; retry later").retryAfter(d.config().retryAfterSeconds());
        }
        d.peers().consumeGlobal();
        final byte[] body = readBody(ctx);
        ctx.attribute(BODY, body);
        d.metrics().bytesIn(body.length);
        final String query = ctx.req().getQueryString();
        final String target = ctx.req().getRequestURI() + (query == null ? "" : "?" + query);
        final Caller caller = d.authenticator().authenticate(ctx.method().name(), target, ctx.header("Authorization"), body);
        ctx.attribute(CALLER, caller);
        final Matcher scoped = SCOPED_PATH.matcher(ctx.req().getRequestURI());
        if (scoped.matches()) {
            final String authority = decode(scoped.group(1));
            if (!authority.equals(caller.authorityId())) {
                throw ApiException.of(BridgeError.WRONG_AUTHORITY, "device " + caller.deviceId() + " acts for " + caller.authorityId()
                        + " and may not act on " + authority);
            }
            if (scoped.group(2) != null && !decode(scoped.group(2)).equals(caller.deviceId())) {
                throw ApiException.of(BridgeError.WRONG_DEVICE, "device " + caller.deviceId() + " may not act for device " + decode(scoped.group(2)));
            }
        }
        requireRequiredPackages(ctx, caller);
        final PeerRegistry.Session session = d.peers().admit(peer(caller), d.config().retryAfterSeconds());
        ctx.attribute(SESSION, session);
        d.metrics().sessionStarted();
        final OptionalLong named = namedEpoch(ctx);
        if (named.isPresent() && caller.roster().identityEpoch() > named.getAsLong()) {
            throw epochAdvanced(named.getAsLong(), caller.roster().identityEpoch());
        }
    }

    /**
     * After a hard fork's fence the device must run at least the target version of its package
     * (PROTOCOL.md, "Hard forks"): what it reports in {@code X-FactFleet-Installed}, else what its
     * latest DeviceMetadata fact says.
     */
    private static void requireRequiredPackages(final Context ctx, final Caller caller) {
        if (caller.roster().requiredPackages().isEmpty()) {
            return;
        }
        final Map<String, Long> reported = installedHeader(ctx.header(BridgeProtocol.INSTALLED_HEADER));
        final Map<String, Long> known = caller.roster().member(caller.deviceId(), caller.keyId()).map(Roster.Member::installed).orElse(Map.of());
        final UpgradeChecks.Verdict verdict = UpgradeChecks.session(caller.roster().requiredPackages(),
                packageId -> reported.getOrDefault(packageId, known.getOrDefault(packageId, -1L)));
        if (!verdict.accepted()) {
            final UpgradeChecks.RequiredPackage missing = caller.roster().requiredPackages().stream()
                    .filter(r -> reported.getOrDefault(r.packageId(), known.getOrDefault(r.packageId(), -1L)) < r.version())
                    .findFirst().orElseThrow();
            throw ApiException.of(BridgeError.UPGRADE_REQUIRED, verdict.message() + "; then send " + BridgeProtocol.INSTALLED_HEADER
                    + ": " + missing.packageId() + "=" + missing.version())
                    .with("packageId", missing.packageId()).with("version", missing.version()).with("proposalId", missing.proposalId());
        }
    }

    /** {@code fw=5,boot=2} to a map; malformed entries are a 400. */
    static Map<String, Long> installedHeader(final String header) {
        if (header == null || header.isBlank()) {
            return Map.of();
        }
        final Map<String, Long> out = new java.util.TreeMap<>();
        for (final String part : header.split(",")) {
            final int eq = part.indexOf('=');
            try {
                out.put(part.substring(0, eq).trim(), Long.parseLong(part.substring(eq + 1).trim()));
            } catch (final RuntimeException e) {
                throw ApiException.of(BridgeError.BAD_REQUEST, BridgeProtocol.INSTALLED_HEADER + " must be <packageId>=<version>[,...], got '"
                        + header + "'");
            }
        }
        return out;
    }

    private byte[] readBody(final Context ctx) {
        final int max = d.config().maxBodyBytes();
        final long declared = ctx.req().getContentLengthLong();
        if (declared > max) {
            throw bodyTooLarge(declared, max);
        }
        try (InputStream in = ctx.req().getInputStream()) {
            final byte[] body = in.readNBytes(max + 1);
            if (body.length > max) {
                throw bodyTooLarge(body.length, max);
            }
            return body;
        } catch (final IOException e) {
            throw ApiException.of(BridgeError.BAD_REQUEST, "could not read the request body: " + e.getMessage(), e);
        }
    }

    private static ApiException bodyTooLarge(final long size, final int max) {
        return ApiException.of(BridgeError.BODY_TOO_LARGE, "the body is " + (size > max ? "more than " + max : size) + " bytes; bodies are at most "
                + max + " bytes: split the batch");
    }

    private static OptionalLong namedEpoch(final Context ctx) {
        final String value = ctx.header(BridgeProtocol.EPOCH_HEADER);
        if (value == null || value.isBlank()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(value.strip()));
        } catch (final NumberFormatException e) {
            throw ApiException.of(BridgeError.BAD_REQUEST, BridgeProtocol.EPOCH_HEADER + " must be an identity epoch (a whole number), not '" + value + "'");
        }
    }

    private static ApiException epochAdvanced(final long named, final long current) {
        return ApiException.of(BridgeError.EPOCH_ADVANCED, "the request names identity epoch " + named + " but the authority is at "
                + current + "; catch up (sync), then retry").with("identityEpoch", current);
    }

    private PeerRegistry.Peer peer(final Caller caller) {
        return d.peers().peer(caller.peerKey());
    }

    private static void endSession(final Context ctx) {
        final PeerRegistry.Session session = ctx.attribute(SESSION);
        if (session != null) {
            session.close();
        }
    }

    // ---- endpoints --------------------------------------------------------------------------

    private void health(final Context ctx) {
        final BridgeState state = d.state().get();
        write(ctx, state == BridgeState.RUNNING ? 200 : 503, JSON.createObjectNode().put("state", state.name()));
    }

    private void submit(final Context ctx) {
        final Caller caller = ctx.attribute(CALLER);
        final byte[] body = ctx.attribute(BODY);
        final List<SubmittedFact> facts = d.decoder().decode(ctx.header("Content-Type"), body);
        final List<FactSubmission.Result> results = d.submission().submit(caller, facts);
        final ArrayNode answers = JSON.createArrayNode();
        int accepted = 0;
        int duplicate = 0;
        for (final FactSubmission.Result r : results) {
            final ObjectNode answer = answers.addObject().put("factId", r.factId()).put("status", r.status());
            if (r.code() != null) {
                answer.put("code", r.code().name());
            }
            if (r.message() != null && r.code() != null) {
                answer.put("message", r.message());
            }
            if (r.status().equals(BridgeProtocol.ACCEPTED)) {
                accepted++;
            } else if (r.status().equals(BridgeProtocol.DUPLICATE)) {
                duplicate++;
            }
        }
        peer(caller).recordBatch(results.size(), accepted + duplicate);
        d.metrics().factsIn("accepted", accepted);
        d.metrics().factsIn("duplicate", duplicate);
        d.metrics().factsIn("rejected", results.size() - accepted - duplicate);
        final ObjectNode out = JSON.createObjectNode();
        out.set("results", answers);
        write(ctx, 200, out);
    }

    private void factStatus(final Context ctx) {
        final String factId = ctx.pathParam("factId").toLowerCase(Locale.ROOT);
        if (!FACT_ID.matcher(factId).matches()) {
            throw ApiException.of(BridgeError.BAD_REQUEST, "a fact id is 64 hex digits (SHA-256 of the fact's canonical body)");
        }
        final Caller caller = ctx.attribute(CALLER);
        write(ctx, 200, d.reducer().get("/authorities/" + caller.authorityId() + "/facts/" + factId + "/status"));
    }

    /** The authority's latest snapshot (pointer and blob, base64), relayed from the reducer; the device verifies it. */
    private void snapshot(final Context ctx) {
        final Caller caller = ctx.attribute(CALLER);
        write(ctx, 200, d.reducer().get("/authorities/" + caller.authorityId() + "/snapshot"));
    }

    private void factStatuses(final Context ctx) {
        final Caller caller = ctx.attribute(CALLER);
        final JsonNode request = jsonBody(ctx, "{\"factIds\": [\"<64 hex digits>\", ...]}");
        final JsonNode ids = request.path("factIds");
        if (!ids.isArray() || ids.size() > MAX_STATUS_IDS) {
            throw ApiException.of(BridgeError.BAD_REQUEST, "factIds must be an array of at most " + MAX_STATUS_IDS + " fact ids");
        }
        final ArrayNode clean = JSON.createArrayNode();
        for (final JsonNode id : ids) {
            final String factId = id.asText("").toLowerCase(Locale.ROOT);
            if (!id.isTextual() || !FACT_ID.matcher(factId).matches()) {
                throw ApiException.of(BridgeError.BAD_REQUEST, "a fact id is 64 hex digits, not " + id);
            }
            clean.add(factId);
        }
        final ObjectNode query = JSON.createObjectNode();
        query.set("factIds", clean);
        write(ctx, 200, d.reducer().post("/authorities/" + caller.authorityId() + "/facts/status", query));
    }

    private static JsonNode jsonBody(final Context ctx, final String expected) {
        final byte[] body = ctx.attribute(BODY);
        final JsonNode json;
        try {
            json = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (final IOException e) {
            throw ApiException.of(BridgeError.MALFORMED_JSON, "the body is not JSON: " + e.getMessage());
        }
        if (json == null || !json.isObject()) {
            throw ApiException.of(BridgeError.MALFORMED_JSON, "expected " + expected);
        }
        return json;
    }

    private void sync(final Context ctx) {
        final Caller caller = ctx.attribute(CALLER);
        final JsonNode request = jsonBody(ctx, "{\"indexId\": ..., \"afterSeq\": n, \"merkleRoot\": ..., \"bloom\": null}");
        final JsonNode after = request.path("afterSeq");
        if (!after.isMissingNode() && !after.isNull() && (!after.isIntegralNumber() || after.asLong() < 0)) {
            throw ApiException.of(BridgeError.BAD_REQUEST, "afterSeq must be a sequence number, 0 for none");
        }
        final long afterSeq = after.asLong(0);
        final boolean includeOwn = request.path("includeOwn").asBoolean(false);
        final int maxBytes = request.path("maxBytes").canConvertToInt() && request.path("maxBytes").asInt() > 0
                ? Math.min(request.path("maxBytes").asInt(), d.config().syncMaxBytes()) : d.config().syncMaxBytes();
        final ObjectNode query = JSON.createObjectNode()
                .put("afterSeq", afterSeq)
                .put("includeOwn", includeOwn)
                .put("maxBytes", maxBytes);
        if (includeOwn) {
            query.putNull("excludeDevice");
        } else {
            query.put("excludeDevice", caller.deviceId());
        }
        query.set("bloom", bloom(request.get("bloom")));
        final JsonNode answer = d.reducer().post("/authorities/" + caller.authorityId() + "/sync", query);
        final String indexId = request.path("indexId").asText("");
        if (!indexId.isEmpty() && afterSeq > 0 && !indexId.equals(answer.path("indexId").asText())) {
            throw ApiException.of(BridgeError.INDEX_CHANGED, "the reducer's fact index is now " + answer.path("indexId").asText()
                    + ", so afterSeq " + afterSeq + " of index " + indexId + " means nothing; sync again with afterSeq 0 and a salted Bloom filter")
                    .with("indexId", answer.path("indexId").asText());
        }
        d.metrics().factsOut(answer.path("facts").size());
        final String accept = ctx.header("Accept");
        if (accept != null && accept.contains(io.factfleet.bridge.BridgeProtocol.SYNC_ANSWER_AVRO)) {
            final java.util.List<java.nio.ByteBuffer> facts = new java.util.ArrayList<>();
            for (final JsonNode fact : answer.path("facts")) {
                facts.add(java.nio.ByteBuffer.wrap(Base64.getDecoder().decode(fact.asText())));
            }
            final io.factfleet.schema.bridge.SyncAnswer binary = new io.factfleet.schema.bridge.SyncAnswer(answer.path("authorityId").asText(),
                    answer.path("indexId").asText(), answer.path("upToSeq").asLong(), answer.path("complete").asBoolean(),
                    java.nio.ByteBuffer.wrap(io.factfleet.core.Hashing.unhex(answer.path("merkleRoot").asText())), answer.path("factCount").asLong(), facts);
            ctx.status(200).contentType(io.factfleet.bridge.BridgeProtocol.SYNC_ANSWER_AVRO).result(io.factfleet.core.Canonical.bytes(binary));
            return;
        }
        write(ctx, 200, answer);
    }

    /** Validates the device's Bloom filter (salt, hashes, bits) and passes it on unchanged; null stays null. */
    private static JsonNode bloom(final JsonNode bloom) {
        if (bloom == null || bloom.isNull()) {
            return JSON.nullNode();
        }
        try {
            final byte[] salt = io.factfleet.core.Hashing.unhex(bloom.path("salt").asText(""));
            final byte[] bits = Base64.getDecoder().decode(bloom.path("bits").asText(""));
            SaltedBloomFilter.of(salt, bloom.path("hashes").asInt(0), bits);
        } catch (final IllegalArgumentException e) {
            throw ApiException.of(BridgeError.BAD_REQUEST, "bloom must be {\"salt\": <" + SaltedBloomFilter.SALT_BYTES
                    + " bytes hex>, \"hashes\": 1..32, \"bits\": <base64, whole bytes>}: " + e.getMessage());
        }
        return JSON.createObjectNode().put("salt", bloom.path("salt").asText()).put("hashes", bloom.path("hashes").asInt())
                .put("bits", bloom.path("bits").asText());
    }

    private void pending(final Context ctx) {
        final Caller caller = ctx.attribute(CALLER);
        final Duration wait = waitParam(ctx);
        final OptionalLong named = namedEpoch(ctx);
        ctx.future(() -> d.pending().longPoll(caller.authorityId(), caller.deviceId(), wait, named).handle((answer, failure) -> {
            if (failure != null) {
                fail(ctx, PendingRelay.unwrap(failure));
            } else {
                write(ctx, 200, answer);
            }
            return null;
        }));
    }

    private Duration waitParam(final Context ctx) {
        final String raw = ctx.queryParam("wait");
        if (raw == null || raw.isBlank()) {
            return d.config().pendingWaitDefault();
        }
        try {
            final long seconds = Long.parseLong(raw.strip());
            if (seconds >= 0 && seconds <= d.config().pendingWaitMax().toSeconds()) {
                return Duration.ofSeconds(seconds);
            }
        } catch (final NumberFormatException e) {
            // answered below
        }
        throw ApiException.of(BridgeError.BAD_REQUEST, "wait must be a number of seconds from 0 to " + d.config().pendingWaitMax().toSeconds());
    }

    private void pendingEvents(final Context ctx) throws Exception {
        if (!EVENT_STREAM.equals(ctx.header("Accept"))) {
            throw ApiException.of(BridgeError.NOT_ACCEPTABLE, "this endpoint streams server-sent events: send 'Accept: " + EVENT_STREAM + "'");
        }
        final Caller caller = ctx.attribute(CALLER);
        final PeerRegistry.Session session = ctx.attribute(SESSION);
        final OptionalLong named = namedEpoch(ctx);
        final Duration duration = d.config().pendingWaitMax();
        new SseHandler(0, client -> {
            client.keepAlive();
            client.onClose(session::close);
            d.pending().stream(caller.authorityId(), caller.deviceId(), duration, named, sink(client));
        }).handle(ctx);
    }

    /**
     * An artifact by SHA-256, whole or one byte range (RFC 7233; {@link ByteRanges} decides), streamed from the
     * store. {@code ETag} is the quoted hash: an artifact never changes, so any {@code If-Range} naming it holds.
     * The signer is a device of the authority in the path (admission); its artifact download rate comes next, then
     * an upgrade of that authority must name the artifact (before the store is asked, so a device learns nothing
     * of other authorities' artifacts).
     */
    private void artifact(final Context ctx) throws IOException {
        final Caller caller = ctx.attribute(CALLER);
        final ArtifactStore store = d.artifacts().orElseThrow(() -> ApiException.of(BridgeError.NO_ARTIFACT_STORE,
                "this bridge serves no artifacts: set " + BridgeConfig.ARTIFACTS_DIR + " to the artifact store's directory"));
        d.downloads().consume(caller);
        final ArtifactHash hash = ArtifactHash.parse(ctx.pathParam("sha256")).orElseThrow(() -> ApiException.of(BridgeError.BAD_REQUEST,
                "an artifact is named by its SHA-256: 64 hex digits (UpgradeMetadata.artifactSha256), not '" + ctx.pathParam("sha256") + "'"));
        d.authorityArtifacts().require(caller.authorityId(), hash);
        final long length = store.stat(hash).orElseThrow(() -> ApiException.of(BridgeError.UNKNOWN_ARTIFACT,
                "no artifact with SHA-256 " + hash + " is stored on this bridge; it may not be uploaded yet (factfleet artifact upload)"));
        final String etag = "\"" + hash.hex() + "\"";
        ctx.header("Accept-Ranges", "bytes");
        ctx.header("ETag", etag);
        final ByteRanges.Decision decision = ByteRanges.decide(ctx.header("Range"), ctx.header("If-Range"), etag, length);
        if (decision instanceof ByteRanges.Partial p) {
            ctx.header("Content-Range", "bytes " + p.first() + "-" + p.last() + "/" + length);
            stream(ctx, 206, store, hash, p.first(), p.length());
        } else if (decision instanceof ByteRanges.Whole) {
            stream(ctx, 200, store, hash, 0, length);
        } else if (decision instanceof ByteRanges.Unsatisfiable u) {
            ctx.header("Content-Range", "bytes */" + length);
            throw ApiException.of(BridgeError.RANGE_NOT_SATISFIABLE, u.message() + "; the artifact has " + length + " bytes").with("length", length);
        } else if (decision instanceof ByteRanges.MultipleRanges several) {
            ctx.header("Content-Range", "bytes */" + length);
            throw ApiException.of(BridgeError.MULTIPLE_RANGES, "the Range names " + several.count() + " ranges; ask for one range per request")
                    .with("length", length);
        } else if (decision instanceof ByteRanges.Malformed malformed) {
            throw ApiException.of(BridgeError.MALFORMED_RANGE, malformed.message());
        }
    }

    /** Copies the bytes straight to the response (never all in memory); a device that hangs up ends it quietly. */
    private void stream(final Context ctx, final int status, final ArtifactStore store, final ArtifactHash hash, final long offset,
                        final long length) throws IOException {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        ctx.status(status);
        ctx.res().setContentType("application/octet-stream");
        ctx.res().setContentLengthLong(length);
        long sent = 0;
        try (InputStream in = store.open(hash, offset, length)) {
            final OutputStream out = ctx.res().getOutputStream();
            final byte[] buffer = new byte[STREAM_BUFFER_BYTES];
            int n;
            try {
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    sent += n;
                }
                out.flush();
            } catch (final IOException e) {
                LOG.debug("{} {}: the device hung up after {} of {} bytes: {}", ctx.method(), ctx.path(), sent, length, e.toString());
            }
        } finally {
            d.metrics().bytesOut(sent);
        }
    }

    private PendingRelay.EventSink sink(final SseClient client) {
        return new PendingRelay.EventSink() {
            @Override
            public boolean send(final String event, final String data) {
                client.sendEvent(event, data);
                d.metrics().bytesOut(data.length());
                return !client.terminated();
            }

            @Override
            public void keepAlive() {
                client.sendComment("keep-alive");
            }

            @Override
            public boolean closed() {
                return client.terminated();
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }

    // ---- answers ----------------------------------------------------------------------------

    private void fail(final Context ctx, final ApiException e) {
        final Caller caller = ctx.attribute(CALLER);
        if (caller != null) {
            final double penalty = penalty(e.error());
            if (penalty > 0) {
                peer(caller).penalize(penalty);
            }
        }
        if (e.status() >= 500) {
            LOG.warn("{} {}: {} {}", ctx.method(), ctx.path(), e.code(), e.getMessage());
        }
        d.metrics().error(e.code());
        final ObjectNode body = JSON.createObjectNode().put("code", e.code()).put("message", e.getMessage());
        e.extra().forEach((k, v) -> body.set(k, JSON.valueToTree(v)));
        e.retryAfterSeconds().ifPresent(seconds -> {
            ctx.header("Retry-After", String.valueOf(seconds));
            body.put("retryAfterSeconds", seconds);
        });
        write(ctx, e.status(), body);
        endSession(ctx);
    }

    /** Trust lost for an error that is the authenticated device's doing. */
    private static double penalty(final BridgeError error) {
        return switch (error) {
            case REPLAYED_REQUEST, WRONG_AUTHORITY, WRONG_DEVICE -> PeerRegistry.AUTH_FAILURE_PENALTY;
            case MALFORMED_JSON, MALFORMED_WIRE_FORMAT, UNKNOWN_SCHEMA_ID, UNDECODABLE, BATCH_TOO_LARGE, BAD_REQUEST, UNSUPPORTED_MEDIA_TYPE ->
                    PeerRegistry.MALFORMED_PENALTY;
            default -> 0;
        };
    }

    private void write(final Context ctx, final int status, final JsonNode body) {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        final byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        d.metrics().bytesOut(bytes.length);
        ctx.status(status).contentType("application/json").result(bytes);
    }

    private static String route(final Context ctx) {
        try {
            final String path = ctx.endpointHandlerPath();
            return path == null || path.isEmpty() ? "unmatched" : path;
        } catch (final RuntimeException e) {
            return "unmatched";
        }
    }

    private static String decode(final String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
