package io.factfleet.registry.internal;

import io.factfleet.registry.client.CompatibilityLevel;
import io.factfleet.registry.client.SubjectVersion;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry's contents as the store topic describes them up to some offset: schemas by id, the
 * versions of each subject, compatibility levels. Changed only by {@code apply*} in topic order, so every
 * instance reading the same topic holds the same state.
 *
 * <p>Should two writers ever race, the record earlier in the topic wins: a later record giving a taken
 * id to another schema, or a taken subject version to another id, is ignored (and logged).
 *
 * <p>Thread-safe: the store's reader thread applies, request threads read.
 */
final class RegistryState {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryState.class);

    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsBySchemaText = new HashMap<>();
    private final Map<String, TreeMap<Integer, Integer>> idsBySubjectVersion = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private int maxId;

    /** Applies a subject-version record; a null value (tombstone) removes the version. */
    synchronized void applySchema(final StoreRecords.SchemaKey key, final StoreRecords.SchemaValue value) {
        if (value == null || value.deleted()) {
            final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(key.subject());
            if (versions != null) {
                versions.remove(key.version());
                if (versions.isEmpty()) {
                    idsBySubjectVersion.remove(key.subject());
                }
            }
            if (value != null) {
                registerId(value.id(), value.schema());
            }
            return;
        }
        if (!registerId(value.id(), value.schema())) {
            return;
        }
        final TreeMap<Integer, Integer> versions =
            idsBySubjectVersion.computeIfAbsent(value.subject(), s -> new TreeMap<>());
        final Integer existing = versions.putIfAbsent(value.version(), value.id());
        if (existing != null && existing != value.id()) {
            LOG.warn("Ignoring store record giving version {} of subject '{}' to schema id {}: it already has id {}",
                value.version(), value.subject(), value.id(), existing);
        }
    }

    /** Applies a compatibility-level record; a null level removes the subject's (or the global) level. */
    synchronized void applyConfig(final StoreRecords.ConfigKey key, final String level) {
        final Optional<CompatibilityLevel> parsed = Optional.ofNullable(level).flatMap(CompatibilityLevel::parse);
        if (level != null && parsed.isEmpty()) {
            LOG.warn("Ignoring store record with unknown compatibility level '{}'", level);
            return;
        }
        if (key.subject().isPresent()) {
            parsed.ifPresentOrElse(l -> subjectLevels.put(key.subject().get(), l),
                () -> subjectLevels.remove(key.subject().get()));
        } else {
            globalLevel = parsed.orElse(null);
        }
    }

    /** Records {@code id -> schema}; false if the id belongs to another schema or the schema is invalid. */
    private boolean registerId(final int id, final String schemaText) {
        final Schema known = schemasById.get(id);
        if (known != null) {
            if (known.toString().equals(schemaText)) {
                return true;
            }
            LOG.warn("Ignoring store record giving schema id {} to a second, different schema", id);
            return false;
        }
        final Schema schema;
        try {
            schema = new Schema.Parser().parse(schemaText);
        } catch (final SchemaParseException e) {
            LOG.warn("Ignoring store record with schema id {}: the schema does not parse: {}", id, e.getMessage());
            return false;
        }
        schemasById.put(id, schema);
        idsBySchemaText.putIfAbsent(schema.toString(), id);
        maxId = Math.max(maxId, id);
        return true;
    }

    synchronized Optional<Schema> schemaById(final int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    /** The id of a schema given in Avro's normal form ({@link Schema#toString()}), if any subject has it. */
    synchronized Optional<Integer> idOf(final String schemaText) {
        return Optional.ofNullable(idsBySchemaText.get(schemaText));
    }

    synchronized int maxId() {
        return maxId;
    }

    synchronized List<String> subjects() {
        return List.copyOf(idsBySubjectVersion.keySet());
    }

    synchronized boolean hasSubject(final String subject) {
        return idsBySubjectVersion.containsKey(subject);
    }

    /** The versions of a subject, ascending; empty if it has none. */
    synchronized List<Integer> versions(final String subject) {
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        return versions == null ? List.of() : List.copyOf(versions.keySet());
    }

    synchronized Optional<SubjectVersion> version(final String subject, final int version) {
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        if (versions == null || !versions.containsKey(version)) {
            return Optional.empty();
        }
        final int id = versions.get(version);
        return Optional.of(new SubjectVersion(subject, version, id, schemasById.get(id)));
    }

    synchronized Optional<SubjectVersion> latest(final String subject) {
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        if (versions == null) {
            return Optional.empty();
        }
        return version(subject, versions.lastKey());
    }

    /** The version of {@code subject} holding the schema with this normal form, if any (the oldest). */
    synchronized Optional<SubjectVersion> find(final String subject, final String schemaText) {
        final Integer id = idsBySchemaText.get(schemaText);
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        if (id == null || versions == null) {
            return Optional.empty();
        }
        return versions.entrySet().stream()
            .filter(entry -> entry.getValue().equals(id))
            .findFirst()
            .map(entry -> new SubjectVersion(subject, entry.getKey(), id, schemasById.get(id)));
    }

    /** The schemas of a subject's versions, oldest first. */
    synchronized List<Schema> schemas(final String subject) {
        final List<Schema> schemas = new ArrayList<>();
        final TreeMap<Integer, Integer> versions = idsBySubjectVersion.get(subject);
        if (versions != null) {
            versions.values().forEach(id -> schemas.add(schemasById.get(id)));
        }
        return schemas;
    }

    synchronized Optional<CompatibilityLevel> globalLevel() {
        return Optional.ofNullable(globalLevel);
    }

    synchronized Optional<CompatibilityLevel> subjectLevel(final String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }
}
