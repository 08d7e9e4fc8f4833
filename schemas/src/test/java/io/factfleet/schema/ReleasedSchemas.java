package io.factfleet.schema;

import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.schema.state.MaintenanceState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;

/**
 * The schemas of every released version, kept in {@code schemas/src/main/released/<version>/}.
 * To release the current schemas as a new version run
 * {@code mvn -pl schemas test -Dtest=SchemaCompatibilityTest -Dfactfleet.schemas.release=<version>}.
 */
final class ReleasedSchemas {
    static final Path DIRECTORY = Path.of("src/main/released");

    /** The top-level contracts: what goes on the wire and into stores. */
    static Map<String, Schema> current() {
        final Map<String, Schema> schemas = new LinkedHashMap<>();
        schemas.put("FactEnvelope", FactEnvelope.getClassSchema());
        schemas.put("MaintenanceState", MaintenanceState.getClassSchema());
        schemas.put("RejectedFact", RejectedFact.getClassSchema());
        schemas.put("FactBatch", io.factfleet.schema.bridge.FactBatch.getClassSchema());
        return schemas;
    }

    static List<Path> versions() throws IOException {
        if (!Files.isDirectory(DIRECTORY)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(DIRECTORY)) {
            return new ArrayList<>(list.filter(Files::isDirectory).sorted().toList());
        }
    }

    static Schema load(final Path version, final String name) throws IOException {
        return new Schema.Parser().parse(version.resolve(name + ".avsc").toFile());
    }

    /** Whether {@code version} released the contract {@code name} (contracts added later are not in older releases). */
    static boolean released(final Path version, final String name) {
        return Files.exists(version.resolve(name + ".avsc"));
    }

    private ReleasedSchemas() {
    }
}
