package io.factfleet.registry.client;

import org.apache.avro.Schema;

import java.util.List;
import java.util.Optional;

/**
 * A client of a schema registry speaking the Confluent Schema Registry REST API: FactFleet's own
 * registry or Confluent's. Implementations are thread-safe.
 *
 * <p>Every method throws a {@link SchemaRegistryException} (HTTP status, Confluent {@code error_code},
 * message) when the registry answers with an error, and a {@link SchemaRegistryUnavailableException}
 * when no registry answers.
 *
 * @see HttpSchemaRegistryClient
 * @see InMemorySchemaRegistryClient
 */
public interface SchemaRegistryClient {

    /** The version argument naming the newest version of a subject. */
    String LATEST = "latest";

    /**
     * Registers {@code schema} under {@code subject} ({@code POST /subjects/{subject}/versions}) and returns
     * its registry-wide id. Idempotent: registering the same schema again returns the same id, and a schema
     * already registered under another subject keeps its id.
     *
     * @throws SchemaRegistryException 40901 if the schema breaks the subject's compatibility level,
     *                                 42201 if the registry rejects it as invalid
     */
    int register(String subject, Schema schema);

    /**
     * The id of {@code schema} if it is registered under {@code subject} ({@code POST /subjects/{subject}}).
     *
     * @throws SchemaRegistryException 40401 if the subject does not exist, 40403 if the schema is not
     *                                 registered under it
     */
    int lookup(String subject, Schema schema);

    /**
     * The schema with this id ({@code GET /schemas/ids/{id}}).
     *
     * @throws UnknownSchemaIdException if there is none (40403)
     */
    Schema getSchemaById(int id);

    /** All subjects with at least one version ({@code GET /subjects}). */
    List<String> subjects();

    /**
     * The versions of a subject, ascending ({@code GET /subjects/{subject}/versions}).
     *
     * @throws SchemaRegistryException 40401 if the subject does not exist
     */
    List<Integer> versions(String subject);

    /**
     * One version of a subject ({@code GET /subjects/{subject}/versions/{version}}).
     *
     * @param version a version number or {@value #LATEST}
     * @throws SchemaRegistryException 40401 unknown subject, 40402 unknown version, 42202 invalid version
     */
    SubjectVersion version(String subject, String version);

    /** One version of a subject by number. @see #version(String, String) */
    default SubjectVersion version(final String subject, final int version) {
        return version(subject, Integer.toString(version));
    }

    /** The newest version of a subject. @see #version(String, String) */
    default SubjectVersion latestVersion(final String subject) {
        return version(subject, LATEST);
    }

    /**
     * Whether {@code schema} may be registered under {@code subject} as far as {@code version} is concerned
     * ({@code POST /compatibility/subjects/{subject}/versions/{version}}). With {@value #LATEST} and a
     * transitive level, every version is checked. A subject without versions accepts any schema.
     *
     * @throws SchemaRegistryException 40402 unknown version, 42202 invalid version, 42201 invalid schema
     */
    boolean isCompatible(String subject, String version, Schema schema);

    /**
     * The compatibility level in force: of the subject if given (falling back to the global level when
     * the subject has none of its own), else the global one ({@code GET /config[/{subject}]}).
     */
    String getCompatibility(Optional<String> subject);

    /**
     * Sets the compatibility level of the subject if given, else the global one
     * ({@code PUT /config[/{subject}]}).
     *
     * @param level one of {@link CompatibilityLevel}'s names
     * @throws SchemaRegistryException 42203 if the level is not valid
     */
    void setCompatibility(Optional<String> subject, String level);
}
