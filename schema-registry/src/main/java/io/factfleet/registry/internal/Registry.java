package io.factfleet.registry.internal;

import io.factfleet.registry.SchemaRegistryConfig;
import io.factfleet.registry.client.CompatibilityLevel;
import io.factfleet.registry.client.RegistryError;
import io.factfleet.registry.client.SubjectVersion;
import org.apache.avro.Schema;
import org.apache.avro.AvroRuntimeException;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The registry's operations, in the terms of the Confluent REST API, over {@link RegistryState} and
 * {@link KafkaStore}. Errors are {@link RegistryApiException}s carrying Confluent's codes.
 *
 * <p>Reads are answered from the state. Writes run one at a time on a single writer thread, each after
 * catching up with the topic: a new schema gets id {@code max id + 1} and version {@code max version + 1},
 * computed from a state that includes every earlier write. This is correct with one writing instance
 * ({@code leader.eligibility=true} on exactly one); should two race anyway, the earlier record in the
 * topic wins everywhere and the loser's request fails with 50001 instead of returning a conflicting id.
 */
public final class Registry implements AutoCloseable {

    /** The version names that mean "the newest version". */
    private static final List<String> LATEST = List.of("latest", "-1");

    private final RegistryState state = new RegistryState();
    private final KafkaStore store;
    private final CompatibilityLevel defaultLevel;
    private final boolean acceptsWrites;
    private final Duration storeTimeout;
    private final Duration writeTimeout;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(runnable -> {
        final Thread thread = new Thread(runnable, "schema-registry-writer");
        thread.setDaemon(true);
        return thread;
    });

    public Registry(final SchemaRegistryConfig config) {
        this.store = new KafkaStore(config, state);
        this.defaultLevel = config.defaultCompatibility();
        this.acceptsWrites = config.leaderEligible();
        // A write may wait for a catch-up, the broker's acknowledgement and the read-back.
        this.storeTimeout = config.storeTimeout();
        this.writeTimeout = storeTimeout.multipliedBy(3);
    }

    /** Prepares the topic and reads it to the end. */
    public void start(final Duration initTimeout) {
        store.start(initTimeout);
    }

    /** Empty while the store can be used; else why not. */
    public Optional<Throwable> failure() {
        return store.readerFailure();
    }

    @Override
    public void close() {
        writer.shutdownNow();
        store.close();
    }

    /** Result of {@code POST /subjects/{subject}/versions}. */
    public int register(final String subject, final SchemaRequest request) {
        final Schema schema = parse(request);
        final String text = schema.toString();
        final Optional<SubjectVersion> existing = state.find(subject, text);
        if (existing.isPresent()) {
            return existing.get().id();
        }
        requireWritable();
        return inWriter(() -> {
            store.catchUp(storeTimeout);
            final Optional<SubjectVersion> raced = state.find(subject, text);
            if (raced.isPresent()) {
                return raced.get().id();
            }
            final List<String> problems = level(subject).incompatibilities(schema, state.schemas(subject));
            if (!problems.isEmpty()) {
                throw new RegistryApiException(RegistryError.INCOMPATIBLE_SCHEMA,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                        + "\" under compatibility level " + level(subject) + ", details: " + problems);
            }
            final int id = state.idOf(text).orElse(state.maxId() + 1);
            final List<Integer> versions = state.versions(subject);
            final int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1) + 1;
            store.write(new StoreRecords.SchemaKey(subject, version), StoreRecords.encodeSchemaValue(
                new StoreRecords.SchemaValue(subject, version, id, text, false)));
            final boolean accepted = state.version(subject, version).map(v -> v.id() == id).orElse(false)
                && state.schemaById(id).map(s -> s.toString().equals(text)).orElse(false);
            if (!accepted) {
                throw new RegistryApiException(RegistryError.STORE_ERROR, "Another registry instance wrote version "
                    + version + " of subject \"" + subject + "\" or schema id " + id + " first; only one instance "
                    + "should accept writes (leader.eligibility). Retry the request.");
            }
            return id;
        });
    }

    /** Result of {@code POST /subjects/{subject}}. */
    public SubjectVersion lookup(final String subject, final SchemaRequest request) {
        final Schema schema = parse(request);
        requireSubject(subject);
        return state.find(subject, schema.toString()).orElseThrow(() ->
            new RegistryApiException(RegistryError.SCHEMA_NOT_FOUND, "Schema not found"));
    }

    /** Result of {@code GET /schemas/ids/{id}}. */
    public Schema schemaById(final String id) {
        final int parsed;
        try {
            parsed = Integer.parseInt(id);
        } catch (final NumberFormatException e) {
            throw new RegistryApiException(RegistryError.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return state.schemaById(parsed).orElseThrow(() ->
            new RegistryApiException(RegistryError.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
    }

    /** Result of {@code GET /subjects}. */
    public List<String> subjects() {
        return state.subjects();
    }

    /** Result of {@code GET /subjects/{subject}/versions}. */
    public List<Integer> versions(final String subject) {
        requireSubject(subject);
        return state.versions(subject);
    }

    /** Result of {@code GET /subjects/{subject}/versions/{version}}. */
    public SubjectVersion version(final String subject, final String version) {
        final Optional<Integer> number = parseVersion(version);
        requireSubject(subject);
        return (number.isEmpty() ? state.latest(subject) : state.version(subject, number.get()))
            .orElseThrow(() -> new RegistryApiException(RegistryError.VERSION_NOT_FOUND,
                "Version " + version + " not found."));
    }

    /**
     * Result of {@code POST /compatibility/subjects/{subject}/versions/{version}}: the reasons the schema
     * is incompatible, empty if it is compatible. With {@code latest}, a transitive level checks every
     * version, and a subject without versions accepts anything.
     */
    public List<String> incompatibilities(final String subject, final String version, final SchemaRequest request) {
        final Optional<Integer> number = parseVersion(version);
        final Schema schema = parse(request);
        final List<Schema> against;
        if (number.isEmpty()) {
            against = state.schemas(subject);
        } else {
            requireSubject(subject);
            against = List.of(state.version(subject, number.get()).orElseThrow(() ->
                new RegistryApiException(RegistryError.VERSION_NOT_FOUND, "Version " + version + " not found."))
                .schema());
        }
        return level(subject).incompatibilities(schema, against);
    }

    /** Result of {@code GET /config}. */
    public CompatibilityLevel globalLevel() {
        return state.globalLevel().orElse(defaultLevel);
    }

    /**
     * Result of {@code GET /config/{subject}}: the subject's own level, else (with {@code defaultToGlobal})
     * the global one, else 40408 as Confluent answers.
     */
    public CompatibilityLevel subjectLevel(final String subject, final boolean defaultToGlobal) {
        final Optional<CompatibilityLevel> own = state.subjectLevel(subject);
        if (own.isPresent()) {
            return own.get();
        }
        if (defaultToGlobal) {
            return globalLevel();
        }
        throw new RegistryApiException(RegistryError.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
            "Subject '" + subject + "' does not have subject-level compatibility configured");
    }

    /** Result of {@code PUT /config} (empty subject) or {@code PUT /config/{subject}}. */
    public CompatibilityLevel setLevel(final Optional<String> subject, final String level) {
        final CompatibilityLevel parsed = CompatibilityLevel.parse(level).orElseThrow(() ->
            new RegistryApiException(RegistryError.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level '"
                + level + "'. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, "
                + "FULL, FULL_TRANSITIVE"));
        requireWritable();
        return inWriter(() -> {
            store.write(new StoreRecords.ConfigKey(subject), StoreRecords.encodeConfigValue(parsed.name()));
            return parsed;
        });
    }

    /** The level in force for a subject: its own, else the global one, else the configured default. */
    private CompatibilityLevel level(final String subject) {
        return state.subjectLevel(subject).orElseGet(this::globalLevel);
    }

    private void requireSubject(final String subject) {
        if (!state.hasSubject(subject)) {
            throw new RegistryApiException(RegistryError.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
    }

    private void requireWritable() {
        if (!acceptsWrites) {
            throw new RegistryApiException(RegistryError.REQUEST_FORWARDING_FAILED, "This registry instance is "
                + "read-only (leader.eligibility=false); send writes to the instance that accepts them");
        }
    }

    /** Empty for {@code latest} / {@code -1}, else the version number; 42202 otherwise. */
    private static Optional<Integer> parseVersion(final String version) {
        if (LATEST.contains(version.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        try {
            final int number = Integer.parseInt(version);
            if (number >= 1) {
                return Optional.of(number);
            }
        } catch (final NumberFormatException ignored) {
            // reported below
        }
        throw new RegistryApiException(RegistryError.INVALID_VERSION, "The specified version '" + version
            + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    /** The Avro schema of a request; 42201 when it is not one this registry stores. */
    static Schema parse(final SchemaRequest request) {
        if (!request.schemaType().equalsIgnoreCase("AVRO")) {
            throw new RegistryApiException(RegistryError.INVALID_SCHEMA, "Schema type " + request.schemaType()
                + " is not supported; this registry stores AVRO schemas only");
        }
        if (request.hasReferences()) {
            throw new RegistryApiException(RegistryError.INVALID_SCHEMA,
                "Schema references are not supported; inline the referenced types");
        }
        try {
            return new Schema.Parser().parse(request.schema());
        } catch (final AvroRuntimeException | IllegalArgumentException | NullPointerException e) {
            // SchemaParseException for bad JSON or names, AvroTypeException for an undefined type name or a bad default
            // (both AvroRuntimeExceptions): every refusal of the parser is an invalid schema, a 422, never a 500.
            throw new RegistryApiException(RegistryError.INVALID_SCHEMA, "Invalid schema: " + e.getMessage(), e);
        }
    }

    private <T> T inWriter(final Supplier<T> write) {
        final Future<T> result = writer.submit(write::get);
        try {
            return result.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RegistryApiException api) {
                throw api;
            }
            throw new RegistryApiException(RegistryError.STORE_ERROR, "Write failed: " + e.getCause(), e.getCause());
        } catch (final TimeoutException e) {
            throw new RegistryApiException(RegistryError.STORE_ERROR,
                "Timed out after " + writeTimeout.toMillis() + " ms waiting for the write", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryApiException(RegistryError.STORE_ERROR, "Interrupted while waiting for the write", e);
        }
    }
}
