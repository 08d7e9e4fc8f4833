package io.factfleet.registry.client;

/**
 * None of the configured registry URLs answered (connection refused, timeout, I/O error). Retrying
 * later may succeed.
 */
public final class SchemaRegistryUnavailableException extends SchemaRegistryException {

    /** The {@link #getCode() code} of this error. */
    public static final String CODE = "REGISTRY_UNAVAILABLE";

    /** The {@link #httpStatus()} reported, as no HTTP response was received. */
    public static final int NO_HTTP_STATUS = -1;

    private static final long serialVersionUID = 1L;

    public SchemaRegistryUnavailableException(final String message, final Throwable cause) {
        super(NO_HTTP_STATUS, NO_HTTP_STATUS, message, cause);
    }

    @Override
    public String getCode() {
        return CODE;
    }
}
