package io.factfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.Topic;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RosterBatches;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.BridgeException;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.KafkaCluster;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 10's site figures on the whole stack (one in-process broker, ingest, a reducer, the edge bridge and both
 * coordinators, operator authentication on):
 * <ul>
 * <li>{@code enrol_10000_s}: from submitting a co-signed 10,000-device manifest to the snapshot coordinator until every
 *     one of the 10,000 devices has been admitted by the bridge with its own key (each probed once its roster is in
 *     force); with the part until the reducer's roster shows them ({@code enrol_10000_roster_s});</li>
 * <li>{@code rollout_10000_s}: a 5-wave rollout over the 10,000 devices, from the operator's approval to COMPLETED,
 *     each device sending one READY through the bridge when its wave opens (lightweight signers sharing one HTTP
 *     client, not SDK agents); with each wave's open-to-succeeded latency and the READY facts per second the bridge
 *     took, against its configured global rate.</li>
 * </ul>
 */
@Command(name = "fleet-bench", mixinStandardHelpOptions = true, description = "FactFleet site figures (issue 10), merged into bench/results/latest.json")
public final class FleetBench implements Callable<Integer> {
    @Option(names = "--devices", defaultValue = "10000", description = "devices enrolled and rolled out to (default ${DEFAULT-VALUE})")
    int devices;

    @Option(names = "--senders", defaultValue = "8", description = "threads sending the devices' requests (default ${DEFAULT-VALUE})")
    int senders;

    @Option(names = "--output", defaultValue = "bench/results/latest.json", description = "results file to merge into (default ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--no-write", description = "print the figures only")
    boolean noWrite;

    private static final String SITE_ID = "bench-site";
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
    /** One pool for every simulated device's bridge requests. */
    private final HttpClient devicesHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(final String[] args) {
        System.exit(BenchMain.execute(new FleetBench(), args));
    }

    @Override
    public Integer call() throws Exception {
        final ObjectNode run = ResultsFile.JSON.createObjectNode();
        measure(run);
        say("%s", ResultsFile.JSON.writeValueAsString(run));
        if (!noWrite) {
            ResultsFile.merge(output, run);
            say("Merged into %s", output.toAbsolutePath());
        }
        return 0;
    }

    /** Runs the site figures on a stack of their own and puts them into {@code run}. */
    void measure(final ObjectNode run) throws Exception {
        final long benchStart = System.nanoTime();
        final Path dataDir = Files.createTempDirectory("factfleet-fleet");
        final ObjectNode figures = run.putObject("fleet_bench");
        figures.put("machine", Machine.line());
        figures.put("devices", devices);
        final Map<String, Ed25519Keys.SigningKey> anchorKeys = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            anchorKeys.put("anchor-" + i, Ed25519Keys.generate());
        }
        final AuthorityGenesis site = AuthorityGenesis.of(SITE_ID, anchorKeys, Ed25519Keys.generate(), 3);
        final Map<String, Ed25519Keys.SigningKey> enrolled = new LinkedHashMap<>();
        for (int i = 0; i < devices; i++) {
            enrolled.put(String.format("dev-%05d", i), Ed25519Keys.generate());
        }
        final ExecutorService pool = Executors.newFixedThreadPool(senders);
        try (BenchStack stack = BenchStack.start(dataDir, operator, Map.of(SITE_ID, site.adminKey()), 6, true)) {
            final Site s = new Site(site, enrolled, stack, pool);
            stack.sendGenesis(site, operator);
            enrol(s, run, figures);
            rollout(s, run, figures);
        } finally {
            pool.shutdownNow();
            BenchMain.deleteQuietly(dataDir);
        }
        run.put("fleet_bench_duration_s", round((System.nanoTime() - benchStart) / 1e9, 1));
    }

    /** The stack and the site, as the figures use them. */
    private record Site(AuthorityGenesis genesis, Map<String, Ed25519Keys.SigningKey> enrolled, BenchStack stack, ExecutorService pool) {
    }

    // ---- enrol_10000_s -------------------------------------------------------------------------

    private void enrol(final Site s, final ObjectNode run, final ObjectNode figures) throws Exception {
        BenchStack.await("the coordinator and the reducer know the site", Duration.ofSeconds(60), () -> s.stack().snapshotStatus(SITE_ID) != null
                && s.stack().roster(SITE_ID, "") != null);
        final long t0 = System.nanoTime();
        s.stack().enrolBatch(s.genesis(), s.enrolled());
        BenchStack.await("the reducer's roster shows every device", Duration.ofSeconds(120), () -> {
            final JsonNode one = s.stack().roster(SITE_ID, "?device=dev-00000");
            return one != null && one.path("identityEpoch").asLong() == 1 && one.path("memberCount").asInt() == devices + 5;
        });
        final double rosterSeconds = (System.nanoTime() - t0) / 1e9;
        // Every device authenticates once at the bridge with its own key (a long-poll of zero: the cheapest signed request).
        final AtomicLong retries = new AtomicLong();
        final List<Future<?>> probes = new ArrayList<>();
        for (final Map.Entry<String, Ed25519Keys.SigningKey> device : s.enrolled().entrySet()) {
            probes.add(s.pool().submit(() -> {
                withRetries(retries, () -> client(s, device.getKey()).pending(Duration.ZERO));
                return null;
            }));
        }
        for (final Future<?> f : probes) {
            f.get();
        }
        final double allSeconds = (System.nanoTime() - t0) / 1e9;
        run.put("enrol_10000_s", round(allSeconds, 2));
        run.put("enrol_10000_roster_s", round(rosterSeconds, 2));
        figures.put("enrol_10000_goal_s", 30);
        figures.put("enrol_10000_met", allSeconds <= 30);
        figures.put("enrol_bridge_probe_retries", retries.get());
        figures.put("enrol_method", "one manifest of " + devices + " devices co-signed offline by M=3 anchors, submitted to the snapshot "
                + "coordinator's POST /authorities/{id}/roster/batches (admin-signed, through ingest); enrol_10000_roster_s until the "
                + "reducer's roster answer shows epoch 1 and every member, enrol_10000_s until every device has been admitted once by the "
                + "bridge with its own key (" + senders + " sender threads, 429s retried after Retry-After)");
        say("  enrol_10000_s = %.2f (roster in force after %.2f s; %d bridge retries)", allSeconds, rosterSeconds, retries.get());
    }

    // ---- rollout_10000_s -----------------------------------------------------------------------

    private void rollout(final Site s, final ObjectNode run, final ObjectNode figures) throws Exception {
        final BridgeConfig bridgeConfig = s.stack().bridgeConfig;
        final List<RolloutWave> waves = List.of(
                RolloutWave.newBuilder(UpgradeFacts.wave("canary", 0, 100, 0, 0)).setDeviceCount(null).setDevicePercent(1).setDeviceFilter("dev-.*").build(),
                RolloutWave.newBuilder(UpgradeFacts.wave("early", 0, 99, null, 0)).setDeviceCount(null).setDevicePercent(4).setDeviceFilter("dev-.*").build(),
                RolloutWave.newBuilder(UpgradeFacts.wave("quarter", 0, 99, null, 0)).setDeviceCount(null).setDevicePercent(20).setDeviceFilter("dev-.*").build(),
                RolloutWave.newBuilder(UpgradeFacts.wave("half", 0, 99, null, 0)).setDeviceCount(null).setDevicePercent(50).setDeviceFilter("dev-.*").build(),
                RolloutWave.newBuilder(UpgradeFacts.wave("rest", 0, 99, null, 0)).setDeviceCount(null).setDeviceFilter("dev-.*").build());
        final UpgradeMetadata metadata = UpgradeFacts.metadata(SITE_ID, "fw-2", "fw", 2, "fw 2 image".getBytes(), UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(waves, true));
        final UpgradeProposed proposed = new UpgradeProposed(metadata, ThresholdCertificates.of(metadata, s.genesis().deviceKeys().subList(0, 3)));
        final URI upgrades = URI.create("http://127.0.0.1:" + s.stack().ota.port() + "/authorities/" + SITE_ID + "/upgrades");
        BenchStack.expect(202, s.stack().post(upgrades, ResultsFile.JSON.writeValueAsString(Map.of("proposal", Base64.getEncoder().encodeToString(Canonical.bytes(proposed))))));
        BenchStack.await("the rollout awaits approval", Duration.ofSeconds(60), () -> "AWAITING_APPROVAL".equals(s.stack().upgrade(SITE_ID, "fw-2").path("state").asText()));
        final List<String> devicesSorted = new ArrayList<>(s.enrolled().keySet());
        final long t0 = System.nanoTime();
        BenchStack.expect(202, s.stack().post(URI.create(upgrades + "/fw-2/approve"), "{\"reason\":\"bench\"}"));
        final ArrayNode waveFigures = run.putArray("rollout_10000_wave_s");
        final AtomicLong retries = new AtomicLong();
        long sendNanos = 0;
        int offset = 0;
        for (int w = 0; w < waves.size(); w++) {
            final int wave = w;
            BenchStack.await("wave " + w + " opens", Duration.ofSeconds(300), () -> "OPEN".equals(s.stack().upgrade(SITE_ID, "fw-2").path("waves").path(wave).path("state").asText()));
            final long opened = System.nanoTime();
            final int size = s.stack().upgrade(SITE_ID, "fw-2").path("waves").path(wave).path("devices").asInt();
            final List<String> members = devicesSorted.subList(offset, offset + size);
            offset += size;
            final List<Future<?>> sends = new ArrayList<>();
            for (final String device : members) {
                sends.add(s.pool().submit(() -> {
                    final DeviceSigner signer = new DeviceSigner(SITE_ID, device, s.enrolled().get(device));
                    withRetries(retries, () -> {
                        final BridgeClient.SubmitResult r = client(s, device).submit(List.of(signer.readiness(1, "fw-2", "fw", 2,
                                ReadinessStatus.READY, null))).get(0);
                        if (!"ACCEPTED".equals(r.outcome().name()) && !"DUPLICATE".equals(r.outcome().name())) {
                            throw new IllegalStateException(device + "'s READY was " + r.outcome() + ": " + r.message());
                        }
                        return r;
                    });
                    return null;
                }));
            }
            for (final Future<?> f : sends) {
                f.get();
            }
            sendNanos += System.nanoTime() - opened;
            final long sent = System.nanoTime();
            final boolean last = w == waves.size() - 1;
            BenchStack.await("wave " + w + " succeeds", Duration.ofSeconds(1800), () -> last ? "COMPLETED".equals(s.stack().upgrade(SITE_ID, "fw-2").path("state").asText())
                    : !"OPEN".equals(s.stack().upgrade(SITE_ID, "fw-2").path("waves").path(wave).path("state").asText()));
            final ObjectNode f = waveFigures.addObject();
            f.put("wave", waves.get(w).getName());
            f.put("devices", size);
            f.put("open_to_sent_s", round((sent - opened) / 1e9, 2));
            f.put("open_to_succeeded_s", round((System.nanoTime() - opened) / 1e9, 2));
            say("  wave %s: %d devices, READY sent in %.2f s, succeeded %.2f s after it opened", waves.get(w).getName(), size,
                    (sent - opened) / 1e9, (System.nanoTime() - opened) / 1e9);
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        run.put("rollout_10000_s", round(seconds, 2));
        run.put("rollout_bridge_ready_fps", round(devices / (sendNanos / 1e9), 0));
        figures.put("rollout_bridge_global_rate_per_s", bridgeConfig.asProperties().getProperty(BridgeConfig.RATE_GLOBAL_PER_SECOND));
        figures.put("rollout_bridge_retries", retries.get());
        figures.put("rollout_method", "5 waves (1%, 4%, 20%, 50%, rest of the new devices; approval required), from the approval until the OTA "
                + "coordinator shows COMPLETED; each wave's devices send one READY through the bridge once the coordinator shows the wave OPEN ("
                + senders + " sender threads sharing one HTTP client, 429s retried after Retry-After); rollout_bridge_ready_fps = READY facts "
                + "over the time spent sending them");
        say("  rollout_10000_s = %.2f (READY through the bridge at %.0f/s)", seconds, devices / (sendNanos / 1e9));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private BridgeClient client(final Site s, final String device) {
        return new BridgeClient(s.stack().bridge.uri(), SITE_ID, device, s.enrolled().get(device), System::currentTimeMillis, devicesHttp);
    }

    private static <T> T withRetries(final AtomicLong retries, final Callable<T> request) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return request.call();
            } catch (final BridgeException e) {
                if ((e.status() != 429 && e.status() != 503 && e.status() != 401) || attempt > 200) {
                    throw e;
                }
                retries.incrementAndGet();
                Thread.sleep(e.retryAfter().map(d -> Math.max(10, Math.min(1000, d.toMillis()))).orElse(50L));
            }
        }
    }

    private static double round(final double value, final int decimals) {
        final double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private static void say(final String format, final Object... args) {
        System.out.printf("[%6.1f s] " + format + "%n", java.util.stream.Stream.concat(java.util.stream.Stream.of(
                (System.nanoTime() - START) / 1e9), java.util.Arrays.stream(args)).toArray());
        System.out.flush();
    }

    private static final long START = System.nanoTime();
}
