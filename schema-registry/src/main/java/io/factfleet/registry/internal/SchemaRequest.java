package io.factfleet.registry.internal;

/**
 * The body of a register, lookup or compatibility request:
 * {@code {"schema": "...", "schemaType": "AVRO", "references": []}}.
 *
 * @param schema        the schema text
 * @param schemaType    {@code AVRO} when absent, as in Confluent's API
 * @param hasReferences whether the request names schema references (unsupported)
 */
public record SchemaRequest(String schema, String schemaType, boolean hasReferences) {
}
