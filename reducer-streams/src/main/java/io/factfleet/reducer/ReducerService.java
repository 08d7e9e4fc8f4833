package io.factfleet.reducer;

import io.factfleet.reducer.internal.AuthorityRouter;
import io.factfleet.reducer.internal.LocalAuthorityViews;
import io.factfleet.reducer.internal.ReducerHttpApi;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.javalin.Javalin;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reducer instance: the Kafka Streams application of {@link ReducerTopology} and the HTTP server
 * that answers interactive queries for any authority, locally or by forwarding to the owner.
 *
 * <pre>{@code
 * Properties p = new Properties();
 * p.put("bootstrap.servers", "localhost:9092");
 * p.put("schema.registry.url", "http://localhost:8081");
 * p.put("state.dir", "/var/lib/factfleet/reducer");
 * p.put("http.port", "0");                       // any free port; application.server follows it
 * ReducerService reducer = new ReducerService(ReducerConfig.of(p)).start();
 * URI api = reducer.httpUri();                   // e.g. http://localhost:41234
 * ...
 * reducer.stop();
 * }</pre>
 *
 * <p>{@link #start()} starts the HTTP server first, because {@code application.server} must name the
 * port it actually bound, then Kafka Streams; it returns without waiting for Streams to reach
 * RUNNING ({@code GET /health} says when). Several instances with the same {@code application.id}
 * and different {@code state.dir} and {@code http.port} share the journal's partitions.
 */
public final class ReducerService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReducerService.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final ReducerConfig config;
    private final SchemaRegistryClient registry;
    private final ReducerMetrics metrics = new ReducerMetrics();

    private Javalin http;
    private volatile KafkaStreams streams;
    private volatile HostInfo self;

    /**
     * A service decoding the journal with the schema registry at {@code schema.registry.url} (and any
     * other {@code schema.registry.*} / {@code basic.auth.*} client setting).
     *
     * @throws ConfigException if {@code schema.registry.url} is missing
     */
    public ReducerService(final ReducerConfig config) {
        this(config, registryClient(config));
    }

    /** A service decoding the journal with the given registry client (an in-memory one in tests). */
    public ReducerService(final ReducerConfig config, final SchemaRegistryClient registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    private static SchemaRegistryClient registryClient(final ReducerConfig config) {
        if (config.schemaRegistryUrl().isEmpty()) {
            throw new ConfigException(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, null,
                    "the reducer reads Avro facts in the Confluent wire format and needs a schema registry");
        }
        return new HttpSchemaRegistryClient(config.serdeConfig());
    }

    /** Starts the HTTP server, then Kafka Streams. */
    public synchronized ReducerService start() {
        if (http != null) {
            throw new IllegalStateException("the reducer is already started");
        }
        final AuthorityRouter router = new AuthorityRouter(() -> streams, () -> self, config.forwardTimeout(), config.retryAfterSeconds());
        final LocalAuthorityViews views = new LocalAuthorityViews(() -> streams, () -> describe(self));
        http = ReducerHttpApi.create(router, views, () -> streams, metrics).start(config.httpBindHost(), config.httpPort());
        self = advertised(config, http.port());

        final Properties props = config.streamsProperties(metrics);
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, describe(self));
        final KafkaStreams app = new KafkaStreams(ReducerTopology.build(registry, metrics), props);
        app.setUncaughtExceptionHandler(e -> {
            // Per-record failures are caught in the processor; what reaches here is Kafka or the registry
            // failing. A new thread resumes from the last committed offsets (exactly once).
            LOG.error("A reducer stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        app.setStateListener((now, before) -> LOG.info("Reducer {} at {}: {} -> {}", config.applicationId(), describe(self), before, now));
        streams = app;
        app.start();
        LOG.info("Reducer {} serving HTTP at {} (bound to {}:{})", config.applicationId(), describe(self), config.httpBindHost(), http.port());
        return this;
    }

    /** Stops Kafka Streams (flushing its stores), then the HTTP server. Idempotent. */
    public synchronized void stop() {
        final KafkaStreams app = streams;
        if (app != null) {
            app.close(CLOSE_TIMEOUT);
        }
        if (http != null) {
            http.stop();
            http = null;
        }
        streams = null;
    }

    @Override
    public void close() {
        stop();
    }

    /** The port the HTTP server bound. */
    public int httpPort() {
        return requireStarted().port();
    }

    /** The advertised {@code host:port} ({@code application.server}), as written into {@code servedBy}. */
    public String applicationServer() {
        requireStarted();
        return describe(self);
    }

    /** {@code http://<application.server>}. */
    public URI httpUri() {
        return URI.create("http://" + applicationServer());
    }

    /** Kafka Streams' state, or {@link KafkaStreams.State#NOT_RUNNING} when not started. */
    public KafkaStreams.State streamsState() {
        final KafkaStreams app = streams;
        return app == null ? KafkaStreams.State.NOT_RUNNING : app.state();
    }

    /** This instance's counters. */
    public ReducerMetrics metrics() {
        return metrics;
    }

    /**
     * {@code application.server} if configured (a port of 0 replaced by {@code boundPort}), else
     * {@code localhost:<boundPort>}.
     */
    static HostInfo advertised(final ReducerConfig config, final int boundPort) {
        final String configured = config.applicationServer().orElse("localhost:0");
        final HostInfo host = HostInfo.buildFromEndpoint(configured);
        if (host == null) {
            throw new ConfigException(StreamsConfig.APPLICATION_SERVER_CONFIG, configured, "must be host:port");
        }
        return host.port() == 0 ? new HostInfo(host.host(), boundPort) : host;
    }

    private Javalin requireStarted() {
        final Javalin server = http;
        if (server == null) {
            throw new IllegalStateException("the reducer is not started");
        }
        return server;
    }

    private static String describe(final HostInfo host) {
        return host == null ? "unknown" : host.host() + ":" + host.port();
    }
}
