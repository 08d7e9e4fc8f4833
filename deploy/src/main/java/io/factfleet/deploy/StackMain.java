package io.factfleet.deploy;

import io.factfleet.contracts.ServiceProperties;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.cli.LagCommand;
import io.factfleet.deploy.cli.StateCommand;
import io.factfleet.simulator.FleetPlan;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MarkerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code factfleet} command line. {@code factfleet run} starts the whole stack (see {@link Stack})
 * and keeps it running until Ctrl-C.
 *
 * <pre>
 * java -cp ... io.factfleet.deploy.StackMain run [--data-dir DIR] [--kafka-port 9092] [--demo] [--simulate] ...
 * java -cp ... io.factfleet.deploy.StackMain run --bootstrap-servers broker:9093 --kafka-config client.properties
 * </pre>
 */
@Command(name = "factfleet", mixinStandardHelpOptions = true, version = "FactFleet 0.1.0-SNAPSHOT",
        description = "Signed facts and deterministic maintenance state for offline-first device fleets, on Apache Kafka.",
        subcommands = {StackMain.Run.class, StateCommand.class, LagCommand.class, io.factfleet.deploy.cli.SnapshotCommand.class,
                io.factfleet.deploy.cli.BackupCommands.Backup.class, io.factfleet.deploy.cli.BackupCommands.Restore.class,
                io.factfleet.deploy.cli.UpgradeCommand.class, io.factfleet.deploy.cli.DevicesCommand.class, io.factfleet.deploy.cli.KafkaAclsCommand.class,
                io.factfleet.deploy.cli.ArtifactCommand.class,
                CommandLine.HelpCommand.class})
public final class StackMain implements Runnable {
    /** System property naming the directory of {@code factfleet.log}, read by the logging configuration. */
    public static final String LOG_DIR_PROPERTY = "factfleet.log.dir";
    /** Name of the marker of log events that the console leaves out (they are in the log file). */
    static final String FILE_ONLY = "FILE_ONLY";
    /** The logging configuration of the command (a classpath resource). */
    public static final String LOG_CONFIG = "factfleet-stack-log4j2.xml";
    /** How often {@code --simulate} prints what is flowing. */
    static final Duration STATUS_INTERVAL = Duration.ofSeconds(10);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, for {@code main} and for tests that parse the same options. */
    public static CommandLine commandLine() {
        return new CommandLine(new StackMain());
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code factfleet run}. */
    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
            description = {
                "Start FactFleet: a local single-node Kafka broker (KRaft, from Kafka's own jars) unless --bootstrap-servers names "
                    + "an existing cluster, every topic with its policy, the schema registry, fact-ingest, the reducer and the edge bridge "
                    + "(the devices' HTTP API).",
                "Everything is kept in the data directory; running again resumes on the same data. Ctrl-C stops everything."},
            footer = {"",
                "Kafka client settings for every service can also come from FACTFLEET_* environment variables "
                    + "(FACTFLEET_SECURITY_PROTOCOL=SASL_SSL sets security.protocol), which override the --kafka-config file."})
    public static final class Run implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "./.factfleet", paramLabel = "DIR",
                description = "Where the broker's data, the services' state, keys and logs are kept (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--kafka-port", defaultValue = "9092", paramLabel = "PORT",
                description = "Port of the local broker (default: ${DEFAULT-VALUE}).")
        int kafkaPort;

        @Option(names = "--controller-port", defaultValue = "0", paramLabel = "PORT",
                description = "Port of the local broker's KRaft controller (default: the Kafka port + 1).")
        int controllerPort;

        @Option(names = "--registry-port", defaultValue = "8081", paramLabel = "PORT",
                description = "Port of the schema registry; 0 for any free port (default: ${DEFAULT-VALUE}).")
        int registryPort;

        @Option(names = "--reducer-port", defaultValue = "8080", paramLabel = "PORT",
                description = "Port of the reducer's HTTP API; 0 for any free port (default: ${DEFAULT-VALUE}).")
        int reducerPort;

        @Option(names = "--bridge-port", defaultValue = "8090", paramLabel = "PORT",
                description = "Port of the edge bridge, the devices' HTTP API; 0 for any free port (default: ${DEFAULT-VALUE}).")
        int bridgePort;

        @Option(names = "--snapshot-port", defaultValue = "8082", paramLabel = "PORT",
                description = "Port of the snapshot coordinator's HTTP API; 0 for any free port (default: ${DEFAULT-VALUE}).")
        int snapshotPort;
        @Option(names = "--ota-port", defaultValue = "8083", paramLabel = "PORT",
                description = "Port of the OTA coordinator's HTTP API; 0 for any free port (default: ${DEFAULT-VALUE}).")
        int otaPort;
        @Option(names = "--console-port", defaultValue = "8070", paramLabel = "PORT",
                description = "Port of the operators' console (lag, fleet and rollout pages, /metrics); 0 for any free port (default: ${DEFAULT-VALUE}).")
        int consolePort;

        @Option(names = "--http-host", defaultValue = Stack.Settings.DEFAULT_HTTP_HOST, paramLabel = "HOST",
                description = "Interface the registry, the reducer and the bridge listen on; 0.0.0.0 for all (default: ${DEFAULT-VALUE}).")
        String httpHost;

        @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
                description = "Use this existing Kafka cluster instead of starting a local broker.")
        String bootstrapServers;

        @Option(names = "--kafka-config", paramLabel = "FILE",
                description = "Kafka client properties (security.protocol, sasl.*, ssl.*, ...) given to every client of every service; "
                        + "for an existing cluster.")
        Path kafkaConfig;

        @Option(names = "--partitions", defaultValue = "6", paramLabel = "N",
                description = "Partitions of each topic the stack creates (default: ${DEFAULT-VALUE}); existing topics are kept as they are.")
        int partitions;

        @Option(names = "--demo",
                description = "Once started, produce signed facts of a demo authority (genesis and journal entries; "
                        + "one more entry on every later run) and show them through the reducer.")
        boolean demo;

        @Option(names = "--simulate",
                description = "Once started, run a simulated fleet: devices with their own keys and outboxes that sign facts and talk to "
                        + "the edge bridge over HTTP, some of them offline at any time; every 10 s a line shows what flows. "
                        + "Kept in <data-dir>/simulator: a later run resumes the same authorities and devices.")
        boolean simulate;

        @Option(names = "--simulate-authorities", paramLabel = "N",
                description = "Authorities of the simulated fleet (default: 3). Implies --simulate.")
        Integer simulateAuthorities;

        @Option(names = "--simulate-devices", paramLabel = "N",
                description = "Devices per simulated authority (default: 4). Implies --simulate.")
        Integer simulateDevices;

        @Option(names = "--simulate-offline", paramLabel = "FRACTION",
                description = "Share of the simulated devices offline at any time, 0 to 1; a new group every 10 ticks (default: 0.25). "
                        + "Implies --simulate.")
        Double simulateOffline;

        @Option(names = "--simulate-tick-ms", paramLabel = "MILLIS",
                description = "Time between two rounds of the simulated fleet; each online or offline device signs one fact per round "
                        + "(default: 2000). Implies --simulate.")
        Long simulateTickMs;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /**
         * The stack's settings from these options, the {@code --kafka-config} file and {@code FACTFLEET_*}
         * variables of {@code environment} (later wins: file, environment, {@code --bootstrap-servers}).
         */
        public Stack.Settings settings(final Map<String, String> environment) {
            final Map<String, String> overrides = new LinkedHashMap<>();
            if (bootstrapServers != null && !bootstrapServers.isBlank()) {
                overrides.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.strip());
            }
            if (kafkaConfig != null && !Files.isReadable(kafkaConfig)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--kafka-config " + kafkaConfig + ": no such readable file");
            }
            final Properties loaded = ServiceProperties.load(Map.of(), kafkaConfig, environment, overrides);
            final Map<String, String> client = new LinkedHashMap<>();
            loaded.stringPropertyNames().forEach(name -> client.put(name, loaded.getProperty(name)));
            if (kafkaConfig != null && !client.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--kafka-config is for an existing cluster: also give --bootstrap-servers (or bootstrap.servers in " + kafkaConfig + ")");
            }
            return new Stack.Settings(new DataDirectory(dataDir), kafkaPort, controllerPort, registryPort, reducerPort, bridgePort, snapshotPort, otaPort,
                    httpHost, partitions, client, Stack.Settings.DEFAULT_START_TIMEOUT, consolePort);
        }

        /**
         * The simulated fleet's plan, when {@code --simulate} or any {@code --simulate-*} option was given: by default
         * {@link FleetPlan#demo()} (3 authorities of 4 devices, threshold 2, one fact per device per 2 s tick, a quarter of
         * the devices offline, a new offline group every 10 ticks).
         */
        public Optional<FleetPlan> simulation() {
            if (!simulate && simulateAuthorities == null && simulateDevices == null && simulateOffline == null && simulateTickMs == null) {
                return Optional.empty();
            }
            final FleetPlan demo = FleetPlan.demo();
            final int authorities = simulateAuthorities == null ? demo.authorities() : simulateAuthorities;
            final int devices = simulateDevices == null ? demo.devicesPerAuthority() : simulateDevices;
            final double offline = simulateOffline == null ? demo.offlineFraction() : simulateOffline;
            final long tickMs = simulateTickMs == null ? demo.tick().toMillis() : simulateTickMs;
            if (authorities < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--simulate-authorities must be at least 1, got " + authorities);
            }
            if (devices < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--simulate-devices must be at least 1, got " + devices);
            }
            if (!(offline >= 0 && offline <= 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--simulate-offline is a share between 0 and 1, got " + offline);
            }
            if (tickMs < 10) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--simulate-tick-ms must be at least 10, got " + tickMs);
            }
            final long periodTicks = demo.offlinePeriod().toMillis() / demo.tick().toMillis();
            return Optional.of(new FleetPlan(authorities, devices, Math.min(demo.threshold(), devices), demo.factsPerDevicePerTick(),
                    Duration.ofMillis(tickMs), offline, Duration.ofMillis(tickMs * periodTicks)));
        }

        @Override
        public Integer call() throws InterruptedException {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            final Stack.Settings settings = settings(System.getenv());
            final Optional<FleetPlan> simulation = simulation();
            routeLogsTo(settings.dataDirectory().logs());
            final Logger log = LoggerFactory.getLogger(StackMain.class);

            final Stack stack = new Stack(settings);
            final AtomicBoolean shuttingDown = new AtomicBoolean();
            final CountDownLatch stopped = new CountDownLatch(1);
            final Thread hook = new Thread(() -> {
                shuttingDown.set(true);
                out.println();
                out.println("Stopping FactFleet...");
                out.flush();
                stack.stop();
                out.println("FactFleet stopped. Data kept in " + settings.dataDirectory().root());
                out.flush();
                LogManager.shutdown();
                stopped.countDown();
            }, "factfleet-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);

            out.println("Starting FactFleet (data in " + settings.dataDirectory().root() + ", log " + settings.dataDirectory().serviceLog() + ")");
            out.flush();
            try {
                stack.start();
            } catch (final RuntimeException e) {
                if (shuttingDown.get()) {
                    return 130;
                }
                log.error(MarkerFactory.getMarker(FILE_ONLY), "FactFleet failed to start", e);
                err.println();
                err.println("FactFleet failed to start: " + e.getMessage());
                if (String.valueOf(e.getMessage()).contains("already in use")) {
                    err.println("Stop what uses the port, or choose others with --kafka-port, --controller-port, --registry-port, --reducer-port, "
                            + "--bridge-port, --snapshot-port, --ota-port, --console-port.");
                }
                err.println("Details: " + settings.dataDirectory().serviceLog());
                err.flush();
                removeHook(hook);
                stack.stop();
                LogManager.shutdown();
                return 1;
            }
            printEndpoints(out, stack);
            if (demo) {
                runDemo(out, err, log, stack);
            }
            if (simulation.isPresent()) {
                runSimulation(out, err, log, stack, simulation.get());
            }
            out.println();
            out.println("Press Ctrl-C to stop.");
            out.flush();
            stopped.await();
            return 0;
        }

        private static void runDemo(final PrintWriter out, final PrintWriter err, final Logger log, final Stack stack) throws InterruptedException {
            try {
                final Demo.Result r = Demo.run(stack, Demo.DEFAULT_TIMEOUT);
                out.println();
                out.println("Demo authority " + r.authorityId() + ": this run produced " + r.produced()
                        + " signed fact(s) to factfleet.facts.inbound; fact-ingest admitted them and the reducer folded them.");
                out.println("  state: " + r.factCount() + " facts (" + r.journalEntries() + " journal entries), digest " + r.digest());
                final String curl = "curl -u " + StackIdentities.LOCAL_OPERATOR + ":$(cat " + stack.dataDirectory().operatorPassword() + ") ";
                out.println("  ./factfleet state " + r.authorityId());
                out.println("  " + curl + r.stateUrl());
                out.println("  " + curl + r.factsUrl());
            } catch (final RuntimeException e) {
                log.error(MarkerFactory.getMarker(FILE_ONLY), "The demo failed", e);
                err.println("The demo failed: " + e.getMessage());
            }
            out.flush();
            err.flush();
        }

        private static void runSimulation(final PrintWriter out, final PrintWriter err, final Logger log, final Stack stack, final FleetPlan plan)
                throws InterruptedException {
            final Simulation simulation;
            try {
                simulation = Simulation.start(stack, plan, Simulation.DEFAULT_START_TIMEOUT);
            } catch (final RuntimeException e) {
                if (!stack.stopping()) {
                    log.error(MarkerFactory.getMarker(FILE_ONLY), "The simulation failed to start", e);
                    err.println("The simulation failed to start: " + e.getMessage());
                    err.flush();
                }
                return;
            }
            final int devices = plan.authorities() * plan.devicesPerAuthority();
            final int offline = (int) Math.round(devices * plan.offlineFraction());
            final List<String> ids = simulation.authorityIds();
            out.println();
            out.printf("Simulated fleet: %d authorit%s x %d devices, %d of %d devices offline at a time (a new group every %s), "
                            + "every device signs %d fact(s) per %s, online or not.%n", plan.authorities(), plan.authorities() == 1 ? "y" : "ies",
                    plan.devicesPerAuthority(), offline, devices, seconds(plan.offlinePeriod()), plan.factsPerDevicePerTick(), seconds(plan.tick()));
            final List<String[]> rows = new ArrayList<>();
            final String names = ids.size() <= 6 ? String.join(", ", ids) : ids.get(0) + " ... " + ids.get(ids.size() - 1);
            if (simulation.created().isEmpty()) {
                rows.add(row("authorities", names + "   (resumed: created by an earlier run, no new genesis)"));
            } else if (simulation.resumed().isEmpty()) {
                rows.add(row("authorities", names + "   (created now: genesis signed by the operator key, produced to factfleet.facts.inbound)"));
            } else {
                rows.add(row("authorities", names + "   (created now: " + String.join(", ", simulation.created()) + "; the others resumed)"));
            }
            rows.add(row("devices talk to", stack.bridgeUrl() + "   (the edge bridge, signed HTTP requests; offline devices keep facts in their outboxes)"));
            rows.add(row("device data", simulation.directory() + "   (keys, outboxes, replicas; a later run resumes them)"));
            rows.add(row("state of one", "./factfleet state " + ids.get(0)));
            rows.add(row("every " + seconds(STATUS_INTERVAL), "facts signed | waiting in outboxes | devices online, offline | "
                    + "each authority's factCount in the reducer"));
            rows.forEach(r -> out.printf("  %-18s %s%n", r[0], r[1]));
            out.flush();
            simulation.reportEvery(STATUS_INTERVAL, line -> {
                log.info(MarkerFactory.getMarker(FILE_ONLY), "{}", line);
                out.println(line);
                out.flush();
            });
        }

        private static String seconds(final Duration d) {
            return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
        }

        private static String[] row(final String name, final String value) {
            return new String[] {name, value};
        }

        private static void printEndpoints(final PrintWriter out, final Stack stack) {
            final DataDirectory dir = stack.dataDirectory();
            final String kafka = stack.localBroker()
                    .map(b -> stack.bootstrapServers() + "   (local KRaft broker, pid " + b.pid() + ", cluster id " + b.clusterId() + ")")
                    .orElse(stack.bootstrapServers() + "   (existing cluster)");
            // Every service but the bridge authenticates its callers; curl logs in with the local operator's basic login.
            final String curl = "curl -u " + StackIdentities.LOCAL_OPERATOR + ":$(cat " + dir.operatorPassword() + ")";
            final List<String[]> rows = new ArrayList<>();
            rows.add(row("Kafka bootstrap", kafka));
            rows.add(row("Schema registry", stack.registryUrl() + (stack.startedRegistry() ? "" : "   (existing registry)")));
            rows.add(row("Reducer HTTP API", stack.reducerUrl().toString()));
            rows.add(row("  state of one", "./factfleet state <authority-id>   or   " + curl + " " + stack.reducerUrl() + "/authorities/<authority-id>/state"));
            rows.add(row("  health", "curl " + stack.reducerUrl() + "/health"));
            rows.add(row("  metrics", curl + " " + stack.reducerUrl() + "/metrics   (Prometheus; JSON counters at /metrics.json)"));
            rows.add(row("fact-ingest", "factfleet.facts.inbound -> factfleet.facts.journal | factfleet.facts.rejected"));
            rows.add(row("  metrics", curl + " " + stack.ingestMetricsUrl()));
            rows.add(row("Edge bridge", stack.bridgeUrl() + "   (devices' HTTP API: edge-bridge/PROTOCOL.md)"));
            rows.add(row("  health", "curl " + stack.bridgeUrl() + "/health"));
            rows.add(row("  metrics", "curl " + stack.bridgeUrl() + "/metrics"));
            rows.add(row("Snapshot coordinator", stack.snapshotUrl() + "   (./factfleet snapshot status <authority> --url " + stack.snapshotUrl() + ")"));
            rows.add(row("OTA coordinator", stack.otaUrl() + "   (upgrades: ./factfleet upgrade --ota " + stack.otaUrl() + " status --authority <id>)"));
            rows.add(row("Operators' console", stack.consoleUrl() + "/lag   (consumer lag; also /fleet, /rollouts; log in as "
                    + StackIdentities.LOCAL_OPERATOR + ", password in " + dir.operatorPassword() + ")"));
            rows.add(row("  metrics", curl + " " + stack.consoleUrl() + "/metrics"));
            rows.add(row("Operator key", dir.operatorKey() + "   (public key " + Hashing.hex(stack.operatorKey().publicKey())
                    + "; the factfleet commands sign with it)"));
            rows.add(row("Operators file", dir.operatorsFile() + "   (who may do what; admin on every authority: you. README, Security)"));
            rows.add(row("Data directory", dir.root() + "   (kept across runs; delete it to reset)"));
            rows.add(row("Service log", dir.serviceLog().toString()));
            stack.localBroker().ifPresent(b -> rows.add(row("Broker log", b.logFile().toString())));
            out.println();
            out.println("FactFleet is running.");
            rows.forEach(r -> out.printf("  %-18s %s%n", r[0], r[1]));
        }

        private static void removeHook(final Thread hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shutdownInProgress) {
                // The hook is running already and stops the stack itself.
            }
        }
    }

    /** Sends the services' log to {@code <dir>/factfleet.log}; called before anything logs. */
    static void routeLogsTo(final Path dir) {
        System.setProperty(LOG_DIR_PROPERTY, dir.toAbsolutePath().toString());
        System.setProperty("log4j2.configurationFile", LOG_CONFIG);
        final LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.reconfigure();
    }
}
