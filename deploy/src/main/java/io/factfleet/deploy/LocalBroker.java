package io.factfleet.deploy;

import io.factfleet.deploy.internal.BrokerProcessMain;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker and controller, node id 1 unless it is a node of a
 * {@linkplain Builder#cluster multi-node cluster}),
 * run as a child process from Kafka's own jars on this JVM's classpath: the main class is
 * {@value #KAFKA_MAIN_CLASS}, the storage is formatted by {@value #STORAGE_TOOL_CLASS}, exactly as
 * {@code kafka-storage.sh format} and {@code kafka-server-start.sh} would.
 *
 * <pre>{@code
 * LocalBroker broker = LocalBroker.builder(Path.of(".factfleet/broker"))
 *         .logFile(Path.of(".factfleet/logs/broker.log"))
 *         .port(9092)
 *         .build()
 *         .start();                           // formats on first use, then waits until the broker answers
 * String bootstrap = broker.bootstrapServers(); // localhost:9092
 * ...
 * broker.stop();                              // SIGTERM (Kafka's clean shutdown), then kill after a bound
 * }</pre>
 *
 * <p>Layout under the broker's home directory: {@code server.properties} and {@code log4j2.xml}
 * (written on every start from the settings), {@code cluster.id} (generated once), and
 * {@code logs/}, Kafka's {@code log.dirs}. The storage is formatted only when
 * {@code logs/meta.properties} does not exist yet, so starting again on the same directory resumes
 * the same cluster with its topics and records.
 */
public final class LocalBroker implements AutoCloseable {
    /** Kafka's broker main class, the one {@code kafka-server-start.sh} runs. */
    public static final String KAFKA_MAIN_CLASS = "kafka.Kafka";
    /** Kafka's storage tool, the one {@code kafka-storage.sh} runs. */
    public static final String STORAGE_TOOL_CLASS = "kafka.tools.StorageTool";
    public static final int DEFAULT_PORT = 9092;
    public static final String DEFAULT_MAX_HEAP = "512m";
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(90);
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);
    /** Host the broker binds and advertises: it is for this machine only. */
    public static final String HOST = "localhost";
    private static final int DEFAULT_NODE_ID = 1;
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(LocalBroker.class);

    private final Path home;
    private final Path logFile;
    private final int port;
    private final int controllerPort;
    private final String maxHeap;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final int nodeId;
    private final String quorumVoters;
    private final String fixedClusterId;
    private final int replication;
    private final Map<String, String> overrides;

    private Process process;
    private String clusterId;
    private boolean formattedByThisStart;

    private LocalBroker(final Builder builder) {
        this.home = builder.home.toAbsolutePath().normalize();
        this.logFile = (builder.logFile == null ? home.resolve("broker.log") : builder.logFile).toAbsolutePath().normalize();
        this.port = builder.port;
        this.controllerPort = builder.controllerPort > 0 ? builder.controllerPort : builder.port + 1;
        this.maxHeap = builder.maxHeap;
        this.startTimeout = builder.startTimeout;
        this.stopTimeout = builder.stopTimeout;
        this.nodeId = builder.nodeId;
        this.quorumVoters = builder.quorumVoters == null ? nodeId + "@" + HOST + ":" + controllerPort : builder.quorumVoters;
        this.fixedClusterId = builder.clusterId;
        this.replication = builder.replication;
        this.overrides = Map.copyOf(builder.overrides);
    }

    /** A broker whose configuration, cluster id and data live under {@code home}. */
    public static Builder builder(final Path home) {
        return new Builder(home);
    }

    /**
     * Writes the configuration, formats the storage if it never was, starts the broker process and
     * waits until it answers a {@code DescribeCluster} request.
     *
     * @throws BrokerStartException if a port is taken, formatting fails, or the broker exits or does not
     *                              answer in time (the message includes the tail of the broker's log)
     */
    public synchronized LocalBroker start() {
        launch();
        awaitReady();
        LOG.info("Kafka broker ready at {} (cluster id {}{})", bootstrapServers(), clusterId,
                formattedByThisStart ? ", storage formatted now" : ", existing storage");
        return this;
    }

    /**
     * Writes the configuration, formats the storage if it never was, and starts the broker process without waiting for it:
     * the nodes of a {@linkplain Builder#cluster multi-node cluster} answer only once a quorum of them runs, so they are all
     * launched first and then {@linkplain #awaitReady() awaited}.
     */
    public synchronized LocalBroker launch() {
        if (process != null) {
            throw new IllegalStateException("the broker is already started");
        }
        requirePortFree(port, "Kafka listener");
        requirePortFree(controllerPort, "KRaft controller listener");
        try {
            Files.createDirectories(logDirs());
            Files.createDirectories(logFile.getParent());
            writeServerProperties();
            writeLogConfig();
            clusterId = readOrCreateClusterId();
            formattedByThisStart = !isFormatted();
            if (formattedByThisStart) {
                format();
            }
            process = launch(KAFKA_MAIN_CLASS, serverProperties().toString());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare the broker directory " + home + ": " + e.getMessage(), e);
        }
        LOG.info("Kafka broker {} (pid {}) starting on {} with data in {}", nodeId, process.pid(), bootstrapServers(), logDirs());
        return this;
    }

    /**
     * Kills the broker process at once (SIGKILL: no clean shutdown, as a crash or an OOM killer would) and waits until it
     * is gone. For failure tests; {@link #start()} or {@link #launch()} starts it again on the same data. Idempotent.
     */
    public synchronized void kill() {
        final Process running = process;
        if (running == null) {
            return;
        }
        process = null;
        running.destroyForcibly();
        try {
            running.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** This node's id ({@code node.id}). */
    public int nodeId() {
        return nodeId;
    }

    /**
     * Stops the broker: SIGTERM, which runs Kafka's clean shutdown; after the stop timeout, SIGKILL.
     * Idempotent.
     */
    public synchronized void stop() {
        final Process running = process;
        if (running == null) {
            return;
        }
        process = null;
        if (!running.isAlive()) {
            return;
        }
        LOG.info("Stopping the Kafka broker (pid {})", running.pid());
        running.destroy();
        try {
            if (!running.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("The Kafka broker did not stop within {}; killing it", stopTimeout);
                running.destroyForcibly();
                running.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            running.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        LOG.debug("Kafka broker stopped");
    }

    @Override
    public void close() {
        stop();
    }

    /** {@code localhost:<port>}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    /** The cluster id, generated on first start and kept in {@code cluster.id}; null before the first start. */
    public synchronized String clusterId() {
        return clusterId;
    }

    /** Whether the last {@link #start()} formatted the storage (false when it resumed existing data). */
    public synchronized boolean formattedByLastStart() {
        return formattedByThisStart;
    }

    /** Whether the broker process is running. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The broker's process id, if running. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("the broker is not started");
        }
        return process.pid();
    }

    public Path home() {
        return home;
    }

    /** Where the broker's output goes (its log4j output, and anything the JVM prints). */
    public Path logFile() {
        return logFile;
    }

    public Path serverProperties() {
        return home.resolve("server.properties");
    }

    /** Kafka's {@code log.dirs}: the topics' data and the metadata log. */
    public Path logDirs() {
        return home.resolve("logs");
    }

    /** The broker configuration this class writes: a combined KRaft node for this machine only. */
    public Map<String, String> brokerConfig() {
        final Map<String, String> c = new LinkedHashMap<>();
        c.put("process.roles", "broker,controller");
        c.put("node.id", Integer.toString(nodeId));
        c.put("controller.quorum.voters", quorumVoters);
        c.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        c.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("inter.broker.listener.name", "PLAINTEXT");
        c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        c.put("log.dirs", logDirs().toString());
        // One node: every internal topic has one replica and needs one in sync. A cluster of three: three replicas, two in
        // sync (Kafka's own system tests' setting), so one node may be down and acks=all writes go on.
        final String rf = Integer.toString(replication);
        final String minIsr = Integer.toString(Math.max(1, replication - 1));
        c.put("offsets.topic.replication.factor", rf);
        c.put("transaction.state.log.replication.factor", rf);
        c.put("transaction.state.log.min.isr", minIsr);
        c.put("share.coordinator.state.topic.replication.factor", rf);
        c.put("share.coordinator.state.topic.min.isr", minIsr);
        c.put("default.replication.factor", rf);
        c.put("min.insync.replicas", minIsr);
        // Fewer internal partitions than Kafka's 50 keep the first start quick on a laptop.
        c.put("offsets.topic.num.partitions", "10");
        c.put("transaction.state.log.num.partitions", "10");
        c.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created by the stack with their policies, never by a client's first use.
        c.put("auto.create.topics.enable", "false");
        // Kafka's 128 MiB compaction buffer is sized for servers.
        c.put("log.cleaner.dedupe.buffer.size", Long.toString(16L * 1024 * 1024));
        c.putAll(overrides);
        return c;
    }

    private boolean isFormatted() {
        return Files.exists(logDirs().resolve("meta.properties"));
    }

    private void writeServerProperties() throws IOException {
        final StringBuilder text = new StringBuilder()
                .append("# Written by FactFleet's LocalBroker on every start; edits are overwritten.\n");
        brokerConfig().forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(serverProperties(), text.toString(), StandardCharsets.UTF_8);
    }

    /** Broker output goes to stdout, which is appended to {@link #logFile()}; Kafka's chatty loggers are quieter. */
    private void writeLogConfig() throws IOException {
        final String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Written by FactFleet's LocalBroker on every start; edits are overwritten. -->
                <Configuration status="WARN">
                  <Appenders>
                    <Console name="Out" target="SYSTEM_OUT">
                      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
                    </Console>
                  </Appenders>
                  <Loggers>
                    <Logger name="state.change.logger" level="WARN"/>
                    <Logger name="kafka.request.logger" level="WARN"/>
                    <Logger name="org.apache.kafka.clients.NetworkClient" level="WARN"/>
                    <Root level="INFO"><AppenderRef ref="Out"/></Root>
                  </Loggers>
                </Configuration>
                """;
        Files.writeString(logConfig(), xml, StandardCharsets.UTF_8);
    }

    private Path logConfig() {
        return home.resolve("log4j2.xml");
    }

    /** meta.properties is the truth once formatted; before that, the id generated by an earlier, failed attempt. */
    private String readOrCreateClusterId() throws IOException {
        final Path meta = logDirs().resolve("meta.properties");
        if (Files.exists(meta)) {
            final Properties p = new Properties();
            try (InputStream in = Files.newInputStream(meta)) {
                p.load(in);
            }
            final String id = p.getProperty("cluster.id");
            if (id != null) {
                Files.writeString(clusterIdFile(), id + "\n", StandardCharsets.UTF_8);
                return id;
            }
        }
        if (Files.exists(clusterIdFile())) {
            final String id = Files.readString(clusterIdFile(), StandardCharsets.UTF_8).strip();
            if (!id.isEmpty()) {
                return id;
            }
        }
        final String id = fixedClusterId != null ? fixedClusterId : Uuid.randomUuid().toString();
        Files.writeString(clusterIdFile(), id + "\n", StandardCharsets.UTF_8);
        return id;
    }

    private Path clusterIdFile() {
        return home.resolve("cluster.id");
    }

    private void format() throws IOException {
        LOG.info("Formatting the broker storage in {} (cluster id {})", logDirs(), clusterId);
        final Process formatter = launch(STORAGE_TOOL_CLASS, "format", "--cluster-id", clusterId, "--config", serverProperties().toString());
        try {
            if (!formatter.waitFor(FORMAT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                formatter.destroyForcibly();
                throw new BrokerStartException("Formatting the broker storage did not finish within " + FORMAT_TIMEOUT + logTail());
            }
        } catch (final InterruptedException e) {
            formatter.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new BrokerStartException("Interrupted while formatting the broker storage", e);
        }
        if (formatter.exitValue() != 0) {
            throw new BrokerStartException("Kafka's storage tool failed (exit code " + formatter.exitValue() + ") formatting " + logDirs() + logTail());
        }
    }

    /** A JVM like this one, on this classpath, running {@code mainClass} through {@link BrokerProcessMain}. */
    private Process launch(final String mainClass, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(javaExecutable(),
                "-Xmx" + maxHeap,
                "-XX:+UseG1GC",
                "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + logConfig().toUri(),
                "-cp", System.getProperty("java.class.path"),
                BrokerProcessMain.class.getName(),
                mainClass));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        // The JVM of the stack may have been started with tool options meant for it alone.
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        return builder.start();
    }

    /** The java of this JVM, else {@code $JAVA_HOME/bin/java}, else {@code java} on the path. */
    static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .or(() -> java.util.Optional.ofNullable(System.getenv("JAVA_HOME")).map(h -> Path.of(h, "bin", "java").toString()))
                .orElse("java");
    }

    /**
     * Waits until the launched broker answers a {@code DescribeCluster} request.
     *
     * @throws BrokerStartException if it exits or does not answer within the start timeout (it is stopped then)
     */
    public synchronized void awaitReady() {
        if (process == null) {
            throw new IllegalStateException("the broker is not launched");
        }
        final long deadline = System.nanoTime() + startTimeout.toNanos();
        final Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "factfleet-local-broker-readiness");
        try (Admin admin = Admin.create(props)) {
            while (true) {
                if (!process.isAlive()) {
                    final int exit = process.exitValue();
                    process = null;
                    throw new BrokerStartException("The Kafka broker exited with code " + exit + " while starting" + logTail());
                }
                if (answers(admin)) {
                    return;
                }
                if (System.nanoTime() - deadline >= 0) {
                    final Process stuck = process;
                    stop();
                    throw new BrokerStartException("The Kafka broker (pid " + stuck.pid() + ") did not answer on " + bootstrapServers()
                            + " within " + startTimeout + "; it was stopped" + logTail());
                }
                // Waiting on the process doubles as the poll interval and returns at once if it dies.
                process.waitFor(200, TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new BrokerStartException("Interrupted while waiting for the Kafka broker", e);
        }
    }

    private static boolean answers(final Admin admin) throws InterruptedException {
        try {
            final Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get();
            return !nodes.isEmpty();
        } catch (final java.util.concurrent.ExecutionException | org.apache.kafka.common.KafkaException e) {
            return false;
        }
    }

    private static void requirePortFree(final int port, final String what) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(HOST, port));
        } catch (final IOException e) {
            throw new BrokerStartException("Port " + port + " for the " + what + " is already in use on " + HOST
                    + " (another Kafka broker or FactFleet stack?)", e);
        }
    }

    /** The last lines of the broker's log, as a suffix for an error message. */
    private String logTail() {
        final List<String> lines = tail(logFile, LOG_TAIL_LINES);
        if (lines.isEmpty()) {
            return "";
        }
        return "\n--- last " + lines.size() + " lines of " + logFile + " ---\n" + String.join("\n", lines);
    }

    static List<String> tail(final Path file, final int maxLines) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            final long length = raf.length();
            final int chunk = (int) Math.min(length, 64 * 1024);
            final byte[] bytes = new byte[chunk];
            raf.seek(length - chunk);
            raf.readFully(bytes);
            final List<String> lines = new ArrayList<>(List.of(new String(bytes, StandardCharsets.UTF_8).split("\\R")));
            if (chunk < length && !lines.isEmpty()) {
                lines.remove(0);
            }
            return List.copyOf(lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (final IOException e) {
            return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
        }
    }

    /** Settings of a {@link LocalBroker}. */
    public static final class Builder {
        private final Path home;
        private Path logFile;
        private int port = DEFAULT_PORT;
        private int controllerPort;
        private String maxHeap = DEFAULT_MAX_HEAP;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;
        private int nodeId = DEFAULT_NODE_ID;
        private String quorumVoters;
        private String clusterId;
        private int replication = 1;
        private final Map<String, String> overrides = new LinkedHashMap<>();

        private Builder(final Path home) {
            this.home = Objects.requireNonNull(home, "home");
        }

        /** Where the broker's output goes; default {@code <home>/broker.log}. */
        public Builder logFile(final Path logFile) {
            this.logFile = logFile;
            return this;
        }

        /** The client listener's port (default {@value #DEFAULT_PORT}). */
        public Builder port(final int port) {
            this.port = port;
            return this;
        }

        /** The controller listener's port; default the client port + 1. */
        public Builder controllerPort(final int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        /** The broker JVM's {@code -Xmx} (default {@value #DEFAULT_MAX_HEAP}). */
        public Builder maxHeap(final String maxHeap) {
            this.maxHeap = Objects.requireNonNull(maxHeap, "maxHeap");
            return this;
        }

        public Builder startTimeout(final Duration startTimeout) {
            this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
            return this;
        }

        public Builder stopTimeout(final Duration stopTimeout) {
            this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
            return this;
        }

        /**
         * Makes this broker node {@code nodeId} of a multi-node cluster: every node combined broker and controller,
         * {@code quorumVoters} the {@code controller.quorum.voters} of all (id@host:controllerPort,...), the same
         * {@code clusterId} for all, internal and default topics with {@code replication} replicas and
         * {@code max(1, replication - 1)} in sync. Launch every node, then await each ({@link #launch()}, {@link #awaitReady()}).
         */
        public Builder cluster(final int nodeId, final String quorumVoters, final String clusterId, final int replication) {
            this.nodeId = nodeId;
            this.quorumVoters = Objects.requireNonNull(quorumVoters, "quorumVoters");
            this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
            this.replication = replication;
            return this;
        }

        /** A broker setting over the ones {@link LocalBroker#brokerConfig()} writes. */
        public Builder brokerConfig(final String key, final String value) {
            overrides.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public LocalBroker build() {
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("the broker needs a fixed port from 1 to 65535, got " + port);
            }
            return new LocalBroker(this);
        }
    }
}
