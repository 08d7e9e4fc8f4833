package io.factfleet.ota;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.ota.internal.OtaHttpApi;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.javalin.Javalin;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One OTA coordinator: the Kafka Streams application of {@link OtaTopology} and its HTTP front.
 *
 * <pre>{@code
 * Properties p = new Properties();
 * p.put("bootstrap.servers", "localhost:9092");
 * p.put("schema.registry.url", "http://localhost:8081");
 * p.put("factfleet.coordinator.admin.keys", "/etc/factfleet/admin-keys.properties");
 * p.put("factfleet.ota.http.port", "0");
 * OtaCoordinatorService ota = new OtaCoordinatorService(OtaConfig.of(p)).start();
 * int port = ota.port();
 * ...
 * ota.stop();
 * }</pre>
 *
 * <p>HTTP reads come from this instance's stores: run one instance (or route by authority in front
 * of several); see the README.
 */
public final class OtaCoordinatorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OtaCoordinatorService.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final OtaConfig config;
    private final SchemaRegistryClient registry;
    private final AdminKeyRing keys;
    private volatile org.apache.kafka.streams.state.HostInfo self;
    private final OtaMetrics metrics = new OtaMetrics();
    private final io.factfleet.auth.OperatorAuth auth;
    private Javalin http;
    private KafkaProducer<String, byte[]> producer;
    private volatile KafkaStreams streams;

    public OtaCoordinatorService(final OtaConfig config) {
        this(config, registryClient(config));
    }

    public OtaCoordinatorService(final OtaConfig config, final SchemaRegistryClient registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.keys = config.adminKeys();
        this.auth = io.factfleet.auth.OperatorAuth.create(config.auth(), metrics.registry());
    }

    /** Who may call what (the routes and their rules, for tests over every endpoint). */
    public io.factfleet.auth.OperatorAuth auth() {
        return auth;
    }

    private static SchemaRegistryClient registryClient(final OtaConfig config) {
        if (config.schemaRegistryUrl().isEmpty()) {
            throw new ConfigException(OtaConfig.SCHEMA_REGISTRY_URL_CONFIG, null, "the coordinator reads and writes Avro facts and needs a schema registry");
        }
        return new HttpSchemaRegistryClient(config.registryConfig());
    }

    /** Starts Kafka Streams, the producer of operator actions and the HTTP server. */
    public synchronized OtaCoordinatorService start() {
        if (http != null) {
            throw new IllegalStateException("the OTA coordinator is already started");
        }
        final Map<String, Object> producerProps = new HashMap<>(config.producerProperties());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "factfleet-ota-operator-actions");
        producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(registry);

        // HTTP first: application.server must name the port actually bound, so that other instances can forward to this one.
        http = OtaHttpApi.create(() -> streams, () -> self, keys, config.actor(), fact -> {
            try {
                producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                        serializer.serialize(FactFleetTopics.INBOUND.name(), fact))).get(30, TimeUnit.SECONDS);
            } catch (final Exception e) {
                throw new IllegalStateException("cannot produce the fact to " + FactFleetTopics.INBOUND.name() + ": " + e, e);
            }
        }, metrics, System::currentTimeMillis, auth, config.tls(), config.httpBindHost(), config.httpPort(), config::separatesDuties)
                .start(config.httpBindHost(), config.httpPort());
        final java.util.Properties streamsProps = config.streamsProperties();
        final String advertised = streamsProps.getProperty(org.apache.kafka.streams.StreamsConfig.APPLICATION_SERVER_CONFIG, "localhost:0");
        final org.apache.kafka.streams.state.HostInfo configured = org.apache.kafka.streams.state.HostInfo.buildFromEndpoint(advertised);
        self = new org.apache.kafka.streams.state.HostInfo(configured.host(), configured.port() == 0 ? http.port() : configured.port());
        streamsProps.put(org.apache.kafka.streams.StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        final KafkaStreams app = new KafkaStreams(OtaTopology.build(registry, keys, config.actor(), config.tick(), metrics), streamsProps);
        app.setUncaughtExceptionHandler(e -> {
            LOG.error("An OTA coordinator stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams = app;
        app.start();
        LOG.info("OTA coordinator serving HTTP on port {}; admin keys for {}", http.port(), keys.authorities());
        return this;
    }

    /** Stops HTTP, Kafka Streams and the producer. Idempotent. */
    public synchronized void stop() {
        if (http != null) {
            http.stop();
            http = null;
        }
        final KafkaStreams app = streams;
        if (app != null) {
            app.close(CLOSE_TIMEOUT);
            streams = null;
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** {@code http://localhost:<port>}, or {@code https} when it serves TLS ({@code factfleet.http.tls.*}). */
    public java.net.URI uri() {
        return java.net.URI.create(config.tls().scheme() + "://localhost:" + port());
    }

    /** The HTTP port bound. */
    public int port() {
        if (http == null) {
            throw new IllegalStateException("the OTA coordinator is not started");
        }
        return http.port();
    }

    public KafkaStreams.State streamsState() {
        final KafkaStreams app = streams;
        return app == null ? KafkaStreams.State.NOT_RUNNING : app.state();
    }

    public OtaMetrics metrics() {
        return metrics;
    }
}
