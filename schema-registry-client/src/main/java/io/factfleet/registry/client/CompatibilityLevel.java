package io.factfleet.registry.client;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The schema evolution rules of a subject, as the Confluent Schema Registry defines them, checked with
 * Avro's {@link SchemaCompatibility}. "Reads" means: a consumer using one schema can decode data
 * written with the other.
 */
public enum CompatibilityLevel {
    /** Anything goes. */
    NONE(false, false, false),
    /** The new schema reads data written with the latest version (consumers upgrade first). */
    BACKWARD(true, false, false),
    /** The new schema reads data written with every earlier version. */
    BACKWARD_TRANSITIVE(true, false, true),
    /** The latest version reads data written with the new schema (producers upgrade first). */
    FORWARD(false, true, false),
    /** Every earlier version reads data written with the new schema. */
    FORWARD_TRANSITIVE(false, true, true),
    /** Both {@link #BACKWARD} and {@link #FORWARD} against the latest version. */
    FULL(true, true, false),
    /** Both {@link #BACKWARD} and {@link #FORWARD} against every earlier version. */
    FULL_TRANSITIVE(true, true, true);

    /** The level of a subject, and of the registry, when none was set: {@link #BACKWARD}. */
    public static final CompatibilityLevel DEFAULT = BACKWARD;

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(final boolean backward, final boolean forward, final boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    /** True for the {@code _TRANSITIVE} levels, which check every earlier version, not only the latest. */
    public boolean isTransitive() {
        return transitive;
    }

    /** The level with this name, case-insensitively, if there is one. */
    public static Optional<CompatibilityLevel> parse(final String name) {
        if (name == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (final IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Why {@code candidate} breaks this level against {@code existing}; empty when it is compatible.
     *
     * @param existing the schemas to check against, oldest first; non-transitive levels use only the
     *                 last (newest) one
     * @return one sentence per incompatibility found
     */
    public List<String> incompatibilities(final Schema candidate, final List<Schema> existing) {
        final List<String> problems = new ArrayList<>();
        if (existing.isEmpty() || this == NONE) {
            return problems;
        }
        final List<Schema> checked = transitive ? existing : existing.subList(existing.size() - 1, existing.size());
        for (final Schema previous : checked) {
            if (backward) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, previous),
                    "the new schema cannot read data written with an existing version",
                    problems);
            }
            if (forward) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(previous, candidate),
                    "an existing version cannot read data written with the new schema",
                    problems);
            }
        }
        return problems;
    }

    /** True if {@code candidate} is compatible with {@code existing} (oldest first) under this level. */
    public boolean isCompatible(final Schema candidate, final List<Schema> existing) {
        return incompatibilities(candidate, existing).isEmpty();
    }

    private static void describe(final SchemaPairCompatibility result, final String direction,
                                 final List<String> problems) {
        if (result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (final Incompatibility incompatibility : result.getResult().getIncompatibilities()) {
            problems.add(direction + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
                + " (" + incompatibility.getMessage() + ")");
        }
    }
}
