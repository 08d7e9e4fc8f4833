package io.factfleet.console.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** GETs JSON from the other services; failures become {@link IOException}s whose message says what failed where. */
public final class JsonHttp {
    public static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final HttpClient client;
    private final Duration timeout;
    private final io.factfleet.auth.OperatorCredential credential;

    /**
     * @param credential the console's own service identity, sent with every request
     * @param tls        what the client trusts when the other services serve HTTPS
     */
    public JsonHttp(final Duration timeout, final io.factfleet.auth.OperatorCredential credential, final io.factfleet.auth.HttpTls tls) {
        this.timeout = timeout;
        this.credential = credential;
        this.client = tls.trusting(HttpClient.newBuilder().connectTimeout(timeout)).build();
    }

    /** The JSON body of a 200 answer. */
    public JsonNode get(final URI uri) throws IOException {
        final HttpResponse<String> response;
        try {
            response = client.send(credential.sign(HttpRequest.newBuilder(uri), "GET", uri, new byte[0]).timeout(timeout)
                            .header("Accept", "application/json").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + uri, e);
        } catch (final IOException e) {
            throw new IOException(uri + " did not answer: " + e, e);
        }
        if (response.statusCode() != 200) {
            String message = response.body();
            try {
                final JsonNode body = JSON.readTree(response.body());
                if (body.hasNonNull("message")) {
                    message = body.get("message").asText();
                }
            } catch (final IOException notJson) {
                // keep the raw body
            }
            throw new IOException(uri + " answered " + response.statusCode() + ": " + abbreviate(message));
        }
        try {
            return JSON.readTree(response.body());
        } catch (final IOException e) {
            throw new IOException(uri + " answered something that is not JSON: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(final String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
