package io.factfleet.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The records of the {@code _schemas} topic, as JSON (the layout of Confluent's registry, so the topic
 * reads familiarly):
 * <pre>
 * key   {"keytype":"SCHEMA","subject":"facts-value","version":2,"magic":1}
 * value {"subject":"facts-value","version":2,"id":7,"schema":"{...}","deleted":false}
 *
 * key   {"keytype":"CONFIG","subject":null,"magic":0}             (global)
 * key   {"keytype":"CONFIG","subject":"facts-value","magic":0}    (one subject)
 * value {"compatibilityLevel":"FULL"}                             (null value: level removed)
 * </pre>
 * Keys are written with a fixed field order, so compaction sees equal keys as equal bytes. Records with
 * other key types (e.g. Confluent's NOOP) are skipped.
 */
final class StoreRecords {

    /** A record key. */
    sealed interface Key permits SchemaKey, ConfigKey {
    }

    /** Key of one subject version. */
    record SchemaKey(String subject, int version) implements Key {
    }

    /** Key of a compatibility level; no subject for the global one. */
    record ConfigKey(Optional<String> subject) implements Key {
    }

    /** Value of one subject version. */
    record SchemaValue(String subject, int version, int id, String schema, boolean deleted) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private StoreRecords() {
    }

    static byte[] encodeKey(final Key key) {
        final ObjectNode node = JSON.createObjectNode();
        if (key instanceof SchemaKey schema) {
            node.put("keytype", "SCHEMA").put("subject", schema.subject()).put("version", schema.version())
                .put("magic", 1);
        } else if (key instanceof ConfigKey config) {
            node.put("keytype", "CONFIG");
            config.subject().ifPresentOrElse(s -> node.put("subject", s), () -> node.putNull("subject"));
            node.put("magic", 0);
        }
        return write(node);
    }

    static byte[] encodeSchemaValue(final SchemaValue value) {
        return write(JSON.createObjectNode()
            .put("subject", value.subject())
            .put("version", value.version())
            .put("id", value.id())
            .put("schema", value.schema())
            .put("deleted", value.deleted()));
    }

    static byte[] encodeConfigValue(final String compatibilityLevel) {
        return write(JSON.createObjectNode().put("compatibilityLevel", compatibilityLevel));
    }

    /** The key, or empty for a key type this registry does not store. */
    static Optional<Key> decodeKey(final byte[] bytes) {
        final JsonNode node = read(bytes);
        final String type = node.path("keytype").asText("");
        final JsonNode subject = node.get("subject");
        switch (type) {
            case "SCHEMA":
                return Optional.of(new SchemaKey(subject.asText(), node.get("version").asInt()));
            case "CONFIG":
                return Optional.of(new ConfigKey(subject == null || subject.isNull()
                    ? Optional.empty() : Optional.of(subject.asText())));
            default:
                return Optional.empty();
        }
    }

    static SchemaValue decodeSchemaValue(final byte[] bytes) {
        final JsonNode node = read(bytes);
        return new SchemaValue(node.get("subject").asText(), node.get("version").asInt(), node.get("id").asInt(),
            node.get("schema").asText(), node.path("deleted").asBoolean(false));
    }

    static String decodeConfigValue(final byte[] bytes) {
        return read(bytes).get("compatibilityLevel").asText();
    }

    private static byte[] write(final JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(final byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
