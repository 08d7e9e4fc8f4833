package io.factfleet.deploy.k8s;

import io.factfleet.auth.HttpTls;
import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.console.ConsoleConfig;
import io.factfleet.contracts.ServiceAcls;
import io.factfleet.contracts.ServiceProperties;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ota.OtaConfig;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.registry.SchemaRegistryConfig;
import io.factfleet.registry.client.SchemaRegistryClientConfig;
import io.factfleet.snapshot.SnapshotConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The FactFleet services as the manifests run them: the workload and container names, the Kafka principal and
 * ACLs ({@link ServiceAcls}), and how the service reads its configuration. Each service's environment is read here
 * with the service's own code: {@link ServiceProperties#load} (or {@link SchemaRegistryConfig#load} for the registry's
 * {@code SCHEMA_REGISTRY_*} variables), then its own config class, so a variable the service would not read, or a value
 * it would refuse, fails the tests.
 */
enum FactFleetWorkload {
    SCHEMA_REGISTRY("factfleet-schema-registry", "schema-registry", "schema-registry", ServiceAcls.Service.REGISTRY, false) {
        @Override
        Properties properties(final Map<String, String> environment) {
            try {
                return SchemaRegistryConfig.load(Optional.empty(), environment);
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        int httpPort(final Properties p) {
            final SchemaRegistryConfig config = new SchemaRegistryConfig(p);
            config.bootstrapServers();
            config.defaultCompatibility();
            config.auth();
            return config.listener().getPort();
        }

        @Override
        Set<String> readProperties() {
            final Set<String> names = constants(SchemaRegistryConfig.class, OperatorAuthConfig.class, HttpTls.class);
            // The store's Kafka clients take every client setting under kafkastore.
            for (final String client : kafkaClientConfigs()) {
                names.add("kafkastore." + client);
            }
            return names;
        }

        @Override
        String environmentPrefix() {
            return SchemaRegistryConfig.ENV_PREFIX;
        }
    },
    INGEST("factfleet-ingest", "ingest", "fact-ingest", ServiceAcls.Service.INGEST, true) {
        @Override
        Properties properties(final Map<String, String> environment) {
            // IngestMain's defaults: IngestConfig's, with the HTTP endpoint on its default port.
            final Map<String, String> defaults = new HashMap<>(IngestConfig.defaults());
            defaults.put(IngestConfig.HTTP_PORT, Integer.toString(IngestConfig.DEFAULT_HTTP_PORT));
            return ServiceProperties.load(defaults, null, environment, Map.of());
        }

        @Override
        int httpPort(final Properties p) {
            final IngestConfig config = new IngestConfig(p);
            config.operatorKeys();
            config.factSizeLimits();
            config.maxFenceMillis();
            OperatorAuthConfig.from(p);
            return config.httpPort().orElseThrow();
        }

        @Override
        Set<String> readProperties() {
            return streamsService(IngestConfig.class);
        }
    },
    REDUCER("factfleet-reducer", "reducer", "reducer-streams", ServiceAcls.Service.REDUCER, true) {
        @Override
        Properties properties(final Map<String, String> environment) {
            return ServiceProperties.load(Map.of(), null, environment, Map.of());
        }

        @Override
        int httpPort(final Properties p) {
            final ReducerConfig config = ReducerConfig.of(p);
            config.operatorKeys();
            config.forwardTimeout();
            config.auth();
            return config.httpPort();
        }

        @Override
        Set<String> readProperties() {
            return streamsService(ReducerConfig.class);
        }

        @Override
        boolean advertisesApplicationServer() {
            return true;
        }
    },
    SNAPSHOT_COORDINATOR("factfleet-snapshot-coordinator", "snapshot-coordinator", "snapshot-coordinator", ServiceAcls.Service.SNAPSHOT_COORDINATOR, true) {
        @Override
        Properties properties(final Map<String, String> environment) {
            return ServiceProperties.load(Map.of(), null, environment, Map.of());
        }

        @Override
        int httpPort(final Properties p) {
            final SnapshotConfig config = SnapshotConfig.of(p);
            config.schemaRegistryUrl();
            config.operatorKeys();
            config.autoFacts();
            config.auth();
            return config.httpPort();
        }

        @Override
        Set<String> readProperties() {
            return streamsService(SnapshotConfig.class);
        }

        @Override
        boolean advertisesApplicationServer() {
            return true;
        }
    },
    OTA_COORDINATOR("factfleet-ota-coordinator", "ota-coordinator", "ota-coordinator", ServiceAcls.Service.OTA_COORDINATOR, true) {
        @Override
        Properties properties(final Map<String, String> environment) {
            return ServiceProperties.load(Map.of(), null, environment, Map.of());
        }

        @Override
        int httpPort(final Properties p) {
            final OtaConfig config = OtaConfig.of(p);
            config.adminKeys();
            config.tick();
            config.auth();
            return config.httpPort();
        }

        @Override
        Set<String> readProperties() {
            return streamsService(OtaConfig.class);
        }

        @Override
        boolean advertisesApplicationServer() {
            return true;
        }
    },
    EDGE_BRIDGE("factfleet-edge-bridge", "edge-bridge", "edge-bridge", ServiceAcls.Service.EDGE_BRIDGE, false) {
        @Override
        Properties properties(final Map<String, String> environment) {
            return ServiceProperties.load(BridgeConfig.defaults(), null, environment, Map.of());
        }

        @Override
        int httpPort(final Properties p) {
            return BridgeConfig.of(p).httpPort(); // BridgeConfig.of validates every bridge.* value
        }

        @Override
        Set<String> readProperties() {
            final Set<String> names = constants(BridgeConfig.class, SchemaRegistryClientConfig.class, OperatorCredential.class, HttpTls.class);
            names.addAll(ProducerConfig.configNames());
            return names;
        }
    },
    CONSOLE("factfleet-console", "console", "ops-console", ServiceAcls.Service.CONSOLE, false) {
        @Override
        Properties properties(final Map<String, String> environment) {
            return ServiceProperties.load(Map.of(), null, environment, Map.of());
        }

        @Override
        int httpPort(final Properties p) {
            final ConsoleConfig config = ConsoleConfig.of(p);
            config.auth();
            return config.httpPort();
        }

        @Override
        Set<String> readProperties() {
            final Set<String> names = constants(ConsoleConfig.class, OperatorAuthConfig.class, OperatorCredential.class, HttpTls.class);
            names.addAll(AdminClientConfig.configNames());
            names.addAll(ConsumerConfig.configNames());
            return names;
        }
    };

    private final String workloadName;
    private final String containerName;
    private final String imageName;
    private final ServiceAcls.Service service;
    private final boolean streamsApplication;

    FactFleetWorkload(final String workloadName, final String containerName, final String imageName, final ServiceAcls.Service service,
                      final boolean streamsApplication) {
        this.workloadName = workloadName;
        this.containerName = containerName;
        this.imageName = imageName;
        this.service = service;
        this.streamsApplication = streamsApplication;
    }

    /** The service's properties for {@code environment}: its main's defaults, then the variables, layered by its own code. */
    abstract Properties properties(Map<String, String> environment);

    /**
     * The port the service's HTTP server binds, read by its config class, which first reads (and so checks) the settings
     * that take a value of a type: a value it would refuse at start-up throws here.
     */
    abstract int httpPort(Properties properties);

    /** Every property name the service reads (its own, its Kafka clients', its registry client's, operator auth, TLS). */
    abstract Set<String> readProperties();

    /** The prefix of the environment variables the service reads as properties. */
    String environmentPrefix() {
        return ServiceProperties.ENV_PREFIX;
    }

    /**
     * The property an environment variable sets, as the service's own code maps it ({@link ServiceProperties#load}, or
     * {@link SchemaRegistryConfig#load} for the registry), or empty for a variable it does not read.
     */
    Optional<String> propertyOf(final String variable) {
        final Map<String, String> one = Map.of(variable, "x");
        final Properties p;
        if (this == SCHEMA_REGISTRY) {
            try {
                p = SchemaRegistryConfig.load(Optional.empty(), one);
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        } else {
            p = ServiceProperties.load(Map.of(), null, one, Map.of());
        }
        return p.stringPropertyNames().stream().findFirst();
    }

    /** Whether the service advertises {@code application.server} as configured (the Streams services with an HTTP API do). */
    boolean advertisesApplicationServer() {
        return false;
    }

    String workloadName() {
        return workloadName;
    }

    String containerName() {
        return containerName;
    }

    /** The image's name under {@code ghcr.io/factfleet/}: the service's module. */
    String imageName() {
        return imageName;
    }

    ServiceAcls.Service service() {
        return service;
    }

    boolean streamsApplication() {
        return streamsApplication;
    }

    /** The Kafka principal's user name: {@code factfleet-<service>}, as {@code factfleet kafka-acls} names it by default. */
    String kafkaUser() {
        return "factfleet-" + service.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Optional<FactFleetWorkload> named(final String workloadName) {
        for (final FactFleetWorkload w : values()) {
            if (w.workloadName.equals(workloadName)) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    private static Set<String> streamsService(final Class<?> config) {
        final Set<String> names = constants(config, SchemaRegistryClientConfig.class, OperatorAuthConfig.class, HttpTls.class);
        names.addAll(StreamsConfig.configDef().names());
        names.addAll(kafkaClientConfigs());
        return names;
    }

    private static Set<String> kafkaClientConfigs() {
        final Set<String> names = new TreeSet<>(ProducerConfig.configNames());
        names.addAll(ConsumerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        return names;
    }

    /** The values of the public String constants of {@code types}: the property names their services read. */
    private static Set<String> constants(final Class<?>... types) {
        final Set<String> names = new TreeSet<>();
        for (final Class<?> type : types) {
            for (final Field f : type.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                    try {
                        names.add((String) f.get(null));
                    } catch (final IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return names;
    }
}
