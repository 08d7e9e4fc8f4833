package io.factfleet.registry.client;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An in-memory {@link SchemaRegistryClient} <strong>for unit tests</strong> of modules that use the
 * serdes without a running registry (like Confluent's {@code MockSchemaRegistryClient}). It follows the
 * registry's rules: global ids shared by identical schemas, versions from 1 per subject, compatibility
 * checks ({@link CompatibilityLevel#DEFAULT} unless set) and Confluent's error codes.
 *
 * <p>Thread-safe (every method is synchronized). Nothing is persisted.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

    private final Map<String, Integer> idsBySchemaText = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, TreeMap<Integer, Integer>> idsBySubjectVersion = new LinkedHashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.DEFAULT;
    private int lastId;

    @Override
    public synchronized int register(final String subject, final Schema schema) {
        final Optional<SubjectVersion> existing = find(subject, schema);
        if (existing.isPresent()) {
            return existing.get().id();
        }
        final List<String> problems = levelOf(subject).incompatibilities(schema, schemasOf(subject));
        if (!problems.isEmpty()) {
            throw new SchemaRegistryException(RegistryError.INCOMPATIBLE_SCHEMA,
                "Schema being registered is incompatible with an earlier schema for subject '" + subject + "': "
                    + String.join("; ", problems));
        }
        final int id = idsBySchemaText.computeIfAbsent(schema.toString(), text -> {
            final int next = ++lastId;
            schemasById.put(next, schema);
            return next;
        });
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.computeIfAbsent(subject, s -> new TreeMap<>());
        versions.put(versions.isEmpty() ? 1 : versions.lastKey() + 1, id);
        return id;
    }

    @Override
    public synchronized int lookup(final String subject, final Schema schema) {
        requireSubject(subject);
        return find(subject, schema).map(SubjectVersion::id).orElseThrow(() ->
            new SchemaRegistryException(RegistryError.SCHEMA_NOT_FOUND, "Schema not found under subject '"
                + subject + "'"));
    }

    @Override
    public synchronized Schema getSchemaById(final int id) {
        final Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new UnknownSchemaIdException(id, "Schema " + id + " not found");
        }
        return schema;
    }

    @Override
    public synchronized List<String> subjects() {
        return List.copyOf(idsBySubjectVersion.keySet());
    }

    @Override
    public synchronized List<Integer> versions(final String subject) {
        return List.copyOf(requireSubject(subject).keySet());
    }

    @Override
    public synchronized SubjectVersion version(final String subject, final String version) {
        final TreeMap<Integer, Integer> versions = requireSubject(subject);
        final int number;
        if (LATEST.equals(version)) {
            number = versions.lastKey();
        } else {
            number = parseVersion(version);
        }
        final Integer id = versions.get(number);
        if (id == null) {
            throw new SchemaRegistryException(RegistryError.VERSION_NOT_FOUND,
                "Version " + version + " not found for subject '" + subject + "'");
        }
        return new SubjectVersion(subject, number, id, schemasById.get(id));
    }

    @Override
    public synchronized boolean isCompatible(final String subject, final String version, final Schema schema) {
        final List<Schema> against;
        if (LATEST.equals(version)) {
            against = schemasOf(subject);
        } else {
            parseVersion(version);
            against = List.of(version(subject, version).schema());
        }
        return levelOf(subject).isCompatible(schema, against);
    }

    @Override
    public synchronized String getCompatibility(final Optional<String> subject) {
        return subject.map(this::levelOf).orElse(globalLevel).name();
    }

    @Override
    public synchronized void setCompatibility(final Optional<String> subject, final String level) {
        final CompatibilityLevel parsed = CompatibilityLevel.parse(level).orElseThrow(() ->
            new SchemaRegistryException(RegistryError.INVALID_COMPATIBILITY_LEVEL,
                "Invalid compatibility level '" + level + "'"));
        subject.ifPresentOrElse(s -> subjectLevels.put(s, parsed), () -> globalLevel = parsed);
    }

    private Optional<SubjectVersion> find(final String subject, final Schema schema) {
        final Integer id = idsBySchemaText.get(schema.toString());
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        if (id == null || versions == null) {
            return Optional.empty();
        }
        return versions.entrySet().stream()
            .filter(entry -> entry.getValue().equals(id))
            .findFirst()
            .map(entry -> new SubjectVersion(subject, entry.getKey(), id, schemasById.get(id)));
    }

    private CompatibilityLevel levelOf(final String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    private List<Schema> schemasOf(final String subject) {
        final List<Schema> schemas = new ArrayList<>();
        idsBySubjectVersion.getOrDefault(subject, new TreeMap<>()).values()
            .forEach(id -> schemas.add(schemasById.get(id)));
        return schemas;
    }

    private TreeMap<Integer, Integer> requireSubject(final String subject) {
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(RegistryError.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private static int parseVersion(final String version) {
        try {
            final int number = Integer.parseInt(version);
            if (number >= 1) {
                return number;
            }
        } catch (final NumberFormatException ignored) {
            // reported below
        }
        throw new SchemaRegistryException(RegistryError.INVALID_VERSION, "The specified version '" + version
            + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }
}
