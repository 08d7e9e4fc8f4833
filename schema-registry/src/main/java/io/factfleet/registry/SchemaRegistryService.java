package io.factfleet.registry;

import io.factfleet.registry.internal.Registry;
import io.factfleet.registry.internal.RestApi;
import io.javalin.Javalin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Properties;

/**
 * A schema registry speaking the Confluent Schema Registry REST API (the subset serializers and operators
 * use), storing schemas and compatibility levels in a compacted single-partition Kafka topic
 * ({@code _schemas} by default).
 *
 * <p>Embed it:
 * <pre>{@code
 * Properties props = new Properties();
 * props.setProperty("bootstrap.servers", kafka.bootstrapServers());
 * props.setProperty("listeners", "http://127.0.0.1:0");      // ephemeral port
 * try (SchemaRegistryService registry = new SchemaRegistryService(props)) {
 *     registry.start();                                     // returns once serving
 *     String url = registry.url();                          // for schema.registry.url
 * }
 * }</pre>
 * or run {@link SchemaRegistryMain}. Properties are described in {@link SchemaRegistryConfig}.
 *
 * <p>Only one instance per store topic should accept writes ({@code leader.eligibility=true}, the
 * default); more instances with {@code leader.eligibility=false} can serve reads.
 */
public final class SchemaRegistryService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryService.class);

    private final SchemaRegistryConfig config;
    private final io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters =
        new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
    private final io.factfleet.auth.OperatorAuth auth;
    private final io.factfleet.auth.HttpTls tls;
    private Registry registry;
    private Javalin http;
    private volatile boolean ready;

    /**
     * A registry with these properties over {@link SchemaRegistryConfig#defaults()}; not started.
     *
     * @throws IllegalArgumentException if a property is invalid
     */
    public SchemaRegistryService(final Properties properties) {
        this.config = new SchemaRegistryConfig(properties);
        // Fail at construction, not at start, on a missing or malformed setting.
        config.bootstrapServers();
        config.listener();
        config.defaultCompatibility();
        config.storeTimeout();
        config.initTimeout();
        this.auth = io.factfleet.auth.OperatorAuth.create(config.auth(), meters);
        this.tls = io.factfleet.auth.HttpTls.from(config.toProperties());
    }

    /** Who may call what (the routes and their rules, for tests over every endpoint). */
    public io.factfleet.auth.OperatorAuth auth() {
        return auth;
    }

    /**
     * Starts serving HTTP ({@code /health} answers 503 meanwhile), creates the store topic if missing,
     * reads it to the end, and returns once every endpoint answers.
     *
     * @throws IllegalStateException if already started, or the store cannot be read in
     *                               {@code kafkastore.init.timeout.ms}
     */
    public synchronized void start() {
        if (registry != null) {
            throw new IllegalStateException("Schema registry already started");
        }
        final URI listener = config.listener();
        registry = new Registry(config);
        try {
            http = Javalin.create(javalin -> {
                javalin.showJavalinBanner = false;
                javalin.startupWatcherEnabled = false;
                javalin.router.ignoreTrailingSlashes = true;
                javalin.http.defaultContentType = RestApi.CONTENT_TYPE;
                auth.configure(javalin);
                tls.serve(javalin, listener.getHost(), listener.getPort());
            });
            new RestApi(registry, () -> ready, meters::scrape).install(http);
            http.start(listener.getHost(), listener.getPort());
            registry.start(config.initTimeout());
            ready = true;
        } catch (final RuntimeException e) {
            stop();
            throw new IllegalStateException("Schema registry failed to start: " + e.getMessage(), e);
        }
        LOG.info("Schema registry serving at {} from topic {} on {}", url(), config.topic(), config.bootstrapServers());
    }

    /** Stops serving and closes the Kafka clients. Idempotent. */
    public synchronized void stop() {
        ready = false;
        if (http != null) {
            http.stop();
            http = null;
        }
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** True once started and caught up with the store, until stopped. */
    public boolean isReady() {
        return ready;
    }

    /**
     * The bound HTTP port (the real one when {@code listeners} asked for port 0).
     *
     * @throws IllegalStateException if not started
     */
    public synchronized int port() {
        if (http == null) {
            throw new IllegalStateException("Schema registry is not started");
        }
        return http.port();
    }

    /**
     * The URL clients use, e.g. {@code http://127.0.0.1:8081}; a wildcard listen address is given as
     * {@code localhost}.
     */
    public String url() {
        final String host = config.listener().getHost();
        final boolean wildcard = host == null || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
        return tls.scheme() + "://" + (wildcard ? "localhost" : host) + ":" + port();
    }

    /** The effective configuration. */
    public SchemaRegistryConfig config() {
        return config;
    }
}
