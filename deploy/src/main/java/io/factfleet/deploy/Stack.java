package io.factfleet.deploy;

import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.BridgeState;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.console.ConsoleConfig;
import io.factfleet.console.ConsoleService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.internal.TopicCreation;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryConfig;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole FactFleet stack in one JVM: a Kafka cluster (a {@link LocalBroker}, or an existing cluster),
 * every topic of {@link FactFleetTopics#all()}, the schema registry, fact-ingest, the reducer, the snapshot and OTA
 * coordinators, the operators' console (lag, fleet and rollout pages) and the edge bridge (the devices' HTTP entrance).
 * This is what {@code factfleet run} starts.
 *
 * <pre>{@code
 * Stack stack = new Stack(settings).start();   // returns once both Streams applications are RUNNING
 * ... stack.reducerUrl() ...
 * stack.stop();                                // services in reverse order, then the broker
 * }</pre>
 *
 * <p>{@link #stop()} may be called from another thread (a shutdown hook) while {@link #start()} is
 * still running: it stops what has started so far and makes {@code start()} give up.
 */
public final class Stack implements AutoCloseable {
    /**
     * Properties that name one service instance; taken from a shared client configuration they would make the
     * services collide, so they are ignored there.
     */
    public static final Set<String> PER_SERVICE_KEYS = Set.of(StreamsConfig.APPLICATION_ID_CONFIG, StreamsConfig.STATE_DIR_CONFIG,
            StreamsConfig.APPLICATION_SERVER_CONFIG, CommonClientConfigs.CLIENT_ID_CONFIG, CommonClientConfigs.GROUP_ID_CONFIG,
            "transactional.id", "listeners", ReducerConfig.HTTP_PORT_CONFIG, ReducerConfig.HTTP_BIND_HOST_CONFIG,
            BridgeConfig.HTTP_PORT, BridgeConfig.HTTP_BIND_HOST, BridgeConfig.REDUCER_URL);
    private static final Logger LOG = LoggerFactory.getLogger(Stack.class);
    private static final String LOCAL_SESSION_TIMEOUT_MS = "10000";

    private final Settings settings;
    private final Deque<Part> stopInReverse = new ArrayDeque<>();
    private volatile boolean stopping;

    private Ed25519Keys.SigningKey operatorKey;
    private StackIdentities identities;
    private LocalBroker broker;
    private Map<String, String> clientConfig;
    private SchemaRegistryService registry;
    private IngestService ingest;
    private ReducerService reducer;
    private EdgeBridgeService bridge;
    private SnapshotCoordinatorService snapshots;
    private OtaCoordinatorService ota;
    private ConsoleService console;

    public Stack(final Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Starts everything and waits until fact-ingest and the reducer are RUNNING.
     *
     * @throws BrokerStartException  if the local broker cannot start
     * @throws IllegalStateException if a port is taken, a service fails, or the stack was stopped meanwhile
     */
    public Stack start() {
        final DataDirectory dir = settings.dataDirectory().create();
        try {
            if (settings.externalRegistryUrl().isEmpty()) {
                requirePortFree(settings.registryPort(), "schema registry");
            }
            requirePortFree(settings.reducerPort(), "reducer HTTP API");
            requirePortFree(settings.bridgePort(), "edge bridge");
            requirePortFree(settings.snapshotPort(), "snapshot coordinator");
            requirePortFree(settings.otaPort(), "OTA coordinator");
            requirePortFree(settings.consolePort(), "operators' console");
            operatorKey = OperatorKey.loadOrCreate(dir.operatorKey());
            identities = StackIdentities.loadOrCreate(dir, operatorKey);

            final Map<String, String> client = new LinkedHashMap<>(settings.kafkaClientConfig());
            if (settings.usesLocalBroker()) {
                broker = LocalBroker.builder(dir.broker())
                        .logFile(dir.brokerLog())
                        .port(settings.kafkaPort())
                        .controllerPort(settings.controllerPort())
                        .build();
                started("the Kafka broker", broker::stop, broker::isRunning);
                broker.start();
                client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            } else {
                LOG.info("Using the existing Kafka cluster at {}", client.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
            }
            clientConfig = Map.copyOf(client);
            checkNotStopping();

            try (Admin admin = Admin.create(new LinkedHashMap<String, Object>(clientConfig))) {
                final List<TopicCreation.Plan> plans = new ArrayList<>(TopicCreation.Plan.of(FactFleetTopics.all(), settings.partitions()));
                if (settings.externalRegistryUrl().isEmpty()) {
                    // The registry creates its store topic itself if missing, but reads it at once, before every
                    // broker knows it; created here, with the registry's own layout, it is ready when the registry starts.
                    plans.add(new TopicCreation.Plan(SchemaRegistryConfig.DEFAULT_TOPIC, 1,
                            Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
                }
                TopicCreation.createMissing(admin, plans, settings.startTimeout());
            }
            checkNotStopping();

            if (settings.externalRegistryUrl().isPresent()) {
                LOG.info("Using the existing schema registry at {}", registryUrl());
            } else {
                registry = new SchemaRegistryService(registryProperties());
                started("the schema registry", registry::stop, () -> true);
                registry.start();
                checkNotStopping();
            }

            ingest = new IngestService(ingestProperties());
            started("fact-ingest", ingest::close, () -> true);
            ingest.start();
            checkNotStopping();

            reducer = new ReducerService(ReducerConfig.of(reducerProperties()));
            started("the reducer", reducer::stop, () -> true);
            reducer.start();

            snapshots = new SnapshotCoordinatorService(SnapshotConfig.of(snapshotProperties()));
            started("the snapshot coordinator", snapshots::stop, () -> true);
            snapshots.start();

            awaitRunning("fact-ingest", ingest::state);
            awaitRunning("reducer", reducer::streamsState);
            awaitRunning("snapshot coordinator", snapshots::streamsState);
            checkNotStopping();

            ota = new OtaCoordinatorService(OtaConfig.of(otaProperties()));
            started("the OTA coordinator", ota::stop, () -> ota.streamsState() != KafkaStreams.State.NOT_RUNNING);
            ota.start();
            checkNotStopping();

            // The operators' console reads the consumer groups and the reducer's queries.
            console = new ConsoleService(ConsoleConfig.of(consoleProperties()));
            started("the operators' console", console::stop, () -> true);
            console.start();
            checkNotStopping();

            // Last to start, first to stop: devices reach the rest through it.
            bridge = new EdgeBridgeService(BridgeConfig.of(bridgeProperties()));
            started("the edge bridge", bridge::stop, () -> bridge.state() != BridgeState.STOPPED);
            bridge.start();
            LOG.info("FactFleet stack running: Kafka {}, registry {}, reducer {}, edge bridge {}, snapshot coordinator {}, OTA coordinator {}",
                    bootstrapServers(), registryUrl(), reducerUrl(), bridgeUrl(), snapshotUrl(), otaUrl());
            return this;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while starting the stack", e);
        } catch (final RuntimeException e) {
            stop();
            throw e;
        }
    }

    /**
     * Stops what was {@linkplain #attach attached} (the simulated fleet), the edge bridge, the console, the OTA and snapshot
     * coordinators, the reducer, fact-ingest,
     * the registry and the local broker, in that order. Idempotent.
     */
    public void stop() {
        stopping = true;
        while (true) {
            final Part next;
            synchronized (stopInReverse) {
                next = stopInReverse.pollFirst();
            }
            if (next == null) {
                return;
            }
            try {
                final boolean wasRunning = next.running().getAsBoolean();
                next.stop().run();
                if (wasRunning) {
                    LOG.info("Stopped {}", next.name());
                }
            } catch (final RuntimeException e) {
                LOG.warn("Failed to stop {} cleanly", next.name(), e);
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Makes {@link #stop()} stop {@code part} before anything of the stack itself (something that uses the
     * stack, such as the simulated fleet). If the stack is stopping already, stops it at once and throws.
     *
     * @throws IllegalStateException if the stack was stopped
     */
    void attach(final String name, final Runnable stop) {
        synchronized (stopInReverse) {
            if (!stopping) {
                stopInReverse.addFirst(new Part(name, stop, () -> true));
                return;
            }
        }
        stop.run();
        throw new IllegalStateException("the stack was stopped");
    }

    /** Whether {@link #stop()} was called. */
    public boolean stopping() {
        return stopping;
    }

    public Settings settings() {
        return settings;
    }

    /** The local broker, when the stack started one. */
    public Optional<LocalBroker> localBroker() {
        return Optional.ofNullable(broker);
    }

    public String bootstrapServers() {
        return clientConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }

    /** The properties every Kafka client of the stack uses: bootstrap servers plus the shared client/security settings. */
    public Map<String, String> kafkaClientConfig() {
        return clientConfig;
    }

    /** The schema registry's URL: the one the stack started, or {@code schema.registry.url} of the shared configuration. */
    public String registryUrl() {
        return settings.externalRegistryUrl().orElseGet(() -> registry.url());
    }

    /**
     * A registry client's configuration for the stack's own tools (the demo's and the simulation's operator facts): the
     * shared client settings, the registry's URL and, for the stack's own registry, the local operator's basic login.
     */
    public Map<String, Object> registryClientConfig() {
        final Map<String, Object> config = new LinkedHashMap<>(clientConfig);
        config.put(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl());
        if (startedRegistry()) {
            config.put("basic.auth.credentials.source", "USER_INFO");
            config.put("basic.auth.user.info", identities.localOperatorUserInfo());
        }
        return config;
    }

    /** Whether the stack started its own schema registry. */
    public boolean startedRegistry() {
        return registry != null;
    }

    /** {@code http://<host>:<port>} of the reducer's HTTP API. */
    public URI reducerUrl() {
        return reducer.httpUri();
    }

    /** {@code http://localhost:<port>} of the operators' console: {@code /lag}, {@code /fleet}, {@code /rollouts}, {@code /metrics}. */
    public URI consoleUrl() {
        return console.uri();
    }

    /** {@code http://localhost:<port>/metrics} of fact-ingest (Prometheus text). */
    public URI ingestMetricsUrl() {
        return URI.create("http://localhost:" + ingest.httpPort().orElseThrow() + "/metrics");
    }

    /** The edge bridge: the devices' HTTP API (edge-bridge/PROTOCOL.md). */
    public EdgeBridgeService bridge() {
        return bridge;
    }

    /** {@code http://localhost:<port>} of the edge bridge. */
    public URI bridgeUrl() {
        return bridge.uri();
    }

    public Ed25519Keys.SigningKey operatorKey() {
        return operatorKey;
    }

    /** A GET of {@code uri} signed as the local operator (what the demo and the simulation read the reducer with). */
    public java.net.http.HttpRequest.Builder operatorGet(final URI uri) {
        return operatorCredential().sign(java.net.http.HttpRequest.newBuilder(uri), "GET", uri, new byte[0]).GET();
    }

    /** Who may call the services: the operators file, the services' own credentials, the local operator's login. */
    public StackIdentities identities() {
        return identities;
    }

    /** The local operator's credential: requests signed with {@link #operatorKey()} ({@code admin} on every authority). */
    public io.factfleet.auth.OperatorCredential operatorCredential() {
        return io.factfleet.auth.OperatorCredential.ed25519(operatorKey);
    }

    /**
     * Operator authentication for one service: the data directory's operators file, {@code factfleet.auth.*} of the
     * shared configuration (a JWKS, {@code factfleet.auth.metrics.open=true}, ...), the service's registry login
     * (when the registry is the stack's own) and its key for calling other services (when it calls any).
     */
    private void authenticate(final Properties p, final String registryClient, final String keyedService) {
        clientConfig.forEach((k, v) -> {
            if (k.startsWith("factfleet.auth.")) {
                p.setProperty(k, v);
            }
        });
        p.setProperty(io.factfleet.auth.OperatorAuthConfig.OPERATORS_FILE, identities.operatorsFile().toString());
        if (registryClient != null && settings.externalRegistryUrl().isEmpty()) {
            p.setProperty("basic.auth.credentials.source", "USER_INFO");
            p.setProperty("basic.auth.user.info", identities.registryUserInfo(registryClient));
        }
        if (keyedService != null) {
            p.setProperty(io.factfleet.auth.OperatorCredential.CLIENT_KEY_FILE, identities.serviceKey(keyedService).toString());
        }
    }

    public DataDirectory dataDirectory() {
        return settings.dataDirectory();
    }

    private Properties registryProperties() {
        final Properties p = new Properties();
        clientConfig.forEach((k, v) -> {
            if (!k.startsWith("factfleet.")) {
                p.setProperty(k.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) ? k : "kafkastore." + k, v);
            }
        });
        p.setProperty(SchemaRegistryConfig.LISTENERS_CONFIG, "http://" + settings.httpHost() + ":" + settings.registryPort());
        authenticate(p, null, null);
        return p;
    }

    private Properties ingestProperties() {
        final Properties p = new Properties();
        p.putAll(clientConfig);
        localStreamsDefaults(p);
        p.setProperty(StreamsConfig.STATE_DIR_CONFIG, settings.dataDirectory().ingestState().toString());
        p.setProperty(IngestConfig.SCHEMA_REGISTRY_URL, registryUrl());
        final String configured = clientConfig.getOrDefault(IngestConfig.OPERATOR_KEYS, "");
        final String ours = Hashing.hex(operatorKey.publicKey());
        p.setProperty(IngestConfig.OPERATOR_KEYS, configured.isBlank() ? ours : configured + "," + ours);
        // Its /metrics endpoint: the shared configuration may fix the port; otherwise any free port (printed at start-up).
        p.putIfAbsent(IngestConfig.HTTP_PORT, "0");
        p.setProperty(IngestConfig.HTTP_BIND_HOST, settings.httpHost());
        authenticate(p, "ingest", null);
        return p;
    }

    /** The OTA coordinator: shared client settings, its state directory, port and, when present, the data directory's admin key ring. */
    private Properties otaProperties() {
        final Properties p = new Properties();
        clientConfig.forEach((k, v) -> {
            if (!k.startsWith("factfleet.")) {
                p.setProperty(k, v);
            }
        });
        localStreamsDefaults(p);
        p.setProperty(StreamsConfig.STATE_DIR_CONFIG, settings.dataDirectory().otaState().toString());
        p.setProperty(OtaConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl());
        p.setProperty(OtaConfig.HTTP_PORT_CONFIG, Integer.toString(settings.otaPort()));
        p.setProperty(OtaConfig.HTTP_BIND_HOST_CONFIG, settings.httpHost());
        // The ring the demo and the simulation add their authorities' admin keys to (followed as it changes).
        p.setProperty(OtaConfig.ADMIN_KEYS_CONFIG, settings.dataDirectory().adminKeys().toString());
        authenticate(p, "ota-coordinator", null);
        return p;
    }

    /** The OTA coordinator's HTTP API (ota-coordinator/README.md). */
    public URI otaUrl() {
        return URI.create("http://" + settings.httpHost() + ":" + ota.port());
    }

    private Properties reducerProperties() {
        final Properties p = new Properties();
        clientConfig.forEach((k, v) -> {
            if (!k.startsWith("factfleet.")) {
                p.setProperty(k, v);
            }
        });
        localStreamsDefaults(p);
        p.setProperty(StreamsConfig.STATE_DIR_CONFIG, settings.dataDirectory().reducerState().toString());
        p.setProperty(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl());
        p.setProperty(ReducerConfig.HTTP_PORT_CONFIG, Integer.toString(settings.reducerPort()));
        p.setProperty(ReducerConfig.HTTP_BIND_HOST_CONFIG, settings.httpHost());
        // One instance: a standby replica would have nowhere to live.
        p.setProperty(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "0");
        authenticate(p, "reducer", null);
        return p;
    }

    /** The console gets the shared client settings, the reducer's URL, and its port on the stack's interface. */
    private Properties consoleProperties() {
        final Properties p = new Properties();
        clientConfig.forEach((k, v) -> {
            if (!k.startsWith("factfleet.") || k.startsWith(ConsoleConfig.PREFIX)) {
                p.setProperty(k, v);
            }
        });
        p.setProperty(ConsoleConfig.REDUCER_URL, reducerUrl().toString());
        p.setProperty(ConsoleConfig.SNAPSHOT_URL, snapshotUrl().toString());
        p.setProperty(ConsoleConfig.OTA_URL, otaUrl().toString());
        p.setProperty(ConsoleConfig.HTTP_PORT, Integer.toString(settings.consolePort()));
        p.setProperty(ConsoleConfig.HTTP_BIND_HOST, settings.httpHost());
        authenticate(p, null, "console");
        return p;
    }

    /**
     * The snapshot coordinator: the shared client settings, the stack's registry and operator key, the admin key
     * ring in the data directory (the demo and the simulation add their authorities' admin keys), and an automatic
     * snapshot every {@value #AUTO_SNAPSHOT_FACTS} facts per authority.
     */
    private Properties snapshotProperties() {
        final Properties p = new Properties();
        clientConfig.forEach((k, v) -> {
            if (!k.startsWith("factfleet.")) {
                p.setProperty(k, v);
            }
        });
        localStreamsDefaults(p);
        p.setProperty(StreamsConfig.STATE_DIR_CONFIG, settings.dataDirectory().snapshotState().toString());
        p.setProperty(SnapshotConfig.SCHEMA_REGISTRY_URL, registryUrl());
        p.setProperty(SnapshotConfig.HTTP_PORT, Integer.toString(settings.snapshotPort()));
        p.setProperty(SnapshotConfig.HTTP_BIND_HOST, settings.httpHost());
        p.setProperty(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(operatorKey.publicKey()));
        p.setProperty(SnapshotConfig.ADMIN_KEYS, settings.dataDirectory().adminKeys().toString());
        p.setProperty(SnapshotConfig.AUTO_FACTS, Long.toString(AUTO_SNAPSHOT_FACTS));
        p.setProperty(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "0");
        authenticate(p, "snapshot-coordinator", null);
        return p;
    }

    /** The local stack snapshots each authority automatically after this many facts. */
    static final long AUTO_SNAPSHOT_FACTS = 5_000;

    /** {@code http://<host>:<port>} of the snapshot coordinator's HTTP API. */
    public URI snapshotUrl() {
        return snapshots.httpUri();
    }

    /**
     * The bridge gets the shared client settings (security included; {@code bridge.*} settings of the shared file
     * tune it), the stack's registry and reducer, and its port on the stack's interface.
     */
    private Properties bridgeProperties() {
        final Properties p = new Properties();
        clientConfig.forEach((k, v) -> {
            if (!k.startsWith("factfleet.")) {
                p.setProperty(k, v);
            }
        });
        p.setProperty(BridgeConfig.SCHEMA_REGISTRY_URL, registryUrl());
        p.setProperty(BridgeConfig.REDUCER_URL, reducerUrl().toString());
        p.setProperty(BridgeConfig.HTTP_PORT, Integer.toString(settings.bridgePort()));
        p.setProperty(BridgeConfig.HTTP_BIND_HOST, settings.httpHost());
        p.setProperty(BridgeConfig.ARTIFACTS_DIR, settings.dataDirectory().artifacts().toString());
        authenticate(p, "edge-bridge", "edge-bridge");
        return p;
    }

    /**
     * Kafka Streams does not leave its consumer group when it closes, so after a restart the group waits
     * for the old member's session to expire before it assigns anything: 45 seconds by default. On the
     * local broker, where nothing else competes, a 10-second session makes a restart quick.
     */
    private void localStreamsDefaults(final Properties p) {
        if (settings.usesLocalBroker()) {
            p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, LOCAL_SESSION_TIMEOUT_MS);
        }
    }

    private void started(final String name, final Runnable stop, final BooleanSupplier running) {
        synchronized (stopInReverse) {
            stopInReverse.addFirst(new Part(name, stop, running));
        }
    }

    /** A started (or starting) part of the stack, how to stop it, and whether there is anything to stop. */
    private record Part(String name, Runnable stop, BooleanSupplier running) {
    }

    private void checkNotStopping() {
        if (stopping) {
            throw new IllegalStateException("the stack was stopped while starting");
        }
    }

    private void awaitRunning(final String service, final Supplier<KafkaStreams.State> state) throws InterruptedException {
        final long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        while (true) {
            checkNotStopping();
            final KafkaStreams.State now = state.get();
            if (now == KafkaStreams.State.RUNNING) {
                return;
            }
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.PENDING_ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException(service + " failed to start (Kafka Streams is " + now + "); see " + settings.dataDirectory().serviceLog());
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException(service + " did not reach RUNNING within " + settings.startTimeout() + " (still " + now
                        + "); see " + settings.dataDirectory().serviceLog());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private void requirePortFree(final int port, final String what) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(settings.httpHost(), port));
        } catch (final IOException e) {
            throw new IllegalStateException("Port " + port + " for the " + what + " is already in use on " + settings.httpHost(), e);
        }
    }

    /**
     * What to start and where.
     *
     * @param dataDirectory     where everything is kept between runs
     * @param kafkaPort         the local broker's client port (ignored with an existing cluster)
     * @param controllerPort    the local broker's controller port; 0 for {@code kafkaPort + 1}
     * @param registryPort      the schema registry's HTTP port; 0 for any free port
     * @param reducerPort       the reducer's HTTP port; 0 for any free port
     * @param bridgePort        the edge bridge's HTTP port; 0 for any free port
     * @param snapshotPort      the snapshot coordinator's HTTP port; 0 for any free port
     * @param otaPort           the OTA coordinator's HTTP port; 0 for any free port
     * @param httpHost          the interface the registry, the reducer and the bridge bind
     * @param partitions        partitions of each topic the stack creates
     * @param kafkaClientConfig properties for every Kafka client of every service (security settings and the like);
     *                          with {@code bootstrap.servers} the stack uses that cluster instead of starting a broker,
     *                          with {@code schema.registry.url} that registry instead of starting one
     * @param startTimeout      bound of each wait while starting
     * @param consolePort       the operators' console's HTTP port (lag, fleet and rollout pages); 0 for any free port
     */
    public record Settings(DataDirectory dataDirectory, int kafkaPort, int controllerPort, int registryPort, int reducerPort,
                           int bridgePort, int snapshotPort, int otaPort, String httpHost, int partitions, Map<String, String> kafkaClientConfig,
                           Duration startTimeout, int consolePort) {
        public static final int DEFAULT_CONSOLE_PORT = ConsoleConfig.DEFAULT_HTTP_PORT;
        public static final int DEFAULT_REGISTRY_PORT = 8081;
        public static final int DEFAULT_REDUCER_PORT = 8080;
        public static final int DEFAULT_BRIDGE_PORT = BridgeConfig.DEFAULT_HTTP_PORT;
        public static final int DEFAULT_SNAPSHOT_PORT = SnapshotConfig.DEFAULT_HTTP_PORT;
        public static final int DEFAULT_OTA_PORT = OtaConfig.DEFAULT_HTTP_PORT;
        public static final int DEFAULT_PARTITIONS = 6;
        public static final String DEFAULT_HTTP_HOST = "localhost";
        public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);

        /** Settings whose operators' console listens on any free port. */
        /** Settings with the coordinators and the console on any free port. */
        public Settings(final DataDirectory dataDirectory, final int kafkaPort, final int controllerPort, final int registryPort,
                        final int reducerPort, final int bridgePort, final String httpHost, final int partitions,
                        final Map<String, String> kafkaClientConfig, final Duration startTimeout) {
            this(dataDirectory, kafkaPort, controllerPort, registryPort, reducerPort, bridgePort, 0, 0, httpHost, partitions, kafkaClientConfig,
                    startTimeout, 0);
        }

        public Settings {
            Objects.requireNonNull(dataDirectory, "dataDirectory");
            Objects.requireNonNull(httpHost, "httpHost");
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
            }
            final Map<String, String> shared = new LinkedHashMap<>();
            kafkaClientConfig.forEach((k, v) -> {
                if (PER_SERVICE_KEYS.contains(k)) {
                    LOG.warn("Ignoring {}={} from the shared Kafka client configuration: the stack sets it per service", k, v);
                } else {
                    shared.put(k, v);
                }
            });
            kafkaClientConfig = Map.copyOf(shared);
        }

        /** {@code schema.registry.url}, when the services are to use an existing registry instead of the stack's own. */
        public Optional<String> externalRegistryUrl() {
            return Optional.ofNullable(kafkaClientConfig.get(IngestConfig.SCHEMA_REGISTRY_URL)).map(String::strip).filter(s -> !s.isEmpty());
        }

        /** Whether the stack starts its own broker (no {@code bootstrap.servers} given). */
        public boolean usesLocalBroker() {
            final String servers = kafkaClientConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
            return servers == null || servers.isBlank();
        }
    }
}
