package io.factfleet.registry.client;

import java.util.Optional;

/**
 * The schema registry answered with an error: carries the HTTP status, the Confluent
 * {@code error_code} and the registry's message.
 */
public class SchemaRegistryException extends AvroSerdeException {

    /** The {@link #getCode() code} of an error whose {@code error_code} is not a known {@link RegistryError}. */
    public static final String GENERIC_CODE = "REGISTRY_ERROR";

    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final int errorCode;
    private final String registryMessage;

    public SchemaRegistryException(final int httpStatus, final int errorCode, final String message) {
        this(httpStatus, errorCode, message, null);
    }

    public SchemaRegistryException(final int httpStatus, final int errorCode, final String message,
                                   final Throwable cause) {
        super(httpStatus > 0 ? message + " (HTTP " + httpStatus + ", error_code " + errorCode + ")" : message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.registryMessage = message;
    }

    /** An exception for one of the known registry errors. */
    public SchemaRegistryException(final RegistryError error, final String message) {
        this(error.httpStatus(), error.code(), message);
    }

    /** The HTTP status of the response, e.g. 409. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The Confluent {@code error_code} of the response, e.g. 40901. */
    public int errorCode() {
        return errorCode;
    }

    /** The registry's own {@code message}, without the status and code this exception's message adds. */
    public String registryMessage() {
        return registryMessage;
    }

    /** The known registry error this is, if any. */
    public Optional<RegistryError> error() {
        return RegistryError.fromCode(errorCode);
    }

    /** The {@link RegistryError} name (e.g. {@code "INCOMPATIBLE_SCHEMA"}), else {@value #GENERIC_CODE}. */
    @Override
    public String getCode() {
        return error().map(Enum::name).orElse(GENERIC_CODE);
    }
}
