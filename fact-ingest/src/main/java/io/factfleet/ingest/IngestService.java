package io.factfleet.ingest;

import io.factfleet.core.FactAdmission;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The fact-ingest application: start, stop, and what it has decided. */
public final class IngestService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final Duration METRICS_REFRESH = Duration.ofSeconds(5);

    private final IngestConfig config;
    private final SchemaRegistryClient registry;
    private final IngestCounters counters = new IngestCounters();
    private KafkaStreams streams;
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile io.factfleet.auth.OperatorAuth auth;
    private KafkaStreamsMetrics streamsMetrics;
    private ScheduledExecutorService metricsRefresh;
    private Javalin http;

    public IngestService(final Properties props) {
        this(props, null);
    }

    /** @param registry a registry client to use, or null to build one from {@code schema.registry.url} */
    public IngestService(final Properties props, final SchemaRegistryClient registry) {
        this.config = new IngestConfig(props);
        final Map<String, Object> clientConfig = new HashMap<>();
        config.streamsProperties().forEach((k, v) -> clientConfig.put(k.toString(), v));
        clientConfig.put(IngestConfig.SCHEMA_REGISTRY_URL, config.get(IngestConfig.SCHEMA_REGISTRY_URL));
        this.registry = registry != null ? registry : new HttpSchemaRegistryClient(clientConfig);
    }

    public synchronized void start() {
        final Map<String, byte[]> operators = config.operatorKeys();
        if (operators.isEmpty()) {
            LOG.warn("{} is empty: no authority can be created until an operator root key is configured", IngestConfig.OPERATOR_KEYS);
        }
        final SignatureVerifier verifier = IngestVerifiers.fromConfig(config);
        LOG.info("Verifying signatures with {}", verifier);
        final FactAdmission admission = new FactAdmission(operators, verifier);
        streams = new KafkaStreams(IngestTopology.build(registry, admission, config.factSizeLimits(), counters, config.maxFenceMillis()), config.streamsProperties());
        // A failure that is not the record's fault (for example the registry being unreachable) is
        // retried by a fresh thread from the last commit; poison records never get here.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread failed; replacing it and retrying from the last commit", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        startMetrics();
        streams.start();
        LOG.info("fact-ingest started: application.id={} bootstrap.servers={}", config.get("application.id"), config.get("bootstrap.servers"));
    }

    /**
     * Kafka Streams' metrics and the counters in Prometheus form, and (when {@value IngestConfig#HTTP_PORT} is set) the
     * HTTP endpoint serving them at {@code GET /metrics}, with {@code GET /health}.
     */
    private void startMetrics() {
        counters.bindTo(prometheus);
        metricsRefresh = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "ingest-metrics-refresh");
            t.setDaemon(true);
            return t;
        });
        // Task and processor-node metrics appear after the assignment; refreshed every few seconds, not every minute.
        streamsMetrics = new KafkaStreamsMetrics(streams, Tags.empty(), metricsRefresh, METRICS_REFRESH);
        streamsMetrics.bindTo(prometheus);
        final java.util.OptionalInt port = config.httpPort();
        if (port.isPresent()) {
            final KafkaStreams app = streams;
            // Only with an HTTP endpoint do callers need authenticating (factfleet.auth.*): /metrics needs metrics.read on
            // '*' unless factfleet.auth.metrics.open, /health is open.
            auth = io.factfleet.auth.OperatorAuth.fromProperties(config.props(), prometheus);
            http = Javalin.create(c -> {
                c.showJavalinBanner = false;
                c.startupWatcherEnabled = false;
                auth.configure(c);
                io.factfleet.auth.HttpTls.from(config.props()).serve(c, config.props().getProperty(IngestConfig.HTTP_BIND_HOST, "0.0.0.0"),
                        port.getAsInt());
            });
            http.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(prometheus.scrape()), io.factfleet.auth.AccessRule.metrics());
            http.get("/health", ctx -> {
                final KafkaStreams.State state = app.state();
                ctx.status(state == KafkaStreams.State.RUNNING ? 200 : 503).json(Map.of("status", state.name()));
            }, io.factfleet.auth.AccessRule.open());
            http.start(config.props().getProperty(IngestConfig.HTTP_BIND_HOST, "0.0.0.0"), port.getAsInt());
            LOG.info("fact-ingest serving /metrics and /health on port {}", http.port());
        }
    }

    /** The Prometheus text exposition of ingest's metrics (also what {@code GET /metrics} answers). */
    public String scrapeMetrics() {
        return prometheus.scrape();
    }

    /** Who may call what on the HTTP endpoint, when it is started (for tests over every endpoint). */
    public java.util.Optional<io.factfleet.auth.OperatorAuth> auth() {
        return java.util.Optional.ofNullable(auth);
    }

    /** The HTTP endpoint's port, when it is started. */
    public java.util.OptionalInt httpPort() {
        final Javalin server = http;
        return server == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(server.port());
    }

    public KafkaStreams.State state() {
        return streams == null ? KafkaStreams.State.CREATED : streams.state();
    }

    public IngestCounters counters() {
        return counters;
    }

    public KafkaStreams streams() {
        return streams;
    }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.stop();
            http = null;
        }
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
            streams = null;
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
            streamsMetrics = null;
        }
        if (metricsRefresh != null) {
            metricsRefresh.shutdownNow();
            metricsRefresh = null;
        }
    }
}
