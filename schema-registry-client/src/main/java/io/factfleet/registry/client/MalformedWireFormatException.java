package io.factfleet.registry.client;

/**
 * The bytes are not in the Confluent wire format: empty, shorter than the 5-byte header, or not
 * starting with magic byte 0. Usually a producer that did not use a registry-aware serializer.
 */
public final class MalformedWireFormatException extends AvroSerdeException {

    /** The {@link #getCode() code} of this error. */
    public static final String CODE = "MALFORMED_WIRE_FORMAT";

    private static final long serialVersionUID = 1L;

    public MalformedWireFormatException(final String message) {
        super(message);
    }

    @Override
    public String getCode() {
        return CODE;
    }
}
