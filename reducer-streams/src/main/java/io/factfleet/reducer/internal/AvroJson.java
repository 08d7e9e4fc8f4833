package io.factfleet.reducer.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.core.Canonical;
import io.factfleet.core.Hashing;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

/**
 * Readable JSON of Avro records: field names as in the schema, bytes as lower-case hex, enums by
 * name, unions as the branch's plain value. (Avro's own JSON encoding wraps union branches and
 * writes bytes as ISO-8859-1 strings, which is exact but not readable.)
 */
public final class AvroJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AvroJson() {
    }

    public static ObjectNode of(final IndexedRecord record) {
        final ObjectNode node = NODES.objectNode();
        for (final Schema.Field field : record.getSchema().getFields()) {
            node.set(field.name(), value(record.get(field.pos())));
        }
        return node;
    }

    private static JsonNode value(final Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof IndexedRecord record) {
            return of(record);
        }
        if (value instanceof ByteBuffer bytes) {
            return NODES.textNode(Hashing.hex(Canonical.array(bytes)));
        }
        if (value instanceof GenericFixed fixed) {
            return NODES.textNode(Hashing.hex(fixed.bytes()));
        }
        if (value instanceof CharSequence || value instanceof Enum<?> || value instanceof GenericEnumSymbol<?>) {
            return NODES.textNode(value.toString());
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof Float f) {
            return NODES.numberNode(f);
        }
        if (value instanceof Double d) {
            return NODES.numberNode(d);
        }
        if (value instanceof Collection<?> items) {
            final ArrayNode array = NODES.arrayNode();
            items.forEach(item -> array.add(value(item)));
            return array;
        }
        if (value instanceof Map<?, ?> map) {
            final ObjectNode object = NODES.objectNode();
            map.forEach((k, v) -> object.set(k.toString(), value(v)));
            return object;
        }
        throw new IllegalArgumentException("no JSON view for Avro value of type " + value.getClass().getName());
    }
}
