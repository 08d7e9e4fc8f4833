package io.factfleet.registry.client;

/**
 * The Avro body after the wire-format header does not decode under the writer schema its id names
 * (truncated, corrupt, trailing bytes), or the writer schema cannot be resolved to the reader's.
 */
public final class AvroDecodeException extends AvroSerdeException {

    /** The {@link #getCode() code} of this error. */
    public static final String CODE = "UNDECODABLE";

    private static final long serialVersionUID = 1L;

    private final int schemaId;

    public AvroDecodeException(final int schemaId, final String message, final Throwable cause) {
        super(message, cause);
        this.schemaId = schemaId;
    }

    /** The writer schema id the payload named. */
    public int schemaId() {
        return schemaId;
    }

    @Override
    public String getCode() {
        return CODE;
    }
}
