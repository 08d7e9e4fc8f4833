package io.factfleet.reducer;

import io.factfleet.contracts.ServiceProperties;
import io.factfleet.reducer.internal.LogAndCountDeserializationExceptionHandler;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The reducer's configuration: Kafka Streams properties plus a few of its own, with documented
 * defaults applied by {@code putIfAbsent} so anything given explicitly wins.
 *
 * <table>
 *   <caption>Properties and defaults</caption>
 *   <tr><th>property</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code bootstrap.servers}</td><td>(required)</td><td>Kafka brokers</td></tr>
 *   <tr><td>{@code application.id}</td><td>{@value #DEFAULT_APPLICATION_ID}</td><td>Streams application (consumer group, store topics)</td></tr>
 *   <tr><td>{@code processing.guarantee}</td><td>{@code exactly_once_v2}</td><td></td></tr>
 *   <tr><td>{@code num.standby.replicas}</td><td>1</td><td>warm copies of each store on other instances</td></tr>
 *   <tr><td>{@code state.dir}</td><td>Streams' default</td><td>where RocksDB stores live; one per instance</td></tr>
 *   <tr><td>{@code deserialization.exception.handler}</td><td>log, count and continue</td><td></td></tr>
 *   <tr><td>{@code schema.registry.url}</td><td>(required by {@link ReducerService})</td><td>registry of the journal's Avro schemas</td></tr>
 *   <tr><td>{@value #HTTP_PORT_CONFIG}</td><td>{@value #DEFAULT_HTTP_PORT}</td><td>HTTP port; 0 picks a free one</td></tr>
 *   <tr><td>{@value #HTTP_BIND_HOST_CONFIG}</td><td>{@value #DEFAULT_HTTP_BIND_HOST}</td><td>interface the HTTP server binds</td></tr>
 *   <tr><td>{@code application.server}</td><td>{@code localhost:<http port>}</td><td>host:port other instances reach this one's HTTP
 *       server at; a port of 0 is replaced by the port actually bound</td></tr>
 *   <tr><td>{@value #HTTP_FORWARD_TIMEOUT_MS_CONFIG}</td><td>{@value #DEFAULT_HTTP_FORWARD_TIMEOUT_MS}</td><td>timeout of a query forwarded to the owning instance</td></tr>
 *   <tr><td>{@value #HTTP_RETRY_AFTER_SECONDS_CONFIG}</td><td>{@value #DEFAULT_HTTP_RETRY_AFTER_SECONDS}</td><td>{@code Retry-After} of a 503 while stores rebalance</td></tr>
 *   <tr><td>{@value #REJECTED_RETENTION_MS_CONFIG}</td><td>30 days</td><td>how long a fact's rejection is remembered for its status</td></tr>
 * </table>
 *
 * <p>{@link ReducerMain} layers a properties file and the environment with
 * {@link ServiceProperties#fromMain}: a variable {@code FACTFLEET_NUM_STANDBY_REPLICAS=2} sets
 * {@code num.standby.replicas=2} (prefix removed, lower case, '_' to '.'), overriding the file.
 */
public final class ReducerConfig {
    public static final String DEFAULT_APPLICATION_ID = "factfleet-reducer";
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    public static final String HTTP_PORT_CONFIG = "http.port";
    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final String HTTP_BIND_HOST_CONFIG = "http.bind.host";
    public static final String DEFAULT_HTTP_BIND_HOST = "0.0.0.0";
    public static final String HTTP_FORWARD_TIMEOUT_MS_CONFIG = "http.forward.timeout.ms";
    public static final long DEFAULT_HTTP_FORWARD_TIMEOUT_MS = 5_000;
    public static final String HTTP_RETRY_AFTER_SECONDS_CONFIG = "http.retry.after.seconds";
    public static final int DEFAULT_HTTP_RETRY_AFTER_SECONDS = 2;
    public static final String REJECTED_RETENTION_MS_CONFIG = "rejected.retention.ms";
    /** The rejected topic's own retention (30 days). */
    public static final long DEFAULT_REJECTED_RETENTION_MS = Duration.ofDays(30).toMillis();

    /**
     * Trusted operator root keys (hex, comma-separated), as ingest has them: a snapshot's roster chain must
     * start with a genesis one of them signed before this reducer hydrates an authority from it.
     */
    public static final String OPERATOR_KEYS_CONFIG = "factfleet.operator.public.keys";

    /** Keys that are the reducer's own and are not handed to Kafka Streams (nor are the registry client's). */
    private static final Set<String> OWN_KEYS = Set.of(HTTP_PORT_CONFIG, HTTP_BIND_HOST_CONFIG,
            HTTP_FORWARD_TIMEOUT_MS_CONFIG, HTTP_RETRY_AFTER_SECONDS_CONFIG, REJECTED_RETENTION_MS_CONFIG, OPERATOR_KEYS_CONFIG);
    private static final String REGISTRY_PREFIX = "schema.registry.";
    private static final String BASIC_AUTH_PREFIX = "basic.auth.";

    private final Properties properties;

    private ReducerConfig(final Properties properties) {
        this.properties = properties;
    }

    /** The given properties with the defaults filled in where absent. */
    public static ReducerConfig of(final Properties given) {
        final Properties p = new Properties();
        p.putAll(given);
        p.putIfAbsent(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        p.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.putIfAbsent(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "1");
        p.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndCountDeserializationExceptionHandler.class.getName());
        p.putIfAbsent(HTTP_PORT_CONFIG, String.valueOf(DEFAULT_HTTP_PORT));
        p.putIfAbsent(HTTP_BIND_HOST_CONFIG, DEFAULT_HTTP_BIND_HOST);
        p.putIfAbsent(HTTP_FORWARD_TIMEOUT_MS_CONFIG, String.valueOf(DEFAULT_HTTP_FORWARD_TIMEOUT_MS));
        p.putIfAbsent(HTTP_RETRY_AFTER_SECONDS_CONFIG, String.valueOf(DEFAULT_HTTP_RETRY_AFTER_SECONDS));
        p.putIfAbsent(REJECTED_RETENTION_MS_CONFIG, String.valueOf(DEFAULT_REJECTED_RETENTION_MS));
        return new ReducerConfig(p);
    }

    /** Every property, defaults included (a copy). */
    public Properties asProperties() {
        final Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }

    /**
     * The properties for Kafka Streams: everything except the reducer's own and the registry client's keys, plus {@code metrics}
     * for the deserialization exception handler to count into.
     */
    public Properties streamsProperties(final ReducerMetrics metrics) {
        final Properties p = new Properties();
        properties.forEach((key, value) -> {
            if (!OWN_KEYS.contains(key.toString()) && !isRegistryKey(key.toString()) && !key.toString().startsWith("factfleet.auth.")
                    && !key.toString().startsWith("factfleet.http.")) {
                p.put(key, value);
            }
        });
        p.put(ReducerMetrics.CONFIG_KEY, metrics);
        return io.factfleet.contracts.StateRecordLimits.applyTo(p);
    }

    /** Configs of the schema registry client: {@code schema.registry.*} and {@code basic.auth.*}. */
    public Map<String, Object> serdeConfig() {
        final Map<String, Object> serde = new HashMap<>();
        properties.forEach((key, value) -> {
            if (isRegistryKey(key.toString())) {
                serde.put(key.toString(), value);
            }
        });
        return serde;
    }

    private static boolean isRegistryKey(final String key) {
        return key.startsWith(REGISTRY_PREFIX) || key.startsWith(BASIC_AUTH_PREFIX);
    }

    /** How operators are authenticated ({@code factfleet.auth.*}; see {@link io.factfleet.auth.OperatorAuthConfig}). */
    public io.factfleet.auth.OperatorAuthConfig auth() {
        return io.factfleet.auth.OperatorAuthConfig.from(properties);
    }

    public String applicationId() {
        return properties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
    }

    public Optional<String> schemaRegistryUrl() {
        return Optional.ofNullable(properties.getProperty(SCHEMA_REGISTRY_URL_CONFIG)).filter(s -> !s.isBlank());
    }

    public int httpPort() {
        return Integer.parseInt(properties.getProperty(HTTP_PORT_CONFIG).trim());
    }

    public String httpBindHost() {
        return properties.getProperty(HTTP_BIND_HOST_CONFIG).trim();
    }

    /** The configured {@code application.server}, if any (its port may be 0). */
    public Optional<String> applicationServer() {
        return Optional.ofNullable(properties.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG)).filter(s -> !s.isBlank());
    }

    public Duration forwardTimeout() {
        return Duration.ofMillis(Long.parseLong(properties.getProperty(HTTP_FORWARD_TIMEOUT_MS_CONFIG).trim()));
    }

    /** How long a rejection is kept in the rejected-facts store (by its {@code rejectedAtMillis}). */
    public Duration rejectedRetention() {
        return Duration.ofMillis(Long.parseLong(properties.getProperty(REJECTED_RETENTION_MS_CONFIG).trim()));
    }

    /** Operator keys by key id (empty: no snapshot can be trusted, so none is hydrated from). */
    public Map<String, byte[]> operatorKeys() {
        return io.factfleet.core.Ed25519Keys.publicKeysFromHex(properties.getProperty(OPERATOR_KEYS_CONFIG, ""), OPERATOR_KEYS_CONFIG);
    }

    public int retryAfterSeconds() {
        return Integer.parseInt(properties.getProperty(HTTP_RETRY_AFTER_SECONDS_CONFIG).trim());
    }
}
