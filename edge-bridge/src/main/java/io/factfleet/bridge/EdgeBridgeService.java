package io.factfleet.bridge;

import io.factfleet.bridge.internal.AuthorityArtifacts;
import io.factfleet.bridge.internal.BridgeHttpApi;
import io.factfleet.bridge.internal.BridgeMetrics;
import io.factfleet.bridge.internal.DeviceAuthenticator;
import io.factfleet.bridge.internal.DownloadRateLimit;
import io.factfleet.bridge.internal.FactBatchDecoder;
import io.factfleet.bridge.internal.FactSubmission;
import io.factfleet.bridge.internal.PeerRegistry;
import io.factfleet.bridge.internal.PendingRelay;
import io.factfleet.bridge.internal.ReducerClient;
import io.factfleet.bridge.internal.ReplayCache;
import io.factfleet.bridge.internal.RosterCache;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.github.bucket4j.TimeMeter;
import io.javalin.Javalin;
import java.net.URI;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge bridge: the device-facing HTTP service of edge-bridge/PROTOCOL.md. It authenticates
 * devices by signed requests against their authority's roster, checks envelope shape, size and
 * batch limits, produces facts to {@code factfleet.facts.inbound} with one idempotent
 * {@code acks=all} producer and answers only after Kafka acknowledged them, and relays the
 * reducer's interactive queries (fact status, anti-entropy sync, pending work).
 *
 * <pre>{@code
 * Properties p = new Properties();
 * p.put("bootstrap.servers", "localhost:9092");
 * p.put("schema.registry.url", "http://localhost:8081");
 * p.put("bridge.reducer.url", "http://localhost:8080");
 * p.put("bridge.http.port", "0");                         // any free port
 * EdgeBridgeService bridge = new EdgeBridgeService(BridgeConfig.of(p)).start();
 * bridge.uri();      // http://localhost:<port>; GET /health says RUNNING
 * bridge.stop();
 * }</pre>
 *
 * <p>{@link #start()} binds the HTTP server first, so {@code GET /health} reports STARTING and, if
 * the rest fails to start, FAILED; device requests are served only while RUNNING. {@link #stop()}
 * refuses new requests, ends long-polls and streams, lets requests in flight finish (up to
 * {@code bridge.stop.grace.ms}), flushes the producer and stops the server. A stopped bridge may be
 * started again.
 */
public final class EdgeBridgeService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EdgeBridgeService.class);

    private final BridgeConfig config;
    private final SchemaRegistryClient givenRegistry;
    private volatile BridgeState state = BridgeState.STOPPED;

    private Javalin http;
    private ScheduledExecutorService scheduler;
    private PeerRegistry peers;
    private PendingRelay pending;
    private volatile Producer<String, byte[]> producer;
    private io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics producerMetrics;

    /** A bridge using the schema registry at {@code schema.registry.url}. */
    public EdgeBridgeService(final BridgeConfig config) {
        this(config, null);
    }

    /** A bridge using the given registry client (an in-memory one in tests), or {@code schema.registry.url} if null. */
    public EdgeBridgeService(final BridgeConfig config, final SchemaRegistryClient registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.givenRegistry = registry;
    }

    /** The artifact store the bridge serves read-only, if {@code bridge.artifacts.dir} is set. */
    private java.util.Optional<io.factfleet.artifacts.ArtifactStore> artifactStore() {
        final java.util.Optional<java.nio.file.Path> dir = config.artifactsDir();
        if (dir.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new io.factfleet.artifacts.FileArtifactStore(dir.get()));
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot open the artifact store " + dir.get() + " (" + BridgeConfig.ARTIFACTS_DIR + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Starts the HTTP server, then the producer and the periodic cleanup; RUNNING on return.
     *
     * @throws IllegalStateException if not STOPPED
     * @throws RuntimeException      what failed; the state is then FAILED
     */
    public synchronized EdgeBridgeService start() {
        if (state != BridgeState.STOPPED) {
            throw new IllegalStateException("the bridge is " + state + "; only a STOPPED bridge starts");
        }
        state = BridgeState.STARTING;
        try {
            final Clock clock = Clock.systemUTC();
            final SchemaRegistryClient registry = givenRegistry != null ? givenRegistry : new HttpSchemaRegistryClient(config.registryProperties());
            final ReducerClient reducer = new ReducerClient(config.reducerUrl(), config.reducerTimeout(),
                    io.factfleet.auth.OperatorCredential.fromProperties(config.asProperties()), io.factfleet.auth.HttpTls.from(config.asProperties()));
            final AtomicInteger threads = new AtomicInteger();
            scheduler = Executors.newScheduledThreadPool(2, r -> {
                final Thread t = new Thread(r, "edge-bridge-scheduler-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            peers = new PeerRegistry(new PeerRegistry.Limits(config.rateDevicePerSecond(), config.rateDeviceBurst(), config.rateGlobalPerSecond(),
                    config.rateGlobalBurst(), config.sessionsPerDevice(), config.sessionsGlobal(), config.shedLoadFraction(),
                    config.shedScoreThreshold(), config.peerTtl(), config.peerMaxCount()), clock, TimeMeter.SYSTEM_MILLISECONDS);
            final RosterCache rosters = new RosterCache(reducer, config.rosterCacheTtl(), clock);
            final ReplayCache replays = new ReplayCache(config.authSkew().toMillis(), clock);
            pending = new PendingRelay(reducer, scheduler, config.pendingPollInterval(), config.pendingPollAfterMs());
            final PeerRegistry peerState = peers;
            final BridgeMetrics metrics = new BridgeMetrics(peerState::sessions, peerState::size, peerState::evictedCount,
                    () -> state == BridgeState.RUNNING);
            http = BridgeHttpApi.create(new BridgeHttpApi.Dependencies(config, () -> state,
                    new DeviceAuthenticator(rosters, replays, SignatureVerifier.bouncyCastle(), config.authSkew().toMillis(), clock),
                    peers, new FactBatchDecoder(registry, config.maxBatchFacts()),
                    new FactSubmission(() -> producer, reducer, config.maxFactBytes(), config.produceTimeout()),
                    reducer, pending, metrics, artifactStore(),
                    new AuthorityArtifacts(reducer, config.artifactsAuthorityCacheTtl(), config.peerMaxCount()),
                    new DownloadRateLimit(config.artifactsRateDevicePerSecond(), config.peerTtl(), config.peerMaxCount(),
                            TimeMeter.SYSTEM_MILLISECONDS))).start();
            producer = new KafkaProducer<>(config.producerProperties(), new StringSerializer(), new ByteArraySerializer());
            producerMetrics = metrics.bindProducer(producer);
            final long cleanupMs = config.peerCleanupInterval().toMillis();
            scheduler.scheduleAtFixedRate(() -> {
                try {
                    peerState.cleanup();
                    replays.purgeExpired();
                    rosters.purgeExpired();
                } catch (final RuntimeException e) {
                    LOG.warn("Peer state cleanup failed; it runs again in {} ms", cleanupMs, e);
                }
            }, cleanupMs, cleanupMs, TimeUnit.MILLISECONDS);
            state = BridgeState.RUNNING;
            LOG.info("Edge bridge serving devices at {}{} for the reducer at {}", uri(),
                    tlsPort() > 0 ? " and https on port " + tlsPort() : "", config.reducerUrl());
            return this;
        } catch (final RuntimeException e) {
            state = BridgeState.FAILED;
            LOG.error("The edge bridge failed to start; GET /health answers FAILED until stop()", e);
            if (http != null && !http.jettyServer().server().isStarted()) {
                http = null;
            }
            throw e;
        }
    }

    /** Stops serving (see the class comment). Idempotent; a FAILED bridge is cleaned up to STOPPED. */
    public synchronized void stop() {
        if (state == BridgeState.STOPPED) {
            return;
        }
        state = BridgeState.STOPPING;
        if (pending != null) {
            pending.shutdown();
        }
        final long deadline = System.nanoTime() + config.stopGrace().toNanos();
        while (peers != null && peers.sessions() > 0 && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        final Producer<String, byte[]> kafka = producer;
        producer = null;
        if (kafka != null) {
            kafka.close(config.stopGrace());
        }
        if (producerMetrics != null) {
            producerMetrics.close();
            producerMetrics = null;
        }
        if (http != null) {
            http.stop();
            http = null;
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
        state = BridgeState.STOPPED;
        LOG.info("Edge bridge stopped");
    }

    @Override
    public void close() {
        stop();
    }

    public BridgeState state() {
        return state;
    }

    /** The bound plain (HTTP/1.1 and h2c) port. */
    public synchronized int port() {
        return connector(false).getLocalPort();
    }

    /** The bound TLS port, or -1 without TLS. */
    public synchronized int tlsPort() {
        final ServerConnector tls = connector(true);
        return tls == null ? -1 : tls.getLocalPort();
    }

    /** {@code http://localhost:<port>}. */
    public URI uri() {
        return URI.create("http://localhost:" + port());
    }

    /** The configuration in force, defaults included. */
    public BridgeConfig config() {
        return config;
    }

    /** Sessions (authenticated requests, long-polls and streams included) in flight now. */
    public synchronized int activeSessions() {
        return peers == null ? 0 : peers.sessions();
    }

    /** Peer states kept now (for tests and diagnostics). */
    public synchronized int peerCount() {
        return peers == null ? 0 : peers.size();
    }

    private ServerConnector connector(final boolean tls) {
        if (http == null) {
            throw new IllegalStateException("the bridge is not started");
        }
        for (final Connector c : http.jettyServer().server().getConnectors()) {
            if (c instanceof ServerConnector sc && sc.getProtocols().contains("ssl") == tls) {
                return sc;
            }
        }
        if (tls) {
            return null;
        }
        throw new IllegalStateException("no plain connector");
    }
}
