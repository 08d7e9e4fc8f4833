package io.factfleet.registry.client;

import java.nio.ByteBuffer;

/**
 * The Confluent wire format of a Kafka key or value: magic byte {@code 0}, the writer schema's registry
 * id as a 4-byte big-endian int, then the Avro binary encoding of the datum.
 *
 * <pre>
 * +------+-----------+----------------------+
 * | 0x00 | schema id | Avro binary body ... |
 * +------+-----------+----------------------+
 *   1 B     4 B BE
 * </pre>
 */
public final class WireFormat {

    /** The first byte of every payload. */
    public static final byte MAGIC_BYTE = 0x0;

    /** Bytes before the Avro body: the magic byte and the schema id. */
    public static final int HEADER_SIZE = 1 + Integer.BYTES;

    private WireFormat() {
    }

    /**
     * A payload split into its parts.
     *
     * @param schemaId the writer schema's registry id
     * @param body     the Avro binary body, a read-only view of the payload
     */
    public record Frame(int schemaId, ByteBuffer body) {
    }

    /** Prefixes {@code avroBody} with the magic byte and {@code schemaId}. */
    public static byte[] frame(final int schemaId, final byte[] avroBody) {
        return ByteBuffer.allocate(HEADER_SIZE + avroBody.length)
            .put(MAGIC_BYTE)
            .putInt(schemaId)
            .put(avroBody)
            .array();
    }

    /** Writes the 5-byte header for {@code schemaId}. */
    public static byte[] header(final int schemaId) {
        return ByteBuffer.allocate(HEADER_SIZE).put(MAGIC_BYTE).putInt(schemaId).array();
    }

    /**
     * Splits a payload into schema id and body.
     *
     * @throws MalformedWireFormatException if the payload is null, shorter than {@value #HEADER_SIZE}
     *                                      bytes, or does not start with magic byte 0
     */
    public static Frame parse(final byte[] payload) {
        if (payload == null || payload.length == 0) {
            throw new MalformedWireFormatException("Empty payload: expected the Confluent wire format "
                + "(magic byte 0, 4-byte schema id, Avro body)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new MalformedWireFormatException(String.format(
                "Unknown magic byte 0x%02x: expected 0x00 (Confluent wire format); the producer did not use a "
                    + "schema-registry serializer", payload[0] & 0xff));
        }
        if (payload.length < HEADER_SIZE) {
            throw new MalformedWireFormatException("Payload of " + payload.length + " byte(s) is shorter than the "
                + HEADER_SIZE + "-byte wire-format header (magic byte 0, 4-byte schema id)");
        }
        final ByteBuffer buffer = ByteBuffer.wrap(payload);
        buffer.get();
        final int schemaId = buffer.getInt();
        return new Frame(schemaId, buffer.slice().asReadOnlyBuffer());
    }

    /** The schema id of a payload. @see #parse(byte[]) */
    public static int schemaId(final byte[] payload) {
        return parse(payload).schemaId();
    }
}
