package io.factfleet.ota;

import io.factfleet.core.AdminKeyRing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The OTA coordinator's configuration: Kafka Streams properties plus its own, defaults applied with
 * {@code putIfAbsent} so anything given explicitly wins.
 *
 * <table>
 *   <caption>Properties and defaults</caption>
 *   <tr><th>property</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code bootstrap.servers}</td><td>(required)</td><td>Kafka brokers</td></tr>
 *   <tr><td>{@code application.id}</td><td>{@value #DEFAULT_APPLICATION_ID}</td><td>Streams application</td></tr>
 *   <tr><td>{@code processing.guarantee}</td><td>{@code exactly_once_v2}</td><td></td></tr>
 *   <tr><td>{@code schema.registry.url}</td><td>(required)</td><td>registry of the facts' Avro schemas</td></tr>
 *   <tr><td>{@value #HTTP_PORT_CONFIG}</td><td>{@value #DEFAULT_HTTP_PORT}</td><td>HTTP port; 0 picks a free one</td></tr>
 *   <tr><td>{@value #HTTP_BIND_HOST_CONFIG}</td><td>{@value #DEFAULT_HTTP_BIND_HOST}</td><td>interface the HTTP server binds</td></tr>
 *   <tr><td>{@value #ADMIN_KEYS_CONFIG}</td><td>(none)</td><td>path of the {@link AdminKeyRing} file; authorities
 *       without a key are watched but not acted on</td></tr>
 *   <tr><td>{@value #TICK_MS_CONFIG}</td><td>{@value #DEFAULT_TICK_MS}</td><td>wall-clock period of the wave-timeout check</td></tr>
 *   <tr><td>{@value #ACTOR_CONFIG}</td><td>{@value #DEFAULT_ACTOR}</td><td>device id the coordinator's facts name</td></tr>
 * </table>
 */
public final class OtaConfig {
    public static final String DEFAULT_APPLICATION_ID = "factfleet-ota-coordinator";
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    public static final String HTTP_PORT_CONFIG = "factfleet.ota.http.port";
    public static final int DEFAULT_HTTP_PORT = 8083;
    public static final String HTTP_BIND_HOST_CONFIG = "factfleet.ota.http.bind.host";
    public static final String DEFAULT_HTTP_BIND_HOST = "0.0.0.0";
    public static final String ADMIN_KEYS_CONFIG = "factfleet.coordinator.admin.keys";
    public static final String TICK_MS_CONFIG = "factfleet.ota.tick.ms";
    public static final long DEFAULT_TICK_MS = 1_000;
    public static final String ACTOR_CONFIG = "factfleet.ota.actor";
    /**
     * Authorities whose policy separates proposing from approving (comma-separated ids, or {@code *} for all):
     * the operator who proposed an upgrade may not approve its rollout. Default: none.
     */
    public static final String SEPARATION_OF_DUTIES_CONFIG = "factfleet.ota.separation.of.duties";
    public static final String DEFAULT_ACTOR = "ota-coordinator";

    private static final String OWN_PREFIX = "factfleet.";
    private static final String REGISTRY_PREFIX = "schema.registry.";
    private static final String BASIC_AUTH_PREFIX = "basic.auth.";
    private static final Set<String> PRODUCER_KEYS = Set.of("bootstrap.servers", "security.protocol", "sasl.mechanism", "sasl.jaas.config");

    private final Properties properties;

    private OtaConfig(final Properties properties) {
        this.properties = properties;
    }

    /** The given properties with the defaults filled in where absent. */
    public static OtaConfig of(final Properties given) {
        final Properties p = new Properties();
        p.putAll(given);
        p.putIfAbsent(StreamsConfig.APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID);
        p.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.putIfAbsent(HTTP_PORT_CONFIG, String.valueOf(DEFAULT_HTTP_PORT));
        p.putIfAbsent(HTTP_BIND_HOST_CONFIG, DEFAULT_HTTP_BIND_HOST);
        p.putIfAbsent(TICK_MS_CONFIG, String.valueOf(DEFAULT_TICK_MS));
        p.putIfAbsent(ACTOR_CONFIG, DEFAULT_ACTOR);
        return new OtaConfig(p);
    }

    /** Whether {@code authorityId}'s policy forbids an upgrade's proposer to approve it ({@value #SEPARATION_OF_DUTIES_CONFIG}). */
    public boolean separatesDuties(final String authorityId) {
        for (final String id : properties.getProperty(SEPARATION_OF_DUTIES_CONFIG, "").split(",")) {
            if (id.strip().equals("*") || id.strip().equals(authorityId)) {
                return true;
            }
        }
        return false;
    }

    /** Properties for Kafka Streams: everything but the coordinator's own and the registry client's keys. */
    public Properties streamsProperties() {
        final Properties p = new Properties();
        properties.forEach((key, value) -> {
            final String k = key.toString();
            if (!k.startsWith(OWN_PREFIX) && !k.startsWith(REGISTRY_PREFIX) && !k.startsWith(BASIC_AUTH_PREFIX)) {
                p.put(key, value);
            }
        });
        return io.factfleet.contracts.StateRecordLimits.applyTo(p);
    }

    /** Properties for the producer of operator actions (connection settings only). */
    public Map<String, Object> producerProperties() {
        final Map<String, Object> p = new HashMap<>();
        properties.forEach((key, value) -> {
            final String k = key.toString();
            if (PRODUCER_KEYS.contains(k) || k.startsWith("ssl.")) {
                p.put(k, value);
            }
        });
        return p;
    }

    /** Configs of the schema registry client. */
    public Map<String, Object> registryConfig() {
        final Map<String, Object> serde = new HashMap<>();
        properties.forEach((key, value) -> {
            if (key.toString().startsWith(REGISTRY_PREFIX) || key.toString().startsWith(BASIC_AUTH_PREFIX)) {
                serde.put(key.toString(), value);
            }
        });
        return serde;
    }

    /** TLS of the HTTP API and of forwarding ({@code factfleet.http.tls.*}; see {@link io.factfleet.auth.HttpTls}). */
    public io.factfleet.auth.HttpTls tls() {
        return io.factfleet.auth.HttpTls.from(properties);
    }

    /** How operators are authenticated ({@code factfleet.auth.*}; see {@link io.factfleet.auth.OperatorAuthConfig}). */
    public io.factfleet.auth.OperatorAuthConfig auth() {
        return io.factfleet.auth.OperatorAuthConfig.from(properties);
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

    public Duration tick() {
        return Duration.ofMillis(Long.parseLong(properties.getProperty(TICK_MS_CONFIG).trim()));
    }

    public String actor() {
        return properties.getProperty(ACTOR_CONFIG).trim();
    }

    /** The admin key ring named by {@value #ADMIN_KEYS_CONFIG}, or an empty one. */
    public AdminKeyRing adminKeys() {
        final String path = properties.getProperty(ADMIN_KEYS_CONFIG);
        if (path == null || path.isBlank()) {
            return AdminKeyRing.empty();
        }
        final Path file = Path.of(path.trim());
        if (java.nio.file.Files.exists(file)) {
            AdminKeyRing.load(file); // a malformed ring fails at start, not later
        }
        return AdminKeyRing.following(file); // keys added later (the demo, the simulation) are picked up
    }
}
