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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The reducer's interactive-query API over HTTP (reducer-streams/README.md). Any reducer instance
 * answers for any authority by forwarding to the owner, so one base URL is enough; several (comma-separated) make the
 * bridge independent of any one instance: a request that cannot reach one (refused, reset, timed out) goes to the next,
 * and the one that answered is asked first from then on. An instance that answers, even with an error, is not skipped:
 * the others would forward to the same owner. Found by the reliability harness: with one URL, a reducer instance killed
 * made the bridge refuse every batch (503 REDUCER_UNAVAILABLE) although the other instance ran. Failures become
 * {@link ApiException}s the bridge relays: {@code 404 UNKNOWN_AUTHORITY}, {@code 503
 * STORE_REBALANCING} with the reducer's {@code Retry-After}, {@code 503 REDUCER_UNAVAILABLE}.
 */
public final class ReducerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_CHARS = 300;

    private final List<String> baseUrls;
    private final AtomicInteger preferred = new AtomicInteger();
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
        this.baseUrls = baseUrls(baseUrl);
        this.timeout = timeout;
        this.http = tls.trusting(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)).build();
    }

    /** The base URLs of a {@code bridge.reducer.url} value: comma-separated, without a trailing slash. */
    static List<String> baseUrls(final String value) {
        final List<String> urls = new ArrayList<>();
        for (final String part : value.split(",")) {
            final String url = part.strip();
            if (!url.isEmpty()) {
                urls.add(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            }
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("no reducer URL in '" + value + "'");
        }
        return List.copyOf(urls);
    }

    /** The base URLs, in the order they are tried. */
    public List<String> baseUrls() {
        return baseUrls;
    }

    public JsonNode get(final String path) {
        return send(path, "GET", null);
    }

    public JsonNode post(final String path, final JsonNode body) {
        return send(path, "POST", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #get} without holding a thread while the reducer answers; fails with an {@link ApiException}. */
    public CompletableFuture<JsonNode> getAsync(final String path) {
        return getAsync(path, preferred.get(), 0);
    }

    private CompletableFuture<JsonNode> getAsync(final String path, final int index, final int tried) {
        final HttpRequest request = request(index, path, "GET", null);
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((response, failure) -> {
                    if (failure == null) {
                        preferred.set(index);
                        return CompletableFuture.completedFuture(answer(request, response));
                    }
                    if (tried + 1 < baseUrls.size() && unreachable(failure)) {
                        return getAsync(path, (index + 1) % baseUrls.size(), tried + 1);
                    }
                    return CompletableFuture.<JsonNode>failedFuture(new CompletionException(unavailable(request, failure)));
                }).thenCompose(f -> f);
    }

    private static boolean unreachable(final Throwable failure) {
        final Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof IOException;
    }

    private HttpRequest request(final int index, final String path, final String method, final byte[] body) {
        final URI uri = URI.create(baseUrls.get(index) + path);
        final HttpRequest.Builder b = credential.sign(HttpRequest.newBuilder(uri), method, uri, body == null ? new byte[0] : body)
                .timeout(timeout).header("Accept", "application/json");
        return body == null ? b.GET().build()
                : b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    /** Sends to the preferred instance, and on to the next while one cannot be reached. */
    private JsonNode send(final String path, final String method, final byte[] body) {
        final int first = preferred.get();
        HttpRequest request = null;
        IOException failure = null;
        for (int tried = 0; tried < baseUrls.size(); tried++) {
            final int index = (first + tried) % baseUrls.size();
            request = request(index, path, method, body);
            try {
                final HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                preferred.set(index);
                return answer(request, response);
            } catch (final IOException e) {
                failure = e;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw unavailable(request, e);
            }
        }
        throw unavailable(request, failure);
    }

    private static ApiException unavailable(final HttpRequest request, final Throwable cause) {
        return ApiException.of(BridgeError.REDUCER_UNAVAILABLE, "no reducer instance answered " + request.method() + " "
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
