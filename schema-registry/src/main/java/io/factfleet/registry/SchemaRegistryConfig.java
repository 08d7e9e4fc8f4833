package io.factfleet.registry;

import io.factfleet.registry.client.CompatibilityLevel;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The registry's configuration: Kafka-style properties, named as Confluent's Schema Registry names them
 * where it has the same setting. Defaults, then a properties file, then environment variables
 * ({@code SCHEMA_REGISTRY_KAFKASTORE_TOPIC} sets {@code kafkastore.topic}: drop the prefix, lower-case,
 * {@code _} becomes {@code .}, {@code __} becomes {@code _}).
 *
 * <p>Every {@code kafkastore.}-prefixed property other than the registry's own below is passed, with the
 * prefix removed, to the Kafka clients of the store: e.g. {@code kafkastore.security.protocol=SASL_SSL},
 * {@code kafkastore.sasl.jaas.config=...}.
 */
public final class SchemaRegistryConfig {

    /** Kafka bootstrap servers of the store. Required (or {@value #KAFKASTORE_BOOTSTRAP_SERVERS_CONFIG}). */
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";

    /** Confluent's name for {@value #BOOTSTRAP_SERVERS_CONFIG}; used when that one is absent. */
    public static final String KAFKASTORE_BOOTSTRAP_SERVERS_CONFIG = "kafkastore.bootstrap.servers";

    /**
     * The HTTP listener, {@code http://host:port}; port 0 binds an ephemeral port. Default
     * {@value #DEFAULT_LISTENERS}. Only the first of a comma-separated list is used; https is not supported.
     */
    public static final String LISTENERS_CONFIG = "listeners";

    /** Default of {@value #LISTENERS_CONFIG}. */
    public static final String DEFAULT_LISTENERS = "http://0.0.0.0:8081";

    /** The compacted single-partition topic holding schemas and configs. Default {@value #DEFAULT_TOPIC}. */
    public static final String KAFKASTORE_TOPIC_CONFIG = "kafkastore.topic";

    /** Default of {@value #KAFKASTORE_TOPIC_CONFIG}. */
    public static final String DEFAULT_TOPIC = "_schemas";

    /**
     * Replication factor used when the registry creates its topic. Default: {@code min(3, brokers)}.
     */
    public static final String KAFKASTORE_TOPIC_REPLICATION_FACTOR_CONFIG = "kafkastore.topic.replication.factor";

    /**
     * How long a write waits for the broker to acknowledge it and for this instance to read it back, in
     * milliseconds. Default {@value #DEFAULT_KAFKASTORE_TIMEOUT_MS}.
     */
    public static final String KAFKASTORE_TIMEOUT_MS_CONFIG = "kafkastore.timeout.ms";

    /** Default of {@value #KAFKASTORE_TIMEOUT_MS_CONFIG}. */
    public static final long DEFAULT_KAFKASTORE_TIMEOUT_MS = 10_000;

    /**
     * How long start-up may take to create or find the topic and read it to the end, in milliseconds.
     * Default {@value #DEFAULT_KAFKASTORE_INIT_TIMEOUT_MS}.
     */
    public static final String KAFKASTORE_INIT_TIMEOUT_MS_CONFIG = "kafkastore.init.timeout.ms";

    /** Default of {@value #KAFKASTORE_INIT_TIMEOUT_MS_CONFIG}. */
    public static final long DEFAULT_KAFKASTORE_INIT_TIMEOUT_MS = 60_000;

    /**
     * The registry-wide compatibility level until one is set with {@code PUT /config}. Default
     * {@code BACKWARD}.
     */
    public static final String SCHEMA_COMPATIBILITY_LEVEL_CONFIG = "schema.compatibility.level";

    /**
     * Whether this instance accepts writes (register, {@code PUT /config}). Default true. Exactly one
     * instance per store topic should: ids are allocated by the writer, as max id + 1, one write at a time.
     * Other instances serve reads and answer writes with error 50003.
     */
    public static final String LEADER_ELIGIBILITY_CONFIG = "leader.eligibility";

    /** Prefix of environment variables read by {@link #load(Optional, Map)}. */
    public static final String ENV_PREFIX = "SCHEMA_REGISTRY_";

    private static final String KAFKASTORE_PREFIX = "kafkastore.";

    private final Properties properties;

    /** The given properties over the defaults. */
    public SchemaRegistryConfig(final Properties overrides) {
        this.properties = defaults();
        overrides.stringPropertyNames().forEach(name -> properties.setProperty(name, overrides.getProperty(name)));
    }

    /** Properties with every default of this class. */
    public static Properties defaults() {
        final Properties defaults = new Properties();
        defaults.setProperty(LISTENERS_CONFIG, DEFAULT_LISTENERS);
        defaults.setProperty(KAFKASTORE_TOPIC_CONFIG, DEFAULT_TOPIC);
        defaults.setProperty(KAFKASTORE_TIMEOUT_MS_CONFIG, Long.toString(DEFAULT_KAFKASTORE_TIMEOUT_MS));
        defaults.setProperty(KAFKASTORE_INIT_TIMEOUT_MS_CONFIG, Long.toString(DEFAULT_KAFKASTORE_INIT_TIMEOUT_MS));
        defaults.setProperty(SCHEMA_COMPATIBILITY_LEVEL_CONFIG, CompatibilityLevel.DEFAULT.name());
        defaults.setProperty(LEADER_ELIGIBILITY_CONFIG, "true");
        return defaults;
    }

    /**
     * Properties from an optional file, overridden by {@code SCHEMA_REGISTRY_*} environment variables.
     *
     * @throws IOException if the file cannot be read
     */
    public static Properties load(final Optional<Path> file, final Map<String, String> environment) throws IOException {
        final Properties loaded = new Properties();
        if (file.isPresent()) {
            try (Reader reader = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
                loaded.load(reader);
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                loaded.setProperty(propertyName(name.substring(ENV_PREFIX.length())), value);
            }
        });
        return loaded;
    }

    /** {@code KAFKASTORE_TOPIC} to {@code kafkastore.topic}; {@code __} stands for a literal {@code _}. */
    static String propertyName(final String environmentSuffix) {
        return environmentSuffix.toLowerCase(Locale.ROOT)
            .replace("__", "\u0000")
            .replace('_', '.')
            .replace('\u0000', '_');
    }

    /** The bootstrap servers of the store. */
    public String bootstrapServers() {
        final String servers = Optional.ofNullable(properties.getProperty(BOOTSTRAP_SERVERS_CONFIG))
            .orElse(properties.getProperty(KAFKASTORE_BOOTSTRAP_SERVERS_CONFIG));
        if (servers == null || servers.isBlank()) {
            throw new IllegalArgumentException("Missing " + BOOTSTRAP_SERVERS_CONFIG + " (or "
                + KAFKASTORE_BOOTSTRAP_SERVERS_CONFIG + "): the Kafka cluster holding the registry's topic");
        }
        return servers.trim();
    }

    /** The listener URI ({@code http://host:port}). */
    public URI listener() {
        final String first = properties.getProperty(LISTENERS_CONFIG).split(",")[0].trim();
        final URI uri = URI.create(first);
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getPort() < 0) {
            throw new IllegalArgumentException(LISTENERS_CONFIG + " must look like http://host:port, got " + first);
        }
        return uri;
    }

    /** The store topic. */
    public String topic() {
        return properties.getProperty(KAFKASTORE_TOPIC_CONFIG).trim();
    }

    /** The replication factor for creating the topic, if configured. */
    public Optional<Short> topicReplicationFactor() {
        return Optional.ofNullable(properties.getProperty(KAFKASTORE_TOPIC_REPLICATION_FACTOR_CONFIG))
            .map(String::trim)
            .map(Short::parseShort);
    }

    /** Timeout of one write. */
    public Duration storeTimeout() {
        return Duration.ofMillis(Long.parseLong(properties.getProperty(KAFKASTORE_TIMEOUT_MS_CONFIG).trim()));
    }

    /** Timeout of start-up. */
    public Duration initTimeout() {
        return Duration.ofMillis(Long.parseLong(properties.getProperty(KAFKASTORE_INIT_TIMEOUT_MS_CONFIG).trim()));
    }

    /** The default compatibility level. */
    public CompatibilityLevel defaultCompatibility() {
        final String value = properties.getProperty(SCHEMA_COMPATIBILITY_LEVEL_CONFIG);
        return CompatibilityLevel.parse(value).orElseThrow(() -> new IllegalArgumentException(
            SCHEMA_COMPATIBILITY_LEVEL_CONFIG + " must be one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
                + "FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE; got " + value));
    }

    /** Whether this instance accepts writes. */
    public boolean leaderEligible() {
        return Boolean.parseBoolean(properties.getProperty(LEADER_ELIGIBILITY_CONFIG).trim());
    }

    /**
     * Properties for the store's Kafka clients: the bootstrap servers plus every {@code kafkastore.*}
     * property that is not one of the registry's own, with the prefix removed.
     */
    public Map<String, Object> kafkaClientProperties() {
        final Map<String, Object> client = new java.util.HashMap<>();
        for (final String name : properties.stringPropertyNames()) {
            if (name.startsWith(KAFKASTORE_PREFIX) && !isRegistryOwn(name)) {
                client.put(name.substring(KAFKASTORE_PREFIX.length()), properties.getProperty(name));
            }
        }
        client.put("bootstrap.servers", bootstrapServers());
        return client;
    }

    private static boolean isRegistryOwn(final String name) {
        return name.equals(KAFKASTORE_TOPIC_CONFIG)
            || name.equals(KAFKASTORE_TOPIC_REPLICATION_FACTOR_CONFIG)
            || name.equals(KAFKASTORE_TIMEOUT_MS_CONFIG)
            || name.equals(KAFKASTORE_INIT_TIMEOUT_MS_CONFIG)
            || name.equals(KAFKASTORE_BOOTSTRAP_SERVERS_CONFIG);
    }

    /**
     * How callers are authenticated ({@code factfleet.auth.*}; see {@link io.factfleet.auth.OperatorAuthConfig}): reads
     * need {@code schema.read}, registering {@code schema.register}, compatibility changes {@code registry.config}, all on
     * {@code *}. Confluent-style clients authenticate with HTTP basic auth ({@code basic.auth.user.info}) against a
     * login in the operators file.
     */
    public io.factfleet.auth.OperatorAuthConfig auth() {
        return io.factfleet.auth.OperatorAuthConfig.from(properties);
    }

    /** A copy of the effective properties. */
    public Properties toProperties() {
        final Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }
}
