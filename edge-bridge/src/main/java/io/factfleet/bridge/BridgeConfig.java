package io.factfleet.bridge;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.ServiceProperties;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * The bridge's configuration: Kafka producer properties plus the bridge's own ({@code bridge.*}),
 * with documented defaults filled in by {@code putIfAbsent}, so anything given explicitly wins.
 * {@link EdgeBridgeMain} layers defaults, a properties file and {@code FACTFLEET_}-prefixed
 * environment variables with {@link ServiceProperties#fromMain} ({@code FACTFLEET_BRIDGE_HTTP_PORT=9000}
 * sets {@code bridge.http.port}).
 *
 * <table>
 *   <caption>Properties and defaults</caption>
 *   <tr><th>property</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code bootstrap.servers}</td><td>{@code localhost:9092}</td><td>Kafka; every other producer / security property passes through</td></tr>
 *   <tr><td>{@code schema.registry.url}</td><td>{@code http://localhost:8081}</td><td>decodes Avro batches, registers the fact schema for JSON bodies</td></tr>
 *   <tr><td>{@value #REDUCER_URL}</td><td>{@value #DEFAULT_REDUCER_URL}</td><td>any reducer instance (it routes to the owner), or
 *       several, comma-separated: one that cannot be reached is skipped</td></tr>
 *   <tr><td>{@value #HTTP_PORT}</td><td>{@value #DEFAULT_HTTP_PORT}</td><td>plain port, HTTP/1.1 and h2c; 0 = any free port</td></tr>
 *   <tr><td>{@value #HTTP_BIND_HOST}</td><td>{@value #DEFAULT_HTTP_BIND_HOST}</td><td></td></tr>
 *   <tr><td>{@value #TLS_KEYSTORE_PATH}</td><td>(none: no TLS)</td><td>keystore of the server certificate; enables the TLS port (HTTP/1.1 and h2 by ALPN)</td></tr>
 *   <tr><td>{@value #TLS_KEYSTORE_PASSWORD}</td><td>(none)</td><td></td></tr>
 *   <tr><td>{@value #TLS_KEYSTORE_TYPE}</td><td>{@value #DEFAULT_TLS_KEYSTORE_TYPE}</td><td></td></tr>
 *   <tr><td>{@value #TLS_PORT}</td><td>{@value #DEFAULT_TLS_PORT}</td><td>0 = any free port</td></tr>
 *   <tr><td>{@value #MAX_BODY_BYTES}</td><td>{@value #DEFAULT_MAX_BODY_BYTES}</td><td>413 BODY_TOO_LARGE above</td></tr>
 *   <tr><td>{@value #MAX_BATCH_FACTS}</td><td>{@value #DEFAULT_MAX_BATCH_FACTS}</td><td>413 BATCH_TOO_LARGE above</td></tr>
 *   <tr><td>{@value #MAX_FACT_BYTES}</td><td>{@value #DEFAULT_MAX_FACT_BYTES}</td><td>a larger fact is REJECTED TOO_LARGE (ingest's default limit)</td></tr>
 *   <tr><td>{@value #AUTH_SKEW_MS}</td><td>{@value #DEFAULT_AUTH_SKEW_MS}</td><td>clock-skew window of signed requests; nonces are remembered this long</td></tr>
 *   <tr><td>{@value #ROSTER_CACHE_MS}</td><td>{@value #DEFAULT_ROSTER_CACHE_MS}</td><td>how long a roster read from the reducer is reused</td></tr>
 *   <tr><td>{@value #RATE_DEVICE_PER_SECOND}</td><td>{@value #DEFAULT_RATE_DEVICE_PER_SECOND}</td><td>per-device request rate</td></tr>
 *   <tr><td>{@value #RATE_DEVICE_BURST}</td><td>{@value #DEFAULT_RATE_DEVICE_BURST}</td><td>per-device bucket capacity</td></tr>
 *   <tr><td>{@value #RATE_GLOBAL_PER_SECOND}</td><td>{@value #DEFAULT_RATE_GLOBAL_PER_SECOND}</td><td>request rate over all devices</td></tr>
 *   <tr><td>{@value #RATE_GLOBAL_BURST}</td><td>{@value #DEFAULT_RATE_GLOBAL_BURST}</td><td></td></tr>
 *   <tr><td>{@value #SESSIONS_PER_DEVICE}</td><td>{@value #DEFAULT_SESSIONS_PER_DEVICE}</td><td>concurrent requests (long-polls included) per device</td></tr>
 *   <tr><td>{@value #SESSIONS_GLOBAL}</td><td>{@value #DEFAULT_SESSIONS_GLOBAL}</td><td>concurrent requests overall</td></tr>
 *   <tr><td>{@value #SHED_LOAD_FRACTION}</td><td>{@value #DEFAULT_SHED_LOAD_FRACTION}</td><td>above this share of the global session limit, low-scored devices are shed</td></tr>
 *   <tr><td>{@value #SHED_SCORE_THRESHOLD}</td><td>{@value #DEFAULT_SHED_SCORE_THRESHOLD}</td><td>peer score below which a device is shed under load</td></tr>
 *   <tr><td>{@value #RETRY_AFTER_SECONDS}</td><td>{@value #DEFAULT_RETRY_AFTER_SECONDS}</td><td>{@code Retry-After} of the bridge's own 503s</td></tr>
 *   <tr><td>{@value #PENDING_WAIT_DEFAULT_SECONDS}</td><td>{@value #DEFAULT_PENDING_WAIT_DEFAULT_SECONDS}</td><td>long-poll {@code wait} when the device gives none</td></tr>
 *   <tr><td>{@value #PENDING_WAIT_MAX_SECONDS}</td><td>{@value #DEFAULT_PENDING_WAIT_MAX_SECONDS}</td><td>largest long-poll {@code wait} and SSE stream duration</td></tr>
 *   <tr><td>{@value #PENDING_POLL_INTERVAL_MS}</td><td>{@value #DEFAULT_PENDING_POLL_INTERVAL_MS}</td><td>how often a long-poll re-queries the reducer</td></tr>
 *   <tr><td>{@value #PENDING_POLL_AFTER_MS}</td><td>{@value #DEFAULT_PENDING_POLL_AFTER_MS}</td><td>{@code pollAfterMs} suggested to devices that cannot hold a connection</td></tr>
 *   <tr><td>{@value #SYNC_MAX_BYTES}</td><td>{@value #DEFAULT_SYNC_MAX_BYTES}</td><td>most fact bytes in one sync answer</td></tr>
 *   <tr><td>{@value #REDUCER_TIMEOUT_MS}</td><td>{@value #DEFAULT_REDUCER_TIMEOUT_MS}</td><td>timeout of one reducer query</td></tr>
 *   <tr><td>{@value #PRODUCE_TIMEOUT_MS}</td><td>{@value #DEFAULT_PRODUCE_TIMEOUT_MS}</td><td>how long a batch waits for Kafka's acknowledgements</td></tr>
 *   <tr><td>{@value #PEER_TTL_MS}</td><td>{@value #DEFAULT_PEER_TTL_MS}</td><td>peer state (score, buckets) unused this long is dropped</td></tr>
 *   <tr><td>{@value #PEER_MAX_COUNT}</td><td>{@value #DEFAULT_PEER_MAX_COUNT}</td><td>most peers kept; the least recently seen are evicted</td></tr>
 *   <tr><td>{@value #PEER_CLEANUP_INTERVAL_MS}</td><td>{@value #DEFAULT_PEER_CLEANUP_INTERVAL_MS}</td><td>period of the cleanup of peers and nonces</td></tr>
 *   <tr><td>{@value #ARTIFACTS_DIR}</td><td>(none: no artifacts served)</td><td>the artifact store's directory ({@code FileArtifactStore}),
 *       served read-only at {@code GET /v1/authorities/{id}/artifacts/{sha256}}; env {@code FACTFLEET_BRIDGE_ARTIFACTS_DIR}</td></tr>
 *   <tr><td>{@value #ARTIFACTS_RATE_DEVICE_PER_SECOND}</td><td>{@value #DEFAULT_ARTIFACTS_RATE_DEVICE_PER_SECOND}</td><td>artifact download
 *       (range) requests per second per device, beside the request rate; above it 429 RATE_LIMITED with {@code Retry-After};
 *       env {@code FACTFLEET_BRIDGE_ARTIFACTS_RATE_DEVICE_PER_SECOND}</td></tr>
 *   <tr><td>{@value #ARTIFACTS_AUTHORITY_CACHE_MS}</td><td>{@value #DEFAULT_ARTIFACTS_AUTHORITY_CACHE_MS}</td><td>how long the artifacts an
 *       authority's upgrades name (asked of the reducer) are reused; one it does not name is asked again at once;
 *       env {@code FACTFLEET_BRIDGE_ARTIFACTS_AUTHORITY_CACHE_MS}</td></tr>
 *   <tr><td>{@value #STOP_GRACE_MS}</td><td>{@value #DEFAULT_STOP_GRACE_MS}</td><td>how long {@code stop()} lets requests in flight finish</td></tr>
 *   <tr><td>{@code acks}, {@code enable.idempotence}</td><td>{@code all}, {@code true}</td><td>forced: the bridge acknowledges only what Kafka has durably</td></tr>
 *   <tr><td>{@code delivery.timeout.ms}, {@code max.block.ms}, {@code linger.ms}</td><td>25000, 10000, 5</td><td>producer defaults</td></tr>
 * </table>
 */
public final class BridgeConfig {
    public static final String REDUCER_URL = "bridge.reducer.url";
    public static final String DEFAULT_REDUCER_URL = "http://localhost:8080";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String DEFAULT_SCHEMA_REGISTRY_URL = "http://localhost:8081";
    public static final String HTTP_PORT = "bridge.http.port";
    public static final int DEFAULT_HTTP_PORT = 8090;
    public static final String HTTP_BIND_HOST = "bridge.http.bind.host";
    public static final String DEFAULT_HTTP_BIND_HOST = "0.0.0.0";
    public static final String TLS_PORT = "bridge.tls.port";
    public static final int DEFAULT_TLS_PORT = 8443;
    public static final String TLS_KEYSTORE_PATH = "bridge.tls.keystore.path";
    public static final String TLS_KEYSTORE_PASSWORD = "bridge.tls.keystore.password";
    public static final String TLS_KEYSTORE_TYPE = "bridge.tls.keystore.type";
    public static final String DEFAULT_TLS_KEYSTORE_TYPE = "PKCS12";
    public static final String MAX_BODY_BYTES = "bridge.max.body.bytes";
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final String MAX_BATCH_FACTS = "bridge.max.batch.facts";
    public static final int DEFAULT_MAX_BATCH_FACTS = 500;
    public static final String MAX_FACT_BYTES = "bridge.max.fact.bytes";
    public static final int DEFAULT_MAX_FACT_BYTES = 64 * 1024;
    public static final String AUTH_SKEW_MS = "bridge.auth.skew.ms";
    public static final long DEFAULT_AUTH_SKEW_MS = 300_000;
    public static final String ROSTER_CACHE_MS = "bridge.roster.cache.ms";
    public static final long DEFAULT_ROSTER_CACHE_MS = 5_000;
    public static final String RATE_DEVICE_PER_SECOND = "bridge.rate.device.per.second";
    public static final int DEFAULT_RATE_DEVICE_PER_SECOND = 20;
    public static final String RATE_DEVICE_BURST = "bridge.rate.device.burst";
    public static final int DEFAULT_RATE_DEVICE_BURST = 40;
    public static final String RATE_GLOBAL_PER_SECOND = "bridge.rate.global.per.second";
    public static final int DEFAULT_RATE_GLOBAL_PER_SECOND = 2_000;
    public static final String RATE_GLOBAL_BURST = "bridge.rate.global.burst";
    public static final int DEFAULT_RATE_GLOBAL_BURST = 4_000;
    public static final String SESSIONS_PER_DEVICE = "bridge.sessions.max.per.device";
    public static final int DEFAULT_SESSIONS_PER_DEVICE = 4;
    public static final String SESSIONS_GLOBAL = "bridge.sessions.max.global";
    public static final int DEFAULT_SESSIONS_GLOBAL = 1_000;
    public static final String SHED_LOAD_FRACTION = "bridge.shed.load.fraction";
    public static final double DEFAULT_SHED_LOAD_FRACTION = 0.9;
    public static final String SHED_SCORE_THRESHOLD = "bridge.shed.score.threshold";
    public static final double DEFAULT_SHED_SCORE_THRESHOLD = 0.5;
    public static final String RETRY_AFTER_SECONDS = "bridge.retry.after.seconds";
    public static final int DEFAULT_RETRY_AFTER_SECONDS = 1;
    public static final String PENDING_WAIT_DEFAULT_SECONDS = "bridge.pending.wait.default.seconds";
    public static final int DEFAULT_PENDING_WAIT_DEFAULT_SECONDS = 25;
    public static final String PENDING_WAIT_MAX_SECONDS = "bridge.pending.wait.max.seconds";
    public static final int DEFAULT_PENDING_WAIT_MAX_SECONDS = 60;
    public static final String PENDING_POLL_INTERVAL_MS = "bridge.pending.poll.interval.ms";
    public static final long DEFAULT_PENDING_POLL_INTERVAL_MS = 500;
    public static final String PENDING_POLL_AFTER_MS = "bridge.pending.poll.after.ms";
    public static final long DEFAULT_PENDING_POLL_AFTER_MS = 30_000;
    public static final String SYNC_MAX_BYTES = "bridge.sync.max.bytes";
    public static final int DEFAULT_SYNC_MAX_BYTES = 4 * 1024 * 1024;
    public static final String REDUCER_TIMEOUT_MS = "bridge.reducer.timeout.ms";
    public static final long DEFAULT_REDUCER_TIMEOUT_MS = 5_000;
    public static final String PRODUCE_TIMEOUT_MS = "bridge.produce.timeout.ms";
    public static final long DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;
    public static final String PEER_TTL_MS = "bridge.peer.ttl.ms";
    public static final long DEFAULT_PEER_TTL_MS = 3_600_000;
    public static final String PEER_MAX_COUNT = "bridge.peer.max.count";
    public static final int DEFAULT_PEER_MAX_COUNT = 100_000;
    public static final String PEER_CLEANUP_INTERVAL_MS = "bridge.peer.cleanup.interval.ms";
    public static final long DEFAULT_PEER_CLEANUP_INTERVAL_MS = 60_000;
    public static final String ARTIFACTS_DIR = "bridge.artifacts.dir";
    public static final String ARTIFACTS_RATE_DEVICE_PER_SECOND = "bridge.artifacts.rate.device.per.second";
    public static final int DEFAULT_ARTIFACTS_RATE_DEVICE_PER_SECOND = 10;
    public static final String ARTIFACTS_AUTHORITY_CACHE_MS = "bridge.artifacts.authority.cache.ms";
    public static final long DEFAULT_ARTIFACTS_AUTHORITY_CACHE_MS = 5_000;
    public static final String STOP_GRACE_MS = "bridge.stop.grace.ms";
    public static final long DEFAULT_STOP_GRACE_MS = 10_000;

    private static final String OWN_PREFIX = "bridge.";
    private static final String REGISTRY_PREFIX = "schema.registry.";
    private static final String BASIC_AUTH_PREFIX = "basic.auth.";

    private final Properties properties;

    private BridgeConfig(final Properties properties) {
        this.properties = properties;
    }

    /** Every default, for {@link ServiceProperties#load}. */
    public static Map<String, String> defaults() {
        final Map<String, String> d = new LinkedHashMap<>();
        d.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        d.put(SCHEMA_REGISTRY_URL, DEFAULT_SCHEMA_REGISTRY_URL);
        d.put(REDUCER_URL, DEFAULT_REDUCER_URL);
        d.put(HTTP_PORT, String.valueOf(DEFAULT_HTTP_PORT));
        d.put(HTTP_BIND_HOST, DEFAULT_HTTP_BIND_HOST);
        d.put(TLS_PORT, String.valueOf(DEFAULT_TLS_PORT));
        d.put(TLS_KEYSTORE_TYPE, DEFAULT_TLS_KEYSTORE_TYPE);
        d.put(MAX_BODY_BYTES, String.valueOf(DEFAULT_MAX_BODY_BYTES));
        d.put(MAX_BATCH_FACTS, String.valueOf(DEFAULT_MAX_BATCH_FACTS));
        d.put(MAX_FACT_BYTES, String.valueOf(DEFAULT_MAX_FACT_BYTES));
        d.put(AUTH_SKEW_MS, String.valueOf(DEFAULT_AUTH_SKEW_MS));
        d.put(ROSTER_CACHE_MS, String.valueOf(DEFAULT_ROSTER_CACHE_MS));
        d.put(RATE_DEVICE_PER_SECOND, String.valueOf(DEFAULT_RATE_DEVICE_PER_SECOND));
        d.put(RATE_DEVICE_BURST, String.valueOf(DEFAULT_RATE_DEVICE_BURST));
        d.put(RATE_GLOBAL_PER_SECOND, String.valueOf(DEFAULT_RATE_GLOBAL_PER_SECOND));
        d.put(RATE_GLOBAL_BURST, String.valueOf(DEFAULT_RATE_GLOBAL_BURST));
        d.put(SESSIONS_PER_DEVICE, String.valueOf(DEFAULT_SESSIONS_PER_DEVICE));
        d.put(SESSIONS_GLOBAL, String.valueOf(DEFAULT_SESSIONS_GLOBAL));
        d.put(SHED_LOAD_FRACTION, String.valueOf(DEFAULT_SHED_LOAD_FRACTION));
        d.put(SHED_SCORE_THRESHOLD, String.valueOf(DEFAULT_SHED_SCORE_THRESHOLD));
        d.put(RETRY_AFTER_SECONDS, String.valueOf(DEFAULT_RETRY_AFTER_SECONDS));
        d.put(PENDING_WAIT_DEFAULT_SECONDS, String.valueOf(DEFAULT_PENDING_WAIT_DEFAULT_SECONDS));
        d.put(PENDING_WAIT_MAX_SECONDS, String.valueOf(DEFAULT_PENDING_WAIT_MAX_SECONDS));
        d.put(PENDING_POLL_INTERVAL_MS, String.valueOf(DEFAULT_PENDING_POLL_INTERVAL_MS));
        d.put(PENDING_POLL_AFTER_MS, String.valueOf(DEFAULT_PENDING_POLL_AFTER_MS));
        d.put(SYNC_MAX_BYTES, String.valueOf(DEFAULT_SYNC_MAX_BYTES));
        d.put(REDUCER_TIMEOUT_MS, String.valueOf(DEFAULT_REDUCER_TIMEOUT_MS));
        d.put(PRODUCE_TIMEOUT_MS, String.valueOf(DEFAULT_PRODUCE_TIMEOUT_MS));
        d.put(PEER_TTL_MS, String.valueOf(DEFAULT_PEER_TTL_MS));
        d.put(PEER_MAX_COUNT, String.valueOf(DEFAULT_PEER_MAX_COUNT));
        d.put(PEER_CLEANUP_INTERVAL_MS, String.valueOf(DEFAULT_PEER_CLEANUP_INTERVAL_MS));
        d.put(ARTIFACTS_RATE_DEVICE_PER_SECOND, String.valueOf(DEFAULT_ARTIFACTS_RATE_DEVICE_PER_SECOND));
        d.put(ARTIFACTS_AUTHORITY_CACHE_MS, String.valueOf(DEFAULT_ARTIFACTS_AUTHORITY_CACHE_MS));
        d.put(STOP_GRACE_MS, String.valueOf(DEFAULT_STOP_GRACE_MS));
        d.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "25000");
        d.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        d.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        d.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return d;
    }

    /**
     * The given properties with the defaults filled in where absent.
     *
     * @throws ConfigException if a numeric property does not parse or is out of range
     */
    public static BridgeConfig of(final Properties given) {
        final Properties p = new Properties();
        p.putAll(given);
        defaults().forEach(p::putIfAbsent);
        final BridgeConfig config = new BridgeConfig(p);
        config.validate();
        return config;
    }

    /** {@link #of(Properties)} of a map, for tests and embedding. */
    public static BridgeConfig of(final Map<String, ?> given) {
        final Properties p = new Properties();
        given.forEach((k, v) -> p.put(k, String.valueOf(v)));
        return of(p);
    }

    private void validate() {
        positive(MAX_BODY_BYTES);
        positive(MAX_BATCH_FACTS);
        positive(MAX_FACT_BYTES);
        positive(AUTH_SKEW_MS);
        positive(RATE_DEVICE_PER_SECOND);
        positive(RATE_DEVICE_BURST);
        positive(RATE_GLOBAL_PER_SECOND);
        positive(RATE_GLOBAL_BURST);
        positive(SESSIONS_PER_DEVICE);
        positive(SESSIONS_GLOBAL);
        positive(PENDING_POLL_INTERVAL_MS);
        positive(REDUCER_TIMEOUT_MS);
        positive(PRODUCE_TIMEOUT_MS);
        positive(PEER_TTL_MS);
        positive(PEER_MAX_COUNT);
        positive(PEER_CLEANUP_INTERVAL_MS);
        positive(ARTIFACTS_RATE_DEVICE_PER_SECOND);
        positive(ARTIFACTS_AUTHORITY_CACHE_MS);
        final double fraction = doubleValue(SHED_LOAD_FRACTION);
        if (fraction <= 0 || fraction > 1) {
            throw new ConfigException(SHED_LOAD_FRACTION, fraction, "must be in (0, 1]");
        }
        if (tlsKeystorePath().isPresent() && tlsKeystorePassword().isEmpty()) {
            throw new ConfigException(TLS_KEYSTORE_PASSWORD, null, "is required when " + TLS_KEYSTORE_PATH + " is set");
        }
        try {
            for (final String url : reducerUrl().split(",")) {
                if (URI.create(url.strip()).getHost() == null) {
                    throw new IllegalArgumentException("no host");
                }
            }
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(REDUCER_URL, reducerUrl(), "must be a URL such as " + DEFAULT_REDUCER_URL
                    + ", or several, comma-separated");
        }
    }

    private void positive(final String key) {
        if (longValue(key) <= 0) {
            throw new ConfigException(key, properties.getProperty(key), "must be positive");
        }
    }

    /** Every property, defaults included (a copy). */
    public Properties asProperties() {
        final Properties copy = new Properties();
        copy.putAll(properties);
        return copy;
    }

    /**
     * The producer's properties: everything that is neither the bridge's nor the registry client's,
     * with {@code acks=all}, idempotence and the authority partitioner forced.
     */
    public Map<String, Object> producerProperties() {
        final Map<String, Object> producer = new HashMap<>();
        properties.forEach((key, value) -> {
            final String k = key.toString();
            // factfleet.* (the bridge's identity for calling the reducer, factfleet.auth.client.key.file) is not the producer's either.
            if (!k.startsWith(OWN_PREFIX) && !isRegistryKey(k) && !k.startsWith("factfleet.")) {
                producer.put(k, value);
            }
        });
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producer.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class.getName());
        producer.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "factfleet-edge-bridge");
        return producer;
    }

    /** The schema registry client's configs: {@code schema.registry.*} and {@code basic.auth.*}. */
    public Map<String, Object> registryProperties() {
        final Map<String, Object> registry = new HashMap<>();
        properties.forEach((key, value) -> {
            if (isRegistryKey(key.toString())) {
                registry.put(key.toString(), value);
            }
        });
        return registry;
    }

    private static boolean isRegistryKey(final String key) {
        return key.startsWith(REGISTRY_PREFIX) || key.startsWith(BASIC_AUTH_PREFIX);
    }

    public String reducerUrl() {
        final String url = string(REDUCER_URL);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    public int httpPort() {
        return (int) longValue(HTTP_PORT);
    }

    public String httpBindHost() {
        return string(HTTP_BIND_HOST);
    }

    public int tlsPort() {
        return (int) longValue(TLS_PORT);
    }

    public Optional<String> tlsKeystorePath() {
        return optional(TLS_KEYSTORE_PATH);
    }

    public Optional<String> tlsKeystorePassword() {
        return optional(TLS_KEYSTORE_PASSWORD);
    }

    public String tlsKeystoreType() {
        return string(TLS_KEYSTORE_TYPE);
    }

    public int maxBodyBytes() {
        return (int) longValue(MAX_BODY_BYTES);
    }

    public int maxBatchFacts() {
        return (int) longValue(MAX_BATCH_FACTS);
    }

    public int maxFactBytes() {
        return (int) longValue(MAX_FACT_BYTES);
    }

    public Duration authSkew() {
        return Duration.ofMillis(longValue(AUTH_SKEW_MS));
    }

    public Duration rosterCacheTtl() {
        return Duration.ofMillis(longValue(ROSTER_CACHE_MS));
    }

    public int rateDevicePerSecond() {
        return (int) longValue(RATE_DEVICE_PER_SECOND);
    }

    public int rateDeviceBurst() {
        return (int) longValue(RATE_DEVICE_BURST);
    }

    public int rateGlobalPerSecond() {
        return (int) longValue(RATE_GLOBAL_PER_SECOND);
    }

    public int rateGlobalBurst() {
        return (int) longValue(RATE_GLOBAL_BURST);
    }

    public int sessionsPerDevice() {
        return (int) longValue(SESSIONS_PER_DEVICE);
    }

    public int sessionsGlobal() {
        return (int) longValue(SESSIONS_GLOBAL);
    }

    public double shedLoadFraction() {
        return doubleValue(SHED_LOAD_FRACTION);
    }

    public double shedScoreThreshold() {
        return doubleValue(SHED_SCORE_THRESHOLD);
    }

    public int retryAfterSeconds() {
        return (int) longValue(RETRY_AFTER_SECONDS);
    }

    public Duration pendingWaitDefault() {
        return Duration.ofSeconds(longValue(PENDING_WAIT_DEFAULT_SECONDS));
    }

    public Duration pendingWaitMax() {
        return Duration.ofSeconds(longValue(PENDING_WAIT_MAX_SECONDS));
    }

    public Duration pendingPollInterval() {
        return Duration.ofMillis(longValue(PENDING_POLL_INTERVAL_MS));
    }

    public long pendingPollAfterMs() {
        return longValue(PENDING_POLL_AFTER_MS);
    }

    public int syncMaxBytes() {
        return (int) longValue(SYNC_MAX_BYTES);
    }

    public Duration reducerTimeout() {
        return Duration.ofMillis(longValue(REDUCER_TIMEOUT_MS));
    }

    public Duration produceTimeout() {
        return Duration.ofMillis(longValue(PRODUCE_TIMEOUT_MS));
    }

    public Duration peerTtl() {
        return Duration.ofMillis(longValue(PEER_TTL_MS));
    }

    public int peerMaxCount() {
        return (int) longValue(PEER_MAX_COUNT);
    }

    public Duration peerCleanupInterval() {
        return Duration.ofMillis(longValue(PEER_CLEANUP_INTERVAL_MS));
    }

    /** The artifact store's directory, if this bridge serves artifacts. */
    public Optional<java.nio.file.Path> artifactsDir() {
        return optional(ARTIFACTS_DIR).map(java.nio.file.Path::of);
    }

    /** Artifact download requests per second per device. */
    public int artifactsRateDevicePerSecond() {
        return (int) longValue(ARTIFACTS_RATE_DEVICE_PER_SECOND);
    }

    /** How long the artifacts an authority's upgrades name are reused. */
    public Duration artifactsAuthorityCacheTtl() {
        return Duration.ofMillis(longValue(ARTIFACTS_AUTHORITY_CACHE_MS));
    }

    public Duration stopGrace() {
        return Duration.ofMillis(longValue(STOP_GRACE_MS));
    }

    private String string(final String key) {
        return properties.getProperty(key).trim();
    }

    private Optional<String> optional(final String key) {
        return Optional.ofNullable(properties.getProperty(key)).map(String::trim).filter(s -> !s.isEmpty());
    }

    private long longValue(final String key) {
        final String value = properties.getProperty(key);
        try {
            return Long.parseLong(value.trim());
        } catch (final NumberFormatException | NullPointerException e) {
            throw new ConfigException(key, value, "must be a whole number");
        }
    }

    private double doubleValue(final String key) {
        final String value = properties.getProperty(key);
        try {
            return Double.parseDouble(value.trim());
        } catch (final NumberFormatException | NullPointerException e) {
            throw new ConfigException(key, value, "must be a number");
        }
    }
}
