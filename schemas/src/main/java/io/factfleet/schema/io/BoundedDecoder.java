package io.factfleet.schema.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

/**
 * Avro's binary decoder over bytes from outside, with every length and item count checked against the bytes that
 * are left before anything is allocated. Avro's own {@link BinaryDecoder} allocates what a length field says (up to
 * 2 GB for bytes and strings) and sizes an array by its block count before it reads an item, so a few bytes
 * (found by the fuzz targets: 29 bytes of a fact batch to the edge bridge) were an OutOfMemoryError. Here such
 * input is an {@link EOFException} like any other truncated input.
 *
 * <p>An item count is checked against the bytes left because every array and map item of FactFleet's schemas
 * takes at least one byte (bytes, strings and records with fields); a schema with items of no bytes (null, or a
 * record without fields) must not be read with this decoder.
 */
public final class BoundedDecoder extends Decoder {
    private final BinaryDecoder in;

    private BoundedDecoder(final BinaryDecoder in) {
        this.in = in;
    }

    /** A decoder of {@code length} bytes of {@code bytes} from {@code offset}. */
    public static BoundedDecoder of(final byte[] bytes, final int offset, final int length) {
        return new BoundedDecoder(DecoderFactory.get().binaryDecoder(bytes, offset, length, null));
    }

    public static BoundedDecoder of(final byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    /** The bytes not read yet. */
    public int remaining() throws IOException {
        return in.inputStream().available();
    }

    public boolean isEnd() throws IOException {
        return in.isEnd();
    }

    private int length(final String what) throws IOException {
        final long length = in.readLong();
        if (length < 0) {
            throw new AvroRuntimeException("Malformed data: " + what + " length is negative: " + length);
        }
        final int left = remaining();
        if (length > left) {
            throw new EOFException(what + " of " + length + " bytes, but only " + left + " bytes are left");
        }
        return (int) length;
    }

    private long items(final long count) throws IOException {
        // BinaryDecoder has made a negative block count (one followed by the block's size) positive already.
        final int left = remaining();
        if (count > left) {
            throw new EOFException("a block of " + count + " items, but only " + left + " bytes are left");
        }
        return count;
    }

    @Override
    public void readNull() throws IOException {
        in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return in.readDouble();
    }

    @Override
    public Utf8 readString(final Utf8 old) throws IOException {
        final int length = length("a string");
        final Utf8 out = old != null ? old : new Utf8();
        out.setByteLength(length);
        if (length > 0) {
            in.readFixed(out.getBytes(), 0, length);
        }
        return out;
    }

    @Override
    public String readString() throws IOException {
        final byte[] bytes = new byte[length("a string")];
        in.readFixed(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void skipString() throws IOException {
        in.skipFixed(length("a string"));
    }

    @Override
    public ByteBuffer readBytes(final ByteBuffer old) throws IOException {
        final byte[] bytes = new byte[length("a bytes value")];
        in.readFixed(bytes);
        return ByteBuffer.wrap(bytes);
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipFixed(length("a bytes value"));
    }

    @Override
    public void readFixed(final byte[] bytes, final int start, final int length) throws IOException {
        in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(final int length) throws IOException {
        in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
        return items(in.readArrayStart());
    }

    @Override
    public long arrayNext() throws IOException {
        return items(in.arrayNext());
    }

    @Override
    public long skipArray() throws IOException {
        return items(in.skipArray());
    }

    @Override
    public long readMapStart() throws IOException {
        return items(in.readMapStart());
    }

    @Override
    public long mapNext() throws IOException {
        return items(in.mapNext());
    }

    @Override
    public long skipMap() throws IOException {
        return items(in.skipMap());
    }

    @Override
    public int readIndex() throws IOException {
        return in.readIndex();
    }
}
