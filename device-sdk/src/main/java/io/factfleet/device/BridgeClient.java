package io.factfleet.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.schema.FactEnvelope;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The device's side of edge-bridge/PROTOCOL.md: every request signed with the device key, facts
 * submitted as Avro, catch-up by cursor (or a salted Bloom filter), pending work by long-poll.
 * Thread-safe. Failures are {@link BridgeException}s with the protocol's error code; a network
 * failure has status 0 and code {@code UNREACHABLE}.
 */
public final class BridgeClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final URI base;
    private final String authorityId;
    private final String deviceId;
    private final Ed25519Keys.SigningKey key;
    private final HttpClient http;
    private final LongSupplier clock;

    public BridgeClient(final URI base, final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key,
                        final LongSupplier clock) {
        this(base, authorityId, deviceId, key, clock, HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build());
    }

    /**
     * A client that sends through {@code http}: a gateway or a simulator speaking for many devices shares one
     * connection pool instead of one per device.
     */
    public BridgeClient(final URI base, final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key,
                        final LongSupplier clock, final HttpClient http) {
        this.base = base;
        this.authorityId = authorityId;
        this.deviceId = deviceId;
        this.key = key;
        this.clock = clock;
        this.http = http;
    }

    private volatile String installedHeader;

    /**
     * Reports the installed packages with every request ({@code X-FactFleet-Installed}, edge-bridge/PROTOCOL.md
     * "Hard forks"), so a device that just upgraded is admitted before its DeviceMetadata fact is in the journal.
     */
    public BridgeClient reportInstalled(final java.util.Map<String, Long> installed) {
        final StringBuilder header = new StringBuilder();
        new java.util.TreeMap<>(installed).forEach((p, v) -> header.append(header.length() == 0 ? "" : ",").append(p).append('=').append(v));
        this.installedHeader = header.length() == 0 ? null : header.toString();
        return this;
    }

    /** The bridge's answer for one submitted fact. */
    public record SubmitResult(String factId, Outbox.Outcome outcome, String code, String message) {
    }

    /**
     * What a sync round returned. {@code requestBytes} and {@code responseBytes} are the protocol's
     * overhead: the request body and its Authorization header, and the binary response body less
     * the canonical bytes of the facts it carried (the facts themselves are payload, not overhead).
     */
    public record SyncAnswer(String indexId, long upToSeq, boolean complete, byte[] merkleRoot, long factCount, List<FactEnvelope> facts,
                             long requestBytes, long responseBytes) {
    }

    /** Ingest's verdict on a fact. */
    public record FactStatus(String factId, String status, String code, String message) {
    }

    public List<SubmitResult> submit(final List<FactEnvelope> facts) {
        final ObjectNode body = JSON.createObjectNode();
        final ArrayNode array = body.putArray("facts");
        for (final FactEnvelope fact : facts) {
            array.add(Base64.getEncoder().encodeToString(Canonical.bytes(fact)));
        }
        final JsonNode answer = send("POST", "/v1/authorities/" + authorityId + "/facts", bytes(body), "application/vnd.factfleet.fact-batch+json",
                Duration.ofSeconds(30)).body;
        final List<SubmitResult> results = new ArrayList<>();
        for (final JsonNode r : answer.path("results")) {
            results.add(new SubmitResult(r.path("factId").asText(), Outbox.Outcome.valueOf(r.path("status").asText()),
                    r.path("code").isMissingNode() || r.path("code").isNull() ? null : r.path("code").asText(),
                    r.path("message").isMissingNode() || r.path("message").isNull() ? null : r.path("message").asText()));
        }
        return results;
    }

    public SyncAnswer sync(final String indexId, final long afterSeq, final byte[] merkleRoot, final SaltedBloomFilter bloom,
                           final boolean includeOwn) {
        final ObjectNode body = JSON.createObjectNode();
        body.put("indexId", indexId);
        body.put("afterSeq", afterSeq);
        body.put("merkleRoot", Hashing.hex(merkleRoot));
        body.put("includeOwn", includeOwn);
        if (bloom == null) {
            body.putNull("bloom");
        } else {
            final ObjectNode b = body.putObject("bloom");
            b.put("salt", Hashing.hex(bloom.salt()));
            b.put("hashes", bloom.hashes());
            b.put("bits", Base64.getEncoder().encodeToString(bloom.bitBytes()));
        }
        final byte[] request = bytes(body);
        final Raw raw = sendRaw("POST", "/v1/authorities/" + authorityId + "/sync", request, "application/json", SYNC_ANSWER_AVRO,
                Duration.ofSeconds(60));
        final io.factfleet.schema.bridge.SyncAnswer a = Canonical.decode(raw.body(), io.factfleet.schema.bridge.SyncAnswer.class);
        final List<FactEnvelope> facts = new ArrayList<>();
        long factBytes = 0;
        for (final java.nio.ByteBuffer f : a.getFacts()) {
            final byte[] fact = Canonical.array(f);
            factBytes += fact.length;
            facts.add(Canonical.decode(fact, FactEnvelope.class));
        }
        return new SyncAnswer(a.getIndexId(), a.getUpToSeq(), a.getComplete(), Canonical.array(a.getMerkleRoot()), a.getFactCount(), facts,
                request.length + raw.authorizationBytes(), raw.body().length - factBytes);
    }

    /** The authority's latest snapshot as the bridge relays it (unverified: the caller verifies it). */
    public record Snapshot(String proposalId, byte[] pointer, byte[] blob) {
    }

    /** The latest snapshot, or empty when the authority has none (NO_SNAPSHOT). */
    public java.util.Optional<Snapshot> snapshot() {
        try {
            return java.util.Optional.of(snapshotOf(send("GET", "/v1/authorities/" + authorityId + "/snapshot", new byte[0], null,
                    Duration.ofSeconds(60)).body));
        } catch (final BridgeException e) {
            if ("NO_SNAPSHOT".equals(e.code())) {
                return java.util.Optional.empty();
            }
            throw e;
        }
    }

    /** The snapshot in the bridge's answer to {@code GET .../snapshot} (package-private: the fuzz test decodes answers with it). */
    static Snapshot snapshotOf(final JsonNode a) {
        try {
            return new Snapshot(a.path("proposalId").asText(), java.util.Base64.getDecoder().decode(a.path("pointer").asText()),
                    java.util.Base64.getDecoder().decode(a.path("blob").asText()));
        } catch (final IllegalArgumentException e) {
            throw new BridgeException(200, "BAD_RESPONSE", "the bridge's snapshot answer does not carry its pointer and blob in base64: "
                    + e.getMessage(), null);
        }
    }

    public List<FactStatus> statuses(final List<String> factIds) {
        final ObjectNode body = JSON.createObjectNode();
        final ArrayNode ids = body.putArray("factIds");
        factIds.forEach(ids::add);
        final JsonNode a = send("POST", "/v1/authorities/" + authorityId + "/facts/status", bytes(body), "application/json",
                Duration.ofSeconds(30)).body;
        final List<FactStatus> out = new ArrayList<>();
        for (final JsonNode s : a.path("statuses")) {
            out.add(new FactStatus(s.path("factId").asText(), s.path("status").asText(), text(s, "code"), text(s, "message")));
        }
        return out;
    }

    /** Long-polls for what awaits this device; empty when the wait ended with nothing. */
    public Optional<JsonNode> pending(final Duration wait) {
        final JsonNode a = send("GET", "/v1/authorities/" + authorityId + "/devices/" + deviceId + "/pending?wait=" + wait.toSeconds(),
                new byte[0], null, wait.plusSeconds(10)).body;
        return Optional.of(a);
    }

    private static String text(final JsonNode node, final String field) {
        final JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    /** Accept type of the binary sync answer (edge-bridge/PROTOCOL.md). */
    public static final String SYNC_ANSWER_AVRO = "application/vnd.factfleet.sync+avro";

    private record Answer(JsonNode body, long bytes, long authorizationBytes) {
    }

    private record Raw(byte[] body, long authorizationBytes) {
    }

    private Answer send(final String method, final String pathWithQuery, final byte[] body, final String contentType, final Duration timeout) {
        final Raw raw = sendRaw(method, pathWithQuery, body, contentType, null, timeout);
        return new Answer(answer(raw.body()), raw.body().length, raw.authorizationBytes());
    }

    /** A 2xx answer's JSON body (an empty body is an empty object); package-private for the fuzz test. */
    static JsonNode answer(final byte[] body) {
        try {
            return body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (final IOException e) {
            throw new BridgeException(200, "BAD_RESPONSE", "the bridge answered something that is not JSON", null);
        }
    }

    private Raw sendRaw(final String method, final String pathWithQuery, final byte[] body, final String contentType, final String accept,
                        final Duration timeout) {
        final String auth = authorization(method, pathWithQuery, body);
        final HttpRequest.Builder request = signed(method, pathWithQuery, body, auth).timeout(timeout);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        final HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (final IOException e) {
            throw new BridgeException(0, "UNREACHABLE", "the bridge at " + base + " did not answer: " + e, null);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BridgeException(0, "INTERRUPTED", "interrupted while talking to the bridge", null);
        }
        if (response.statusCode() / 100 != 2) {
            JsonNode json;
            try {
                json = response.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(response.body());
            } catch (final IOException e) {
                json = JSON.createObjectNode();
            }
            final Duration retryAfter = response.headers().firstValue("Retry-After").map(v -> Duration.ofSeconds(Long.parseLong(v.strip()))).orElse(null);
            throw new BridgeException(response.statusCode(), json.path("code").asText("HTTP_" + response.statusCode()),
                    json.path("message").asText(new String(response.body(), StandardCharsets.UTF_8)), retryAfter);
        }
        return new Raw(response.body(), "Authorization: ".length() + auth.length());
    }

    private String authorization(final String method, final String pathWithQuery, final byte[] body) {
        final byte[] nonceBytes = new byte[16];
        RANDOM.nextBytes(nonceBytes);
        return RequestSignatures.header(method, pathWithQuery, body, clock.getAsLong(), Hashing.hex(nonceBytes), authorityId, deviceId, key);
    }

    private HttpRequest.Builder signed(final String method, final String pathWithQuery, final byte[] body, final String auth) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(pathWithQuery))
                .header("Authorization", auth)
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        final String installed = installedHeader;
        if (installed != null) {
            request.header("X-FactFleet-Installed", installed);
        }
        return request;
    }

    /** A signed request without a body (freshly signed: a nonce is good for one request), for {@link ArtifactDownload}. */
    HttpRequest.Builder signedGet(final String pathWithQuery) {
        return signed("GET", pathWithQuery, new byte[0], authorization("GET", pathWithQuery, new byte[0]));
    }

    /** The authority this device acts for. */
    String authorityId() {
        return authorityId;
    }

    /** The client requests go through. */
    HttpClient http() {
        return http;
    }

    /** The bridge's base URI. */
    URI base() {
        return base;
    }

    private static byte[] bytes(final JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
