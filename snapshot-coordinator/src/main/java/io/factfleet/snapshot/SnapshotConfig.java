package io.factfleet.snapshot;

import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.Ed25519Keys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The snapshot coordinator's configuration: Kafka Streams settings pass through; these are its own.
 *
 * <ul>
 *   <li>{@code schema.registry.url}: the registry facts are encoded with (required).</li>
 *   <li>{@code factfleet.coordinator.admin.keys}: the admin key ring file ({@link AdminKeyRing}); the
 *       coordinator acts only for authorities whose admin key it holds.</li>
 *   <li>{@code factfleet.operator.public.keys}: trusted operator keys (hex, comma-separated), to verify a
 *       snapshot's roster chain before hydrating from it.</li>
 *   <li>{@code factfleet.snapshot.timeout.ms} (30000): an open proposal without M approvals is aborted.</li>
 *   <li>{@code factfleet.snapshot.auto.facts} (0 = off): propose when the journal grew by this many facts.</li>
 *   <li>{@code factfleet.snapshot.auto.epochs} (0 = off): propose when the identity epoch advanced this much.</li>
 *   <li>{@code factfleet.snapshot.chunk.bytes} (524288): blob chunk size on factfleet.snapshot-blobs.</li>
 *   <li>{@code factfleet.snapshot.retries} (5): proposals emitted again after STALE_PREFIX or an epoch advance.</li>
 *   <li>{@code http.port} (8082, 0 = any), {@code http.bind.host} (0.0.0.0).</li>
 * </ul>
 */
public final class SnapshotConfig {
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String ADMIN_KEYS = "factfleet.coordinator.admin.keys";
    public static final String OPERATOR_KEYS = "factfleet.operator.public.keys";
    public static final String TIMEOUT_MS = "factfleet.snapshot.timeout.ms";
    public static final String AUTO_FACTS = "factfleet.snapshot.auto.facts";
    public static final String AUTO_EPOCHS = "factfleet.snapshot.auto.epochs";
    public static final String CHUNK_BYTES = "factfleet.snapshot.chunk.bytes";
    public static final String RETRIES = "factfleet.snapshot.retries";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_BIND_HOST = "http.bind.host";
    public static final int DEFAULT_HTTP_PORT = 8082;
    private static final Set<String> OWN = Set.of(HTTP_PORT, HTTP_BIND_HOST);

    private final Properties props;
    private final AdminKeyRing keys;

    private SnapshotConfig(final Properties props, final AdminKeyRing keys) {
        this.props = props;
        this.keys = keys;
    }

    public static Map<String, String> defaults() {
        final Map<String, String> d = new HashMap<>();
        d.put(StreamsConfig.APPLICATION_ID_CONFIG, "factfleet-snapshot-coordinator");
        d.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        d.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Low traffic, latency-bound (two hops of every snapshot): commit the exactly-once transaction every 20 ms.
        d.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "20");
        d.put(TIMEOUT_MS, "30000");
        d.put(AUTO_FACTS, "0");
        d.put(AUTO_EPOCHS, "0");
        d.put(CHUNK_BYTES, Integer.toString(512 * 1024));
        d.put(RETRIES, "5");
        d.put(HTTP_PORT, Integer.toString(DEFAULT_HTTP_PORT));
        d.put(HTTP_BIND_HOST, "0.0.0.0");
        d.put(OPERATOR_KEYS, "");
        return d;
    }

    /** Reads the key ring from {@code factfleet.coordinator.admin.keys} (none: an empty ring, the coordinator only watches). */
    public static SnapshotConfig of(final Properties props) {
        final Properties all = new Properties();
        defaults().forEach(all::put);
        all.putAll(props);
        final String file = all.getProperty(ADMIN_KEYS, "");
        if (!file.isBlank() && java.nio.file.Files.exists(Path.of(file))) {
            AdminKeyRing.load(Path.of(file)); // a malformed ring fails at start, not later
        }
        return new SnapshotConfig(all, file.isBlank() ? AdminKeyRing.empty() : AdminKeyRing.following(Path.of(file)));
    }

    /** With an explicit key ring (tests, or an embedding that keeps keys elsewhere). */
    public static SnapshotConfig of(final Properties props, final AdminKeyRing keys) {
        final Properties all = new Properties();
        defaults().forEach(all::put);
        all.putAll(props);
        return new SnapshotConfig(all, keys);
    }

    /** The key ring now (a ring file is followed as keys are added to it). */
    public AdminKeyRing keys() {
        return keys;
    }

    public String get(final String key) {
        return props.getProperty(key);
    }

    /** TLS of the HTTP API and of forwarding ({@code factfleet.http.tls.*}; see {@link io.factfleet.auth.HttpTls}). */
    public io.factfleet.auth.HttpTls tls() {
        return io.factfleet.auth.HttpTls.from(props);
    }

    /** How operators are authenticated ({@code factfleet.auth.*}; see {@link io.factfleet.auth.OperatorAuthConfig}). */
    public io.factfleet.auth.OperatorAuthConfig auth() {
        return io.factfleet.auth.OperatorAuthConfig.from(props);
    }

    public String schemaRegistryUrl() {
        final String url = props.getProperty(SCHEMA_REGISTRY_URL, "");
        if (url.isBlank()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL, null, "the snapshot coordinator reads and writes Avro facts and needs a schema registry");
        }
        return url;
    }

    public Duration timeout() {
        return Duration.ofMillis(Long.parseLong(props.getProperty(TIMEOUT_MS)));
    }

    public long autoFacts() {
        return Long.parseLong(props.getProperty(AUTO_FACTS));
    }

    public long autoEpochs() {
        return Long.parseLong(props.getProperty(AUTO_EPOCHS));
    }

    public int chunkBytes() {
        return Integer.parseInt(props.getProperty(CHUNK_BYTES));
    }

    public int retries() {
        return Integer.parseInt(props.getProperty(RETRIES));
    }

    public int httpPort() {
        return Integer.parseInt(props.getProperty(HTTP_PORT));
    }

    public String httpBindHost() {
        return props.getProperty(HTTP_BIND_HOST);
    }

    public Map<String, byte[]> operatorKeys() {
        try {
            return Ed25519Keys.publicKeysFromHex(props.getProperty(OPERATOR_KEYS, ""), OPERATOR_KEYS);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Kafka Streams and client settings: everything that is not the coordinator's own. */
    public Properties streamsProperties() {
        final Properties streams = new Properties();
        props.forEach((k, v) -> {
            final String key = k.toString();
            if (!key.startsWith("factfleet.") && !OWN.contains(key)) {
                streams.put(key, v);
            }
        });
        return io.factfleet.contracts.StateRecordLimits.applyTo(streams);
    }

    /** Settings of the registry client ({@code schema.registry.*}, {@code basic.auth.*}). */
    public Map<String, Object> serdeConfig() {
        final Map<String, Object> serde = new HashMap<>();
        props.forEach((k, v) -> {
            final String key = k.toString();
            if (key.startsWith("schema.registry.") || key.startsWith("basic.auth.")) {
                serde.put(key, v);
            }
        });
        return serde;
    }
}
