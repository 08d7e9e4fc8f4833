package io.factfleet.bridge.internal;

import io.factfleet.bridge.BridgeError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * An error answer: HTTP status, machine code, a message that says what to do, optional extra body
 * fields (e.g. {@code identityEpoch}) and an optional {@code Retry-After}. Thrown anywhere below a
 * route and written by the exception mapper in {@link BridgeHttpApi}.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final BridgeError error;
    private final int status;
    private final transient Map<String, Object> extra;
    private final Integer retryAfterSeconds;

    private ApiException(final BridgeError error, final int status, final String message, final Map<String, Object> extra,
                         final Integer retryAfterSeconds, final Throwable cause) {
        super(message, cause);
        this.error = error;
        this.status = status;
        this.extra = extra;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException of(final BridgeError error, final String message) {
        return new ApiException(error, error.httpStatus(), message, Map.of(), null, null);
    }

    public static ApiException of(final BridgeError error, final String message, final Throwable cause) {
        return new ApiException(error, error.httpStatus(), message, Map.of(), null, cause);
    }

    /** The same error with {@code Retry-After: seconds}. */
    public ApiException retryAfter(final int seconds) {
        return new ApiException(error, status, getMessage(), extra, Math.max(1, seconds), getCause());
    }

    /** The same error with one more body field. */
    public ApiException with(final String field, final Object value) {
        final Map<String, Object> more = new LinkedHashMap<>(extra);
        more.put(field, value);
        return new ApiException(error, status, getMessage(), Map.copyOf(more), retryAfterSeconds, getCause());
    }

    public BridgeError error() {
        return error;
    }

    public String code() {
        return error.name();
    }

    public int status() {
        return status;
    }

    public Map<String, Object> extra() {
        return extra;
    }

    public OptionalInt retryAfterSeconds() {
        return retryAfterSeconds == null ? OptionalInt.empty() : OptionalInt.of(retryAfterSeconds);
    }
}
