package io.factfleet.ingest;

import io.factfleet.core.Ed25519Keys;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * fact-ingest configuration: Kafka Streams properties plus FactFleet's own, with documented
 * defaults. Any Kafka client or security property passes through to Kafka Streams.
 */
public final class IngestConfig {
    /** Trusted operator root public keys (hex, comma-separated); only they may sign an authority's genesis. */
    public static final String OPERATOR_KEYS = "factfleet.operator.public.keys";
    /** Largest accepted inbound record value, in bytes (default 65536). */
    public static final String MAX_FACT_BYTES = "factfleet.ingest.max.fact.bytes";
    public static final int MAX_FACT_BYTES_DEFAULT = 64 * 1024;
    /**
     * Largest accepted {@code RosterBatchChanged} fact, in bytes (default 2097152, 2 MiB): a batch of the most entries a
     * batch may hold ({@code RosterBatches.MAX_ENTRIES}, 10,000) takes about 440 KB with short device ids and at most
     * 1.7 MB with 128-character ones. The journal, inbound and rejected topics take records up to
     * {@code FactFleetTopics.MAX_FACT_RECORD_BYTES} (4 MiB); a larger limit here needs their {@code max.message.bytes} raised.
     */
    public static final String MAX_ROSTER_BATCH_BYTES = "factfleet.ingest.max.roster.batch.bytes";
    public static final int MAX_ROSTER_BATCH_BYTES_DEFAULT = 2 * 1024 * 1024;
    /** Signature verifier: {@code sodium} (libsodium fast path, BouncyCastle's answers; default) or {@code bouncycastle}. */
    public static final String VERIFIER = "factfleet.ingest.verifier";
    /**
     * Longest a snapshot writer fence may hold an authority's facts (default 120000 ms): ingest's own
     * safety valve when a proposal neither completes nor aborts (the coordinator aborts on its own,
     * shorter, timeout).
     */
    public static final String MAX_FENCE_MILLIS = "factfleet.ingest.fence.max.ms";
    public static final long MAX_FENCE_MILLIS_DEFAULT = 120_000;
    /** URL of the schema registry (FactFleet's or Confluent's). */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /**
     * Port of ingest's small HTTP endpoint ({@code GET /metrics} in Prometheus text, {@code GET /health}); 0 for any free
     * port. Unset: no HTTP endpoint (embedded uses); {@code IngestMain} defaults it to {@value #DEFAULT_HTTP_PORT}.
     */
    public static final String HTTP_PORT = "factfleet.ingest.http.port";
    public static final int DEFAULT_HTTP_PORT = 8060;
    /** The interface the HTTP endpoint binds; default {@code 0.0.0.0}. */
    public static final String HTTP_BIND_HOST = "factfleet.ingest.http.bind.host";

    public static Map<String, String> defaults() {
        final Map<String, String> d = new HashMap<>();
        d.put(StreamsConfig.APPLICATION_ID_CONFIG, "factfleet-ingest");
        d.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        d.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Signature verification is the bottleneck (about 3,000 per core per second): one thread per core.
        d.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(Runtime.getRuntime().availableProcessors()));
        d.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        d.put(SCHEMA_REGISTRY_URL, "http://localhost:8081");
        d.put(MAX_FACT_BYTES, Integer.toString(MAX_FACT_BYTES_DEFAULT));
        d.put(MAX_ROSTER_BATCH_BYTES, Integer.toString(MAX_ROSTER_BATCH_BYTES_DEFAULT));
        d.put(OPERATOR_KEYS, "");
        d.put(VERIFIER, "sodium");
        d.put(MAX_FENCE_MILLIS, Long.toString(MAX_FENCE_MILLIS_DEFAULT));
        return d;
    }

    private final Properties props;

    public IngestConfig(final Properties props) {
        this.props = new Properties();
        defaults().forEach(this.props::putIfAbsent);
        this.props.putAll(props);
    }

    public Properties streamsProperties() {
        final Properties streams = new Properties();
        props.forEach((k, v) -> {
            if (!k.toString().startsWith("factfleet.")) {
                streams.put(k, v);
            }
        });
        return io.factfleet.contracts.StateRecordLimits.applyTo(streams);
    }

    /** The HTTP endpoint's port, when {@value #HTTP_PORT} is set. */
    public java.util.OptionalInt httpPort() {
        final String raw = props.getProperty(HTTP_PORT, "").trim();
        if (raw.isEmpty()) {
            return java.util.OptionalInt.empty();
        }
        try {
            final int port = Integer.parseInt(raw);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return java.util.OptionalInt.of(port);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(HTTP_PORT + " must be a port from 0 (any free port) to 65535, got '" + raw + "'");
        }
    }

    /** Every property, the defaults included. */
    public Properties props() {
        return props;
    }

    public String get(final String key) {
        return props.getProperty(key);
    }

    public int maxFactBytes() {
        return Integer.parseInt(props.getProperty(MAX_FACT_BYTES));
    }

    /** {@value #MAX_FACT_BYTES} and {@value #MAX_ROSTER_BATCH_BYTES}. */
    public FactSizeLimits factSizeLimits() {
        return new FactSizeLimits(maxFactBytes(), Integer.parseInt(props.getProperty(MAX_ROSTER_BATCH_BYTES)));
    }

    public long maxFenceMillis() {
        return Long.parseLong(props.getProperty(MAX_FENCE_MILLIS));
    }

    /** Operator keys by key id. */
    public Map<String, byte[]> operatorKeys() {
        return Ed25519Keys.publicKeysFromHex(props.getProperty(OPERATOR_KEYS, ""), OPERATOR_KEYS);
    }
}
