package io.factfleet.reducer.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP answer computed once and written as is, whether it was computed here or relayed from the
 * instance that owns the authority: status, JSON body, extra headers.
 */
public record HttpAnswer(int status, byte[] body, Map<String, String> headers) {
    public static final String RETRY_AFTER = "Retry-After";
    /** The {@code host:port} ({@code application.server}) of the instance whose stores answered, forwarded or not. */
    public static final String SERVED_BY = "X-FactFleet-Served-By";
    static final ObjectMapper JSON = new ObjectMapper();

    public static HttpAnswer ok(final ObjectNode body) {
        return json(200, body, Map.of());
    }

    /** An error: {@code {code, message}} with the given status. */
    public static HttpAnswer error(final int status, final ErrorCode code, final String message) {
        return json(status, errorBody(code, message), Map.of());
    }

    /** 503 while the store that owns a key is moving or unreachable: the client should retry. */
    public static HttpAnswer rebalancing(final String message, final int retryAfterSeconds) {
        final ObjectNode body = errorBody(ErrorCode.STORE_REBALANCING, message);
        body.put("retryAfterSeconds", retryAfterSeconds);
        return json(503, body, Map.of(RETRY_AFTER, String.valueOf(retryAfterSeconds)));
    }

    public static HttpAnswer json(final int status, final ObjectNode body, final Map<String, String> headers) {
        try {
            return new HttpAnswer(status, JSON.writeValueAsBytes(body), new LinkedHashMap<>(headers));
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("a Jackson tree always serializes", e);
        }
    }

    /** This answer with one more header. */
    public HttpAnswer withHeader(final String name, final String value) {
        final Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new HttpAnswer(status, body, more);
    }

    static ObjectNode errorBody(final ErrorCode code, final String message) {
        final ObjectNode body = JSON.createObjectNode();
        body.put("code", code.name());
        body.put("message", message);
        return body;
    }

    /** The machine-readable codes of error answers. */
    public enum ErrorCode {
        /** The store owning the authority is being moved, restored or its owner is unreachable: retry. */
        STORE_REBALANCING,
        /** No fact of this authority was ever folded. */
        UNKNOWN_AUTHORITY,
        /** The authority has no completed snapshot. */
        NO_SNAPSHOT,
        /** The {@code after} cursor names no indexed fact of the authority. */
        UNKNOWN_CURSOR,
        /** A query parameter or the request body is malformed. */
        BAD_REQUEST,
        /** The request body is larger than the reducer accepts. */
        BODY_TOO_LARGE,
        /** No such endpoint. */
        NOT_FOUND,
        /** Kafka Streams is not running on this instance. */
        NOT_RUNNING,
        /** A bug: the message says what failed. */
        INTERNAL_ERROR
    }
}
