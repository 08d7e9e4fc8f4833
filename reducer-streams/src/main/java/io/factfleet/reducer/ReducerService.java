package io.factfleet.reducer;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.reducer.internal.AuthorityDirectory;
import io.factfleet.reducer.internal.AuthorityRouter;
import io.factfleet.reducer.internal.LocalAuthorityViews;
import io.factfleet.reducer.internal.ProtocolViews;
import io.factfleet.reducer.internal.ReducerHttpApi;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
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
 *
 * <p>Before starting Streams it checks that the journal and the rejected topic have the same number
 * of partitions (see {@link ReducerTopology}) and refuses to start if they do not; a topic that does
 * not exist yet, or a broker that does not answer in time, is logged and the check skipped.
 */
public final class ReducerService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReducerService.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final int TOPIC_CHECK_SECONDS = 15;
    private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(TOPIC_CHECK_SECONDS);

    private final ReducerConfig config;
    private final SchemaRegistryClient registry;
    private final ReducerMetrics metrics = new ReducerMetrics();
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final io.factfleet.auth.OperatorAuth auth;
    private final io.factfleet.auth.HttpTls tls;
    private KafkaStreamsMetrics streamsMetrics;
    private final ScheduledExecutorService metricsRefresh = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "reducer-metrics-refresh");
        t.setDaemon(true);
        return t;
    });
    private static final Duration METRICS_REFRESH = Duration.ofSeconds(5);

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
        this.auth = io.factfleet.auth.OperatorAuth.create(config.auth(), prometheus);
        this.tls = io.factfleet.auth.HttpTls.from(config.asProperties());
    }

    /** Who may call what (the routes and their rules, for tests over every endpoint). */
    public io.factfleet.auth.OperatorAuth auth() {
        return auth;
    }

    private static SchemaRegistryClient registryClient(final ReducerConfig config) {
        if (config.schemaRegistryUrl().isEmpty()) {
            throw new ConfigException(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, null,
                    "the reducer reads Avro facts in the Confluent wire format and needs a schema registry");
        }
        return new HttpSchemaRegistryClient(config.serdeConfig());
    }

    /**
     * Starts the HTTP server, then Kafka Streams.
     *
     * @throws ConfigException if the journal and the rejected topic have different partition counts
     */
    public synchronized ReducerService start() {
        if (http != null) {
            throw new IllegalStateException("the reducer is already started");
        }
        final Properties props = config.streamsProperties(metrics);
        checkSamePartitionCount(props, FactFleetTopics.JOURNAL.name(), FactFleetTopics.REJECTED.name());

        final AuthorityRouter router = new AuthorityRouter(() -> streams, () -> self, config.forwardTimeout(), config.retryAfterSeconds(), tls);
        final LocalAuthorityViews views = new LocalAuthorityViews(() -> streams, () -> describe(self));
        final ProtocolViews protocol = new ProtocolViews(() -> streams, System::currentTimeMillis, config.retryAfterSeconds());
        final AuthorityDirectory directory = new AuthorityDirectory(() -> streams, () -> self, config.forwardTimeout(), config.retryAfterSeconds(), tls);
        metrics.bindTo(prometheus);
        http = ReducerHttpApi.create(router, views, protocol, directory, () -> streams, metrics, prometheus::scrape, auth, tls,
                        config.httpBindHost(), config.httpPort())
                .start(config.httpBindHost(), config.httpPort());
        self = advertised(config, http.port());

        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, describe(self));
        final KafkaStreams app = new KafkaStreams(ReducerTopology.build(registry, metrics, config.rejectedRetention(), config.operatorKeys()), props);
        app.setUncaughtExceptionHandler(e -> {
            // Per-record failures are caught in the processor; what reaches here is Kafka or the registry
            // failing. A new thread resumes from the last committed offsets (exactly once).
            LOG.error("A reducer stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        app.setStateListener((now, before) -> LOG.info("Reducer {} at {}: {} -> {}", config.applicationId(), describe(self), before, now));
        streams = app;
        // Kafka Streams' own metrics (threads, tasks, processor nodes, state stores, and its clients' consumer and
        // producer metrics), as Micrometer gauges and counters: kafka_stream_*, kafka_consumer_*, kafka_producer_*.
        // Micrometer registers metrics that appear later (tasks, processor nodes, stores) on a refresh, every minute by
        // default; every few seconds they show up soon after an assignment.
        streamsMetrics = new KafkaStreamsMetrics(app, Tags.empty(), metricsRefresh, METRICS_REFRESH);
        streamsMetrics.bindTo(prometheus);
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
        if (streamsMetrics != null) {
            streamsMetrics.close();
            streamsMetrics = null;
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

    /** {@code http://<application.server>} ({@code https} when the reducer serves TLS, {@code factfleet.http.tls.*}). */
    public URI httpUri() {
        return URI.create(tls.scheme() + "://" + applicationServer());
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
     * Throws when both topics exist with different partition counts: the reducer reads them in one
     * task per partition number, so an authority's rejections would land in another task than its
     * facts (Kafka Streams does not check this for sources that only share a store). A topic that
     * does not exist, or a cluster that does not answer within {@value #TOPIC_CHECK_SECONDS} s, skips
     * the check with a warning.
     */
    static void checkSamePartitionCount(final Properties streamsProperties, final String first, final String second) {
        final Map<String, Object> adminConfig = new HashMap<>();
        streamsProperties.forEach((key, value) -> {
            final String name = key.toString();
            if (AdminClientConfig.configNames().contains(name)) {
                adminConfig.putIfAbsent(name, value);
            } else if (name.startsWith(StreamsConfig.ADMIN_CLIENT_PREFIX)) {
                adminConfig.put(name.substring(StreamsConfig.ADMIN_CLIENT_PREFIX.length()), value);
            }
        });
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "factfleet-reducer-topic-check");
        final Admin admin = Admin.create(adminConfig);
        try {
            final Map<String, KafkaFuture<TopicDescription>> topics = admin.describeTopics(List.of(first, second)).topicNameValues();
            final Map<String, Integer> partitions = new HashMap<>();
            for (final String topic : List.of(first, second)) {
                try {
                    partitions.put(topic, topics.get(topic).get(TOPIC_CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).partitions().size());
                } catch (final ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        LOG.warn("Topic {} does not exist (yet); cannot check that {} and {} have the same number of partitions", topic, first, second);
                    } else {
                        LOG.warn("Cannot describe topic {} to check its partition count: {}", topic, e.getCause().toString());
                    }
                    return;
                }
            }
            if (!partitions.get(first).equals(partitions.get(second))) {
                throw new ConfigException("Topics " + first + " (" + partitions.get(first) + " partitions) and " + second + " ("
                        + partitions.get(second) + " partitions) must have the same number of partitions: the reducer reads partition p "
                        + "of both in one task, so an authority's rejections must be on its facts' partition number");
            }
        } catch (final TimeoutException e) {
            LOG.warn("The cluster did not describe {} and {} within {}; skipping the partition count check", first, second, TOPIC_CHECK_TIMEOUT);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the partition counts of " + first + " and " + second, e);
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
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
