package io.factfleet.device;

import java.time.Duration;
import java.util.Optional;

/** The bridge refused or failed a request: HTTP status, the protocol's error code and message, and a retry hint. */
public final class BridgeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient Duration retryAfter;

    public BridgeException(final int status, final String code, final String message, final Duration retryAfter) {
        super(status + " " + code + ": " + message);
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** Whether sending the same request later may succeed (server busy, network, rate limits). */
    public boolean retriable() {
        return status == 0 || status == 429 || status >= 500 || "EPOCH_ADVANCED".equals(code);
    }
}
