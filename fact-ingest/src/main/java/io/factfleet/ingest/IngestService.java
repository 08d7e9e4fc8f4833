package io.factfleet.ingest;

import io.factfleet.core.FactAdmission;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import java.time.Duration;
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

    private final IngestConfig config;
    private final SchemaRegistryClient registry;
    private final IngestCounters counters = new IngestCounters();
    private KafkaStreams streams;

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
        streams = new KafkaStreams(IngestTopology.build(registry, admission, config.maxFactBytes(), counters, config.maxFenceMillis()), config.streamsProperties());
        // A failure that is not the record's fault (for example the registry being unreachable) is
        // retried by a fresh thread from the last commit; poison records never get here.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread failed; replacing it and retrying from the last commit", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        LOG.info("fact-ingest started: application.id={} bootstrap.servers={}", config.get("application.id"), config.get("bootstrap.servers"));
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
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
            streams = null;
        }
    }
}
