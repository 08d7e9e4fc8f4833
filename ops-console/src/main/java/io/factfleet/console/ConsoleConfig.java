package io.factfleet.console;

import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorCredential;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.ConfigException;

/**
 * The console's configuration: Kafka client properties (anything not starting with {@code factfleet.console.}, handed
 * to the Admin client and the short-lived timestamp consumer) plus the console's own keys:
 *
 * <table>
 * <caption>keys</caption>
 * <tr><td>{@value #HTTP_PORT}</td><td>HTTP port of the pages, {@code /api/*} and {@code /metrics}; 0 = any free port</td><td>{@value #DEFAULT_HTTP_PORT}</td></tr>
 * <tr><td>{@value #HTTP_BIND_HOST}</td><td>interface to bind</td><td>{@value #DEFAULT_HTTP_BIND_HOST}</td></tr>
 * <tr><td>{@value #SAMPLE_INTERVAL_MS}</td><td>how often the lag monitor samples offsets</td><td>{@value #DEFAULT_SAMPLE_INTERVAL_MS}</td></tr>
 * <tr><td>{@value #WINDOW_MS}</td><td>the rolling window statuses and trends are judged over</td><td>{@value #DEFAULT_WINDOW_MS}</td></tr>
 * <tr><td>{@value #MIN_SAMPLES}</td><td>samples a window needs before STALL or WARN can be judged</td><td>{@value #DEFAULT_MIN_SAMPLES}</td></tr>
 * <tr><td>{@value #GROUP_PATTERN}</td><td>regular expression of the consumer groups to watch</td><td>{@code .*}</td></tr>
 * <tr><td>{@value #REDUCER_URL}</td><td>the reducer's HTTP API, for the fleet and rollout pages</td><td>none</td></tr>
 * <tr><td>{@value #SNAPSHOT_URL}</td><td>the snapshot-coordinator's HTTP API (fence and proposal status)</td><td>none</td></tr>
 * <tr><td>{@value #OTA_URL}</td><td>the ota-coordinator's HTTP API (rollout waves)</td><td>none</td></tr>
 * <tr><td>{@code factfleet.auth.*}</td><td>who may open the console ({@link OperatorAuthConfig})</td><td>required</td></tr>
 * <tr><td>{@value OperatorCredential#CLIENT_KEY_FILE}</td><td>the console's own key, to read the other services</td><td>none</td></tr>
 * </table>
 */
public record ConsoleConfig(Map<String, Object> kafkaClientConfig, String httpBindHost, int httpPort, Duration sampleInterval,
                            Duration window, int minSamples, Pattern groupPattern, Optional<URI> reducerUrl,
                            Optional<URI> snapshotUrl, Optional<URI> otaUrl, Map<String, String> authSettings) {
    public static final String PREFIX = "factfleet.console.";
    public static final String HTTP_PORT = "factfleet.console.http.port";
    public static final int DEFAULT_HTTP_PORT = 8070;
    public static final String HTTP_BIND_HOST = "factfleet.console.http.bind.host";
    public static final String DEFAULT_HTTP_BIND_HOST = "0.0.0.0";
    public static final String SAMPLE_INTERVAL_MS = "factfleet.console.sample.interval.ms";
    public static final long DEFAULT_SAMPLE_INTERVAL_MS = 2_000;
    public static final String WINDOW_MS = "factfleet.console.window.ms";
    public static final long DEFAULT_WINDOW_MS = 60_000;
    public static final String MIN_SAMPLES = "factfleet.console.window.min.samples";
    public static final int DEFAULT_MIN_SAMPLES = 3;
    public static final String GROUP_PATTERN = "factfleet.console.group.pattern";
    public static final String REDUCER_URL = "factfleet.console.reducer.url";
    public static final String SNAPSHOT_URL = "factfleet.console.snapshot.url";
    public static final String OTA_URL = "factfleet.console.ota.url";

    public ConsoleConfig {
        kafkaClientConfig = Map.copyOf(kafkaClientConfig);
        authSettings = Map.copyOf(authSettings);
        if (!kafkaClientConfig.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new ConfigException(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, null, "the console reads the cluster's consumer groups and needs bootstrap.servers");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new ConfigException(HTTP_PORT, httpPort, "must be a port from 0 (any free port) to 65535");
        }
        if (sampleInterval.toMillis() < 100) {
            throw new ConfigException(SAMPLE_INTERVAL_MS, sampleInterval.toMillis(), "must be at least 100 ms");
        }
        if (window.compareTo(sampleInterval) < 0) {
            throw new ConfigException(WINDOW_MS, window.toMillis(), "must be at least the sample interval (" + sampleInterval.toMillis() + " ms)");
        }
        if (minSamples < 2) {
            throw new ConfigException(MIN_SAMPLES, minSamples, "must be at least 2: a trend needs two points");
        }
    }

    /** Reads the console's keys from {@code p}; every other key is a Kafka client property. */
    public static ConsoleConfig of(final Properties p) {
        final Map<String, Object> client = new LinkedHashMap<>();
        p.stringPropertyNames().stream().filter(k -> !k.startsWith("factfleet.")).forEach(k -> client.put(k, p.getProperty(k)));
        final String pattern = p.getProperty(GROUP_PATTERN, ".*");
        final Pattern groups;
        try {
            groups = Pattern.compile(pattern);
        } catch (final PatternSyntaxException e) {
            throw new ConfigException(GROUP_PATTERN, pattern, "not a regular expression: " + e.getDescription());
        }
        return new ConsoleConfig(client, p.getProperty(HTTP_BIND_HOST, DEFAULT_HTTP_BIND_HOST),
                intOf(p, HTTP_PORT, DEFAULT_HTTP_PORT),
                Duration.ofMillis(longOf(p, SAMPLE_INTERVAL_MS, DEFAULT_SAMPLE_INTERVAL_MS)),
                Duration.ofMillis(longOf(p, WINDOW_MS, DEFAULT_WINDOW_MS)),
                intOf(p, MIN_SAMPLES, DEFAULT_MIN_SAMPLES), groups,
                url(p, REDUCER_URL), url(p, SNAPSHOT_URL), url(p, OTA_URL), authSettings(p));
    }

    private static Map<String, String> authSettings(final Properties p) {
        final Map<String, String> auth = new LinkedHashMap<>();
        p.stringPropertyNames().stream().filter(k -> k.startsWith("factfleet.auth.") || k.startsWith("factfleet.http."))
                .forEach(k -> auth.put(k, p.getProperty(k)));
        return auth;
    }

    /** Who may open the console ({@code factfleet.auth.*}). */
    public OperatorAuthConfig auth() {
        return OperatorAuthConfig.from(authSettings);
    }

    /** TLS of the console's pages and what it trusts when it reads the other services ({@code factfleet.http.tls.*}). */
    public io.factfleet.auth.HttpTls tls() {
        return io.factfleet.auth.HttpTls.from(authSettings);
    }

    /** The console's own identity for reading the other services ({@value OperatorCredential#CLIENT_KEY_FILE}). */
    public OperatorCredential credential() {
        return OperatorCredential.fromProperties(authSettings);
    }

    private static Optional<URI> url(final Properties p, final String key) {
        final String raw = p.getProperty(key, "").trim();
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        final URI uri;
        try {
            uri = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
        } catch (final IllegalArgumentException e) {
            throw new ConfigException(key, raw, "not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new ConfigException(key, raw, "must be an http:// or https:// URL");
        }
        return Optional.of(uri);
    }

    private static long longOf(final Properties p, final String key, final long fallback) {
        final String raw = p.getProperty(key);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(raw.trim());
        } catch (final NumberFormatException e) {
            throw new ConfigException(key, raw, "must be a whole number");
        }
    }

    private static int intOf(final Properties p, final String key, final int fallback) {
        final long value = longOf(p, key, fallback);
        if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE) {
            throw new ConfigException(key, value, "out of range");
        }
        return (int) value;
    }
}
