package io.factfleet.registry.internal;

import io.factfleet.registry.client.RegistryError;

/**
 * An error the REST API reports as {@code {"error_code": ..., "message": ...}} with an HTTP status.
 */
public final class RegistryApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final int errorCode;

    public RegistryApiException(final int httpStatus, final int errorCode, final String message, final Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public RegistryApiException(final RegistryError error, final String message) {
        this(error.httpStatus(), error.code(), message, null);
    }

    public RegistryApiException(final RegistryError error, final String message, final Throwable cause) {
        this(error.httpStatus(), error.code(), message, cause);
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }
}
