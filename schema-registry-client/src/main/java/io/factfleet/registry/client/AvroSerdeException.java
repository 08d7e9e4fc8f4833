package io.factfleet.registry.client;

import org.apache.kafka.common.errors.SerializationException;

/**
 * Base of every error raised by the registry client and the Avro serdes. Each subclass carries a
 * stable machine-readable {@link #getCode() code} (for metrics, dead-letter reasons and rejection
 * records) next to a message a person can act on.
 *
 * <p>It is a Kafka {@link SerializationException}, so Kafka clients and Kafka Streams' deserialization
 * exception handlers treat these errors as what they are.
 */
public abstract class AvroSerdeException extends SerializationException {

    private static final long serialVersionUID = 1L;

    protected AvroSerdeException(final String message) {
        super(message);
    }

    protected AvroSerdeException(final String message, final Throwable cause) {
        super(message, cause);
    }

    /** A stable code naming the kind of failure, e.g. {@code "MALFORMED_WIRE_FORMAT"}. */
    public abstract String getCode();
}
