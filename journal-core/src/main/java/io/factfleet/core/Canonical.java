package io.factfleet.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.factfleet.schema.io.BoundedDecoder;
import java.nio.ByteBuffer;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Canonical bytes: the Avro binary encoding of a record under the schema compiled into this build.
 * Avro binary has exactly one encoding per value (no maps are used in FactFleet schemas, arrays are
 * ordered), so equal values give equal bytes.
 */
public final class Canonical {
    /*
     * Building a datum reader or writer resolves the schema, which costs more than encoding a small
     * record; the bench profile showed it at a third of the reducer's CPU. One per class and thread.
     */
    private static final ClassValue<ThreadLocal<SpecificDatumWriter<SpecificRecord>>> WRITERS = new ClassValue<>() {
        @Override
        protected ThreadLocal<SpecificDatumWriter<SpecificRecord>> computeValue(final Class<?> type) {
            return ThreadLocal.withInitial(() -> {
                final org.apache.avro.Schema schema = SpecificData.get().getSchema(type);
                return new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
            });
        }
    };
    private static final ClassValue<ThreadLocal<SpecificDatumReader<?>>> READERS = new ClassValue<>() {
        @Override
        protected ThreadLocal<SpecificDatumReader<?>> computeValue(final Class<?> type) {
            return ThreadLocal.withInitial(() -> new SpecificDatumReader<>(type));
        }
    };

    private Canonical() {
    }

    public static byte[] bytes(final SpecificRecord record) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        final SpecificDatumWriter<SpecificRecord> writer = WRITERS.get(record.getClass()).get();
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (final IOException e) {
            throw new UncheckedIOException("in-memory Avro encoding cannot fail", e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes bytes written by {@link #bytes} for the given generated class. The bytes may come from anyone: a length
     * or count beyond what the bytes hold is refused before anything is allocated ({@link BoundedDecoder}).
     *
     * @throws IllegalArgumentException when the bytes are not one such record
     */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> T decode(final byte[] bytes, final Class<T> type) {
        final SpecificDatumReader<T> reader = (SpecificDatumReader<T>) READERS.get(type).get();
        final BoundedDecoder decoder = BoundedDecoder.of(bytes);
        try {
            final T value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IllegalArgumentException("trailing bytes after a " + type.getSimpleName());
            }
            return value;
        } catch (final IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** Copies a ByteBuffer's remaining bytes without disturbing its position. */
    public static byte[] array(final ByteBuffer buffer) {
        final ByteBuffer view = buffer.duplicate();
        final byte[] out = new byte[view.remaining()];
        view.get(out);
        return out;
    }
}
