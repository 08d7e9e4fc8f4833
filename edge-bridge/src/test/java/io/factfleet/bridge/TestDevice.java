package io.factfleet.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A device of a test authority talking to a bridge over signed requests. */
final class TestDevice {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    final AuthorityGenesis authority;
    final String deviceId;
    final Ed25519Keys.SigningKey key;
    private final URI base;
    private final HttpClient http;

    TestDevice(final URI base, final AuthorityGenesis authority, final int index, final HttpClient http) {
        this.base = base;
        this.authority = authority;
        this.deviceId = authority.deviceIds().get(index);
        this.key = authority.deviceKeys().get(index);
        this.http = http;
    }

    URI base() {
        return base;
    }

    String authorityId() {
        return authority.authorityId();
    }

    /** An answer: status, headers, body text. */
    record Answer(int status, HttpResponse<String> response) {
        JsonNode json() {
            try {
                return JSON.readTree(response.body());
            } catch (final IOException e) {
                throw new IllegalStateException("not JSON: " + response.body(), e);
            }
        }

        String code() {
            return json().path("code").asText();
        }

        @Override
        public String toString() {
            return status + " " + response.body();
        }
    }

    static String nonce() {
        final byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Hashing.hex(bytes);
    }

    String authorization(final String method, final String target, final byte[] body, final long ts, final String nonce) {
        return RequestSignatures.header(method, target, body, ts, nonce, authorityId(), deviceId, key);
    }

    HttpRequest.Builder request(final String method, final String target, final String contentType, final byte[] body,
                                final Map<String, String> headers) {
        final byte[] payload = body == null ? new byte[0] : body;
        final HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(target)).timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization(method, target, payload, System.currentTimeMillis(), nonce()))
                .method(method, payload.length == 0 && method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(payload));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        headers.forEach(builder::header);
        return builder;
    }

    Answer send(final HttpRequest request) {
        try {
            final HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(response.statusCode(), response);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Answer post(final String target, final String contentType, final byte[] body) {
        return send(request("POST", target, contentType, body, Map.of()).build());
    }

    Answer get(final String target) {
        return send(request("GET", target, null, null, Map.of()).build());
    }

    /** A signed GET whose body is kept as bytes (artifacts). */
    HttpResponse<byte[]> getBytes(final String target, final Map<String, String> headers) {
        try {
            return http.send(request("GET", target, null, null, headers).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    CompletableFuture<Answer> getAsync(final String target, final Map<String, String> headers) {
        return http.sendAsync(request("GET", target, null, null, headers).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(r -> new Answer(r.statusCode(), r));
    }

    String factsPath() {
        return "/v1/authorities/" + authorityId() + "/facts";
    }

    String pendingPath() {
        return "/v1/authorities/" + authorityId() + "/devices/" + deviceId + "/pending";
    }
}
