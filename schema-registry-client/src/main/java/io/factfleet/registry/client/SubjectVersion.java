package io.factfleet.registry.client;

import org.apache.avro.Schema;

import java.util.Objects;

/**
 * One registered version of a subject: what {@code GET /subjects/{subject}/versions/{version}} returns.
 *
 * @param subject the subject, e.g. {@code factfleet.facts.inbound-value}
 * @param version the version within the subject, from 1
 * @param id      the registry-wide schema id, the one in the wire format
 * @param schema  the schema
 */
public record SubjectVersion(String subject, int version, int id, Schema schema) {

    public SubjectVersion {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
