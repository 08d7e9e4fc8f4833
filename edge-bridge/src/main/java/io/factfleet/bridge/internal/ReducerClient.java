package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.bridge.BridgeError;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The reducer's interactive-query API over HTTP (reducer-streams/README.md). Any reducer instance
 * answers for any authority by forwarding to the owner, so one base URL is enough. Failures become
 * {@link ApiException}s the bridge relays: {@code 404 UNKNOWN_AUTHORITY}, {@code 503
 * STORE_REBALANCING} with the reducer's {@code Retry-After}, {@code 503 REDUCER_UNAVAILABLE}.
 */
public final class ReducerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_CHARS = 300;

    private final String baseUrl;
    private final Duration timeout;
    private final HttpClient http;
    private final io.factfleet.auth.OperatorCredential credential;

    public ReducerClient(final String baseUrl, final Duration timeout) {
        this(baseUrl, timeout, io.factfleet.auth.OperatorCredential.none(), io.factfleet.auth.HttpTls.none());
    }

    /**
     * @param credential the bridge's service identity, signing every request to the reducer
     * @param tls        what the client trusts when the reducer serves HTTPS ({@code factfleet.http.tls.truststore.*})
     */
    public ReducerClient(final String baseUrl, final Duration timeout, final io.factfleet.auth.OperatorCredential credential,
                         final io.factfleet.auth.HttpTls tls) {
        this.credential = credential;
        this.baseUrl = baseUrl;
        this.timeout = timeout;
        this.http = tls.trusting(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)).build();
    }

    public JsonNode get(final String path) {
        return send(request(path, "GET", new byte[0]).GET().build());
    }

    public JsonNode post(final String path, final JsonNode body) {
        final byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        return send(request(path, "POST", bytes).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }

    /** {@link #get} without holding a thread while the reducer answers; fails with an {@link ApiException}. */
    public CompletableFuture<JsonNode> getAsync(final String path) {
        final HttpRequest request = request(path, "GET", new byte[0]).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, failure) -> {
                    if (failure != null) {
                        throw new CompletionException(unavailable(request, failure));
                    }
                    return answer(request, response);
                });
    }

    private HttpRequest.Builder request(final String path, final String method, final byte[] body) {
        final URI uri = URI.create(baseUrl + path);
        return credential.sign(HttpRequest.newBuilder(uri), method, uri, body).timeout(timeout).header("Accept", "application/json");
    }

    private JsonNode send(final HttpRequest request) {
        try {
            return answer(request, http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
        } catch (final IOException e) {
            throw unavailable(request, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(request, e);
        }
    }

    private static ApiException unavailable(final HttpRequest request, final Throwable cause) {
        return ApiException.of(BridgeError.REDUCER_UNAVAILABLE, "the reducer did not answer " + request.method() + " "
                + request.uri().getPath() + ": " + cause + "; retry later", cause).retryAfter(1);
    }

    private static JsonNode answer(final HttpRequest request, final HttpResponse<String> response) {
        final String text = response.body() == null ? "" : response.body();
        JsonNode body;
        try {
            body = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (final IOException e) {
            body = null;
        }
        final int status = response.statusCode();
        if (status >= 200 && status < 300 && body != null) {
            return body;
        }
        final String code = body == null ? "" : body.path("code").asText("");
        final String message = body == null ? abbreviate(text) : body.path("message").asText(abbreviate(text));
        final int retryAfter = response.headers().firstValue("Retry-After").map(ReducerClient::seconds).orElse(1);
        if (status == 404 && BridgeError.UNKNOWN_AUTHORITY.name().equals(code)) {
            return throwing(ApiException.of(BridgeError.UNKNOWN_AUTHORITY, message));
        }
        if (status == 404 && BridgeError.NO_SNAPSHOT.name().equals(code)) {
            return throwing(ApiException.of(BridgeError.NO_SNAPSHOT, message));
        }
        if (status == 503 && BridgeError.STORE_REBALANCING.name().equals(code)) {
            return throwing(ApiException.of(BridgeError.STORE_REBALANCING, message).retryAfter(retryAfter));
        }
        if (status == 400) {
            return throwing(ApiException.of(BridgeError.BAD_REQUEST, "the reducer refused the query: " + code + " " + message));
        }
        return throwing(ApiException.of(BridgeError.REDUCER_UNAVAILABLE, "the reducer answered " + request.method() + " "
                + request.uri().getPath() + " with HTTP " + status + (code.isEmpty() ? "" : " " + code) + ": " + message).retryAfter(retryAfter));
    }

    private static JsonNode throwing(final ApiException e) {
        throw e;
    }

    private static int seconds(final String value) {
        try {
            return Math.max(1, Integer.parseInt(value.trim()));
        } catch (final NumberFormatException e) {
            return 1;
        }
    }

    private static String abbreviate(final String text) {
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS) + "...";
    }
}
