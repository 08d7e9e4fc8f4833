package io.factfleet.registry.client;

/**
 * No schema with this id exists in the registry (Confluent error 40403). A payload naming it was
 * written against another registry, or the registry lost its {@code _schemas} topic.
 */
public final class UnknownSchemaIdException extends SchemaRegistryException {

    /** The {@link #getCode() code} of this error. */
    public static final String CODE = "UNKNOWN_SCHEMA_ID";

    private static final long serialVersionUID = 1L;

    private final int schemaId;

    public UnknownSchemaIdException(final int schemaId, final String message) {
        super(RegistryError.SCHEMA_NOT_FOUND, message);
        this.schemaId = schemaId;
    }

    /** The id that was not found. */
    public int schemaId() {
        return schemaId;
    }

    @Override
    public String getCode() {
        return CODE;
    }
}
