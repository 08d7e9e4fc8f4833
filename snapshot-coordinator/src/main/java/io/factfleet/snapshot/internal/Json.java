package io.factfleet.snapshot.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The coordinator's JSON (records in stores and HTTP answers). */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Json() {
    }

    public static byte[] bytes(final Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T read(final byte[] bytes, final Class<T> type) {
        try {
            return MAPPER.readValue(bytes, type);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
