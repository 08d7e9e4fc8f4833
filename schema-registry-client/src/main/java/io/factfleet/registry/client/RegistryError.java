package io.factfleet.registry.client;

import java.util.Arrays;
import java.util.Optional;

/**
 * The error codes of the Confluent Schema Registry REST API that FactFleet's registry and client use,
 * with the HTTP status each one travels with. An error body is
 * {@code {"error_code": 40401, "message": "Subject 'x' not found."}}.
 */
public enum RegistryError {
    /** The subject has no versions. */
    SUBJECT_NOT_FOUND(40401, 404),
    /** The subject exists but not the requested version. */
    VERSION_NOT_FOUND(40402, 404),
    /** No schema with that id, or the schema is not registered under the subject. */
    SCHEMA_NOT_FOUND(40403, 404),
    /** {@code GET /config/{subject}} for a subject without its own compatibility level. */
    SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED(40408, 404),
    /** The schema breaks the subject's compatibility level. */
    INCOMPATIBLE_SCHEMA(40901, 409),
    /** The schema does not parse, or is not an Avro schema. */
    INVALID_SCHEMA(42201, 422),
    /** The version is neither a positive integer nor {@code latest}. */
    INVALID_VERSION(42202, 422),
    /** The compatibility level is not one of {@link CompatibilityLevel}. */
    INVALID_COMPATIBILITY_LEVEL(42203, 422),
    /** The registry could not read or write its store. */
    STORE_ERROR(50001, 500),
    /** The request could not be forwarded to, or answered by, the instance that accepts writes. */
    REQUEST_FORWARDING_FAILED(50003, 500);

    private final int code;
    private final int httpStatus;

    RegistryError(final int code, final int httpStatus) {
        this.code = code;
        this.httpStatus = httpStatus;
    }

    /** The Confluent {@code error_code}, e.g. 40401. */
    public int code() {
        return code;
    }

    /** The HTTP status sent with this error, e.g. 404. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The error with this Confluent {@code error_code}, if it is one of these. */
    public static Optional<RegistryError> fromCode(final int code) {
        return Arrays.stream(values()).filter(error -> error.code == code).findFirst();
    }
}
