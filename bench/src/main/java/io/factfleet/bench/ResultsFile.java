package io.factfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * bench/results/latest.json is shared by several benchmarks, each owning some top-level keys:
 * {@link #merge} replaces the keys it is given and keeps every other key as it was, so a later
 * issue's keys (snapshot_complete_ms, gc_reclaimed_fraction, activation_ms, ...) survive this
 * bench's run and the other way round. The file is written atomically (temp file, then move).
 */
final class ResultsFile {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultsFile() {
    }

    /** The file's object with {@code owned}'s top-level keys replaced; returns what was written. */
    static ObjectNode merge(final Path file, final ObjectNode owned) {
        final ObjectNode merged = read(file);
        owned.fields().forEachRemaining(e -> merged.set(e.getKey(), e.getValue()));
        write(file, merged);
        return merged;
    }

    static ObjectNode read(final Path file) {
        if (!Files.exists(file)) {
            return JSON.createObjectNode();
        }
        try {
            final JsonNode existing = JSON.readTree(file.toFile());
            if (existing instanceof ObjectNode object) {
                return object;
            }
            throw new IllegalStateException(file + " does not hold a JSON object; not overwriting it");
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file + "; not overwriting it", e);
        }
    }

    private static void write(final Path file, final ObjectNode content) {
        try {
            final Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            final Path tmp = Files.createTempFile(dir, ".latest", ".json.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(content) + System.lineSeparator());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
