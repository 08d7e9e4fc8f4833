package io.factfleet.registry.client;

/** A record could not be written under its schema (e.g. a required field is null). */
public final class AvroEncodeException extends AvroSerdeException {

    /** The {@link #getCode() code} of this error. */
    public static final String CODE = "UNENCODABLE";

    private static final long serialVersionUID = 1L;

    public AvroEncodeException(final String message, final Throwable cause) {
        super(message, cause);
    }

    @Override
    public String getCode() {
        return CODE;
    }
}
