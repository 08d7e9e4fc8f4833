package io.factfleet.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.contracts.Topic;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.Reducer;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.testkit.KafkaCluster;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 10's scale figures, on one in-process broker: how the reducer's per-fact cost grows with an
 * authority's size, what an authority's state costs per device, and the reducer against a fair
 * ceiling (a minimal exactly-once Streams app that writes one changelogged store entry per fact).
 *
 * <p>It measures {@code fold_fps_by_devices}, {@code scale_ratio_10000},
 * {@code state_bytes_per_device_10000}, {@code eos_store_baseline_fps} and
 * {@code reducer_vs_eos_baseline}, and the SDK replica's cost at 10,000 devices; then, on a stack of their own, the
 * site figures {@code enrol_10000_s} and {@code rollout_10000_s} ({@link FleetBench}, also runnable alone; leave them
 * out with {@code --skip-site}); and with {@code --fleet-1m}, {@code fleet_1m} ({@link FleetMillion}: 100 authorities of
 * 10,000 devices).
 */
@Command(name = "scale-bench", mixinStandardHelpOptions = true, description = "FactFleet scale figures (issue 10), merged into bench/results/latest.json")
public final class ScaleBench implements Callable<Integer> {
    static final double SCALE_RATIO_GOAL = 0.8;
    static final double STATE_BYTES_PER_DEVICE_GOAL = 512;
    static final double EOS_BASELINE_RATIO_GOAL = 0.5;
    /** Facts folded, untimed, after an authority's genesis and before its timed run. */
    static final int SETTLE_FACTS = 500;
    /** And for at least this long. */
    static final int SETTLE_SECONDS = 3;

    @Option(names = "--partitions", defaultValue = "6", description = "partitions of every topic (default ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--sizes", split = ",", defaultValue = "10,1000,10000", description = "authority sizes, in devices (default ${DEFAULT-VALUE})")
    List<Integer> sizes;

    @Option(names = "--facts-per-size", defaultValue = "30000", description = "facts folded per authority size (default ${DEFAULT-VALUE})")
    int factsPerSize;

    @Option(names = "--rounds", defaultValue = "2", description = "rounds over the sizes; each size's figure is the best of its rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--min-seconds", defaultValue = "5", description = "a size's run ends after this many facts or seconds, whichever is later reached first (default ${DEFAULT-VALUE})")
    int minSeconds;

    @Option(names = "--baseline-authorities", defaultValue = "40", description = "small authorities in the baseline journal (default ${DEFAULT-VALUE})")
    int baselineAuthorities;

    @Option(names = "--baseline-facts", defaultValue = "1500", description = "facts per baseline authority (default ${DEFAULT-VALUE})")
    int baselineFacts;

    @Option(names = "--output", defaultValue = "bench/results/latest.json", description = "results file to merge into (default ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--no-write", description = "print the figures only")
    boolean noWrite;

    @Option(names = "--skip-site", description = "leave out the site figures of FleetBench (enrol_10000_s, rollout_10000_s)")
    boolean skipSite;

    @Option(names = "--fleet-1m", description = "also run fleet_1m: 100 authorities of 10,000 devices (about 20 minutes; give it -Xmx12g)")
    boolean fleetMillion;

    @Option(names = "--fleet-1m-authorities", defaultValue = "100", description = "authorities of fleet_1m (default ${DEFAULT-VALUE})")
    int millionAuthorities;

    @Option(names = "--fleet-1m-devices", defaultValue = "10000", description = "devices per authority of fleet_1m (default ${DEFAULT-VALUE})")
    int millionDevices;

    private final long benchStart = System.nanoTime();
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();

    public static void main(final String[] args) {
        System.exit(BenchMain.execute(new ScaleBench(), args));
    }

    @Override
    public Integer call() throws Exception {
        final Path dataDir = Files.createTempDirectory("factfleet-scale");
        say("Machine: %s", Machine.line());
        final ObjectNode run = ResultsFile.JSON.createObjectNode();
        final ObjectNode figures = run.putObject("scale_bench");
        try (KafkaCluster kafka = KafkaCluster.singleBroker()) {
            kafka.start();
            for (final Topic<?, ?> topic : FactFleetTopics.all()) {
                kafka.createTopic(topic.name(), partitions, 1, topic.configs());
            }
            // Operator authentication on, as deployed.
            final io.factfleet.testkit.TestOperators operators = io.factfleet.testkit.TestOperators.create(dataDir.resolve("operators"));
            final Properties registryProps = operators.serviceProps();
            registryProps.put("bootstrap.servers", kafka.bootstrapServers());
            registryProps.put("listeners", "http://127.0.0.1:0");
            try (SchemaRegistryService registry = new SchemaRegistryService(registryProps)) {
                registry.start();
                final String registryUrl = "http://127.0.0.1:" + registry.port();
                final SpecificAvroSerializer<FactEnvelope> serializer =
                        new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
                try (KafkaProducer<String, byte[]> producer = journalProducer(kafka)) {
                    final Journal journal = new Journal(producer, serializer);
                    baseline(kafka, registryUrl, dataDir, journal, run, figures, operators);
                    foldBySize(kafka, registryUrl, dataDir, journal, run, figures, operators);
                }
            }
        } finally {
            BenchMain.deleteQuietly(dataDir);
        }
        stateBytes(run, figures);
        if (!skipSite) {
            // The site figures of the issue (enrol_10000_s, rollout_10000_s) on the whole stack, a fresh broker of their own.
            final FleetBench site = new FleetBench();
            site.devices = 10_000;
            site.senders = 8;
            site.measure(run);
        }
        run.put("scale_bench_duration_s", round((System.nanoTime() - benchStart) / 1e9, 1));
        say("%s", ResultsFile.JSON.writeValueAsString(run));
        if (!noWrite) {
            ResultsFile.merge(output, run);
            say("Merged into %s", output.toAbsolutePath());
        }
        if (fleetMillion) {
            // Merged on its own, after the rest is written: a run of tens of minutes does not put the others at risk.
            final ObjectNode million = ResultsFile.JSON.createObjectNode();
            new FleetMillion(millionAuthorities, millionDevices).measure(million);
            say("%s", ResultsFile.JSON.writeValueAsString(million));
            if (!noWrite) {
                ResultsFile.merge(output, million);
                say("Merged fleet_1m into %s", output.toAbsolutePath());
            }
        }
        return 0;
    }

    // ---- the fair ceiling --------------------------------------------------------------------

    /**
     * A journal of small authorities; a minimal EOS app and then a fresh reducer each read all of it
     * from the beginning; facts/s from Streams' RUNNING to the last fact.
     */
    private void baseline(final KafkaCluster kafka, final String registryUrl, final Path dataDir, final Journal journal,
                          final ObjectNode run, final ObjectNode figures, final io.factfleet.testkit.TestOperators operators) throws Exception {
        final Random random = new Random(7);
        for (int a = 0; a < baselineAuthorities; a++) {
            final Site site = new Site(String.format(Locale.ROOT, "base-%04d", a), 10, random);
            journal.send(site.genesis(operator));
            journal.send(site.upgrade());
            for (int i = 0; i < baselineFacts - 2; i++) {
                journal.send(site.mixedFact(i));
            }
        }
        journal.flush();
        final long total = journal.sent();
        say("Baseline journal: %d facts in %d authorities of 10 devices", total, baselineAuthorities);
        // A throw-away reducer folds the journal first, so the JIT has compiled the fold before either timed run.
        try (ReducerService warm = new ReducerService(ReducerConfig.of(reducerProps(kafka, registryUrl, dataDir, "scale-reducer-warmup", operators))).start()) {
            awaitCount("the warm-up reducer", () -> warm.metrics().snapshot().factsFolded(), total, Duration.ofMinutes(5));
        }

        final AtomicLong processed = new AtomicLong();
        final StreamsBuilder builder = new StreamsBuilder();
        final SpecificAvroDeserializer<FactEnvelope> deserializer =
                new SpecificAvroDeserializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)), FactEnvelope.class);
        builder.stream(FactFleetTopics.JOURNAL.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .mapValues((key, bytes) -> {
                    final FactEnvelope fact = deserializer.deserialize(FactFleetTopics.JOURNAL.name(), bytes);
                    processed.incrementAndGet();
                    return Canonical.bytes(fact);
                })
                .toTable(Materialized.<String, byte[], KeyValueStore<Bytes, byte[]>>as("eos-baseline-store")
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scale-eos-baseline");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dataDir.resolve("eos-baseline").toString());
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        final double eosFps;
        try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
            streams.start();
            eosFps = timeFromRunning("the EOS baseline", () -> streams.state() == KafkaStreams.State.RUNNING, processed::get, total);
        }
        say("  eos_store_baseline_fps = %.0f", eosFps);

        final double reducerFps;
        try (ReducerService reducer = new ReducerService(ReducerConfig.of(reducerProps(kafka, registryUrl, dataDir, "scale-reducer-baseline", operators))).start()) {
            reducerFps = timeFromRunning("a fresh reducer", () -> reducer.streamsState() == KafkaStreams.State.RUNNING,
                    () -> reducer.metrics().snapshot().factsFolded(), total);
        }
        say("  reducer_fps over the same journal = %.0f; reducer_vs_eos_baseline = %.3f", reducerFps, reducerFps / eosFps);
        run.put("eos_store_baseline_fps", round(eosFps, 0));
        run.put("reducer_fps_scale_journal", round(reducerFps, 0));
        run.put("reducer_vs_eos_baseline", round(reducerFps / eosFps, 3));
        figures.put("baseline_facts", total);
        figures.put("baseline_method", "journal of " + baselineAuthorities + " authorities x 10 devices (metadata, readiness, journal entries); "
                + "a Kafka Streams exactly_once_v2 app deserializing each fact (Confluent Avro) into one changelogged KV entry, "
                + "then a fresh reducer (its default settings), each from RUNNING to the last fact, after a throw-away reducer folded the same "
                + "journal to warm the JIT");
        figures.put("reducer_vs_eos_baseline_goal", EOS_BASELINE_RATIO_GOAL);
        figures.put("reducer_vs_eos_baseline_met", reducerFps / eosFps >= EOS_BASELINE_RATIO_GOAL);
    }

    // ---- per-fact cost against authority size -----------------------------------------------

    /**
     * One reducer, warmed by the baseline journal, folds authorities of growing size: the genesis and
     * an upgrade first, then the same fact mix; facts/s from the first send to the last fold.
     */
    private void foldBySize(final KafkaCluster kafka, final String registryUrl, final Path dataDir, final Journal journal,
                            final ObjectNode run, final ObjectNode figures, final io.factfleet.testkit.TestOperators operators) throws Exception {
        final ObjectNode bySize = run.putObject("fold_fps_by_devices");
        final ObjectNode stateSizes = figures.putObject("state_bytes_by_devices");
        final Map<Integer, Double> fps = new HashMap<>();
        try (ReducerService reducer = new ReducerService(ReducerConfig.of(reducerProps(kafka, registryUrl, dataDir, "scale-reducer", operators))).start()) {
            final LongSupplier folded = () -> reducer.metrics().snapshot().factsFolded();
            awaitCount("the reducer folding the baseline journal", folded, journal.sent(), Duration.ofMinutes(5));
            final Random random = new Random(11);
            int runIndex = 0;
            final ObjectNode byRound = figures.putObject("fold_fps_by_round");
            for (int r = 0; r < rounds; r++) {
                final com.fasterxml.jackson.databind.node.ArrayNode thisRound = byRound.putArray(Integer.toString(r + 1));
                for (final int devices : sizes) {
                    final Site site = new Site(String.format(Locale.ROOT, "site-%05d-%d", devices, runIndex++), devices, random);
                    journal.send(site.genesis(operator));
                    journal.send(site.upgrade());
                    journal.flush();
                    awaitCount("the genesis of " + devices + " devices", folded, journal.sent(), Duration.ofMinutes(2));
                    // Untimed: the genesis's roster entries reach RocksDB and the changelog at the next commits, RocksDB's
                    // background flushes and compactions of them run, and the caches warm: fold the mix for a while first.
                    final long settleUntil = System.nanoTime() + Duration.ofSeconds(SETTLE_SECONDS).toNanos();
                    for (int settled = 0; settled < SETTLE_FACTS || System.nanoTime() < settleUntil; settled += 100) {
                        for (int i = 0; i < 100; i++) {
                            journal.send(site.mixedFact(-1 - settled - i));
                        }
                        journal.flush();
                        awaitCount("the settling facts of " + devices + " devices", folded, journal.sent() - 100, Duration.ofMinutes(5));
                    }
                    awaitCount("the settling facts of " + devices + " devices", folded, journal.sent(), Duration.ofMinutes(5));
                    final long before = folded.getAsLong();
                    final long start = System.nanoTime();
                    final long deadline = start + Duration.ofSeconds(minSeconds).toNanos();
                    int sent = 0;
                    // Send in slices so a slow size stops after --min-seconds instead of folding every fact.
                    while (sent < factsPerSize) {
                        final int slice = Math.min(100, factsPerSize - sent);
                        for (int i = 0; i < slice; i++) {
                            journal.send(site.mixedFact(sent + i));
                        }
                        sent += slice;
                        journal.flush();
                        if (System.nanoTime() > deadline) {
                            break;
                        }
                        if (sent >= 300) {
                            awaitCount("slice of " + devices, folded, before + sent - 200, Duration.ofMinutes(5));
                        }
                    }
                    awaitCount(sent + " facts of an authority of " + devices, folded, before + sent, Duration.ofMinutes(10));
                    final double rate = sent * 1e9 / (System.nanoTime() - start);
                    // The best of the rounds: what the reducer does at that size when nothing else on the machine interferes.
                    fps.merge(devices, rate, Math::max);
                    bySize.put(Integer.toString(devices), round(fps.get(devices), 1));
                    thisRound.addObject().put("devices", devices).put("fps", round(rate, 1));
                    stateSizes.put(Integer.toString(devices), Canonical.bytes(site.reduced()).length);
                    say("  round %d, %,6d devices: %.1f facts/s (%d facts); state %,d bytes", r + 1, devices, rate, sent,
                            Canonical.bytes(site.reduced()).length);
                }
            }
        }
        final Double small = fps.get(10);
        final Double large = fps.get(10_000);
        if (small != null && large != null) {
            run.put("scale_ratio_10000", round(large / small, 4));
            figures.put("scale_ratio_10000_goal", SCALE_RATIO_GOAL);
            figures.put("scale_ratio_10000_met", large / small >= SCALE_RATIO_GOAL);
        }
        figures.put("fold_method", rounds + " rounds over the sizes, each size's figure the best of its rounds (fold_fps_by_round has them all); "
                + "per round and size one reducer (default settings, warmed by the baseline journal) folds a new authority's genesis and one "
                + "upgrade and at least " + SETTLE_FACTS + " untimed settling facts for at least " + SETTLE_SECONDS + " s, then up to " + factsPerSize + " facts (device metadata, readiness, journal entries from random devices) sent in slices "
                + "of 100 for at least " + minSeconds + " s; facts/s from the first send to the last fold");
    }

    // ---- state bytes per device --------------------------------------------------------------

    /**
     * The state of a 10,000-device authority after every device reported metadata and READY for an
     * upgrade and 3 snapshots completed, reduced by the pure core (byte-identical to the reducer's
     * store value by the determinism properties).
     */
    private void stateBytes(final ObjectNode run, final ObjectNode figures) throws java.io.IOException {
        final int devices = 10_000;
        final Site site = new Site("bytes-10000", devices, new Random(3));
        final List<FactEnvelope> facts = new ArrayList<>();
        facts.add(site.genesis(operator));
        facts.add(site.upgrade());
        for (int i = 0; i < devices; i++) {
            facts.add(site.device(i).deviceMetadata(0, List.of(new InstalledPackage("fw", 2L)), "auto"));
            facts.add(site.device(i).readiness(0, "up-1", "fw", 2, ReadinessStatus.READY, null));
        }
        for (int s = 0; s < 3; s++) {
            final byte[] digest = Hashing.sha256(("prefix-" + s).getBytes());
            facts.add(site.admin().sign(0, new SnapshotProposed("snap-" + s, "admin", 0L, ByteBuffer.wrap(digest), 10L + s)));
            for (int i = 0; i < site.threshold(); i++) {
                facts.add(site.device(i).approveSnapshot(0, "snap-" + s, 0, digest));
            }
            final SnapshotStatement statement = new SnapshotStatement(site.id(), "snap-" + s, 0L, ByteBuffer.wrap(digest));
            facts.add(site.admin().sign(0, new SnapshotCompleted(statement, "cid-" + s, 10L + s,
                    ThresholdCertificates.of(statement, site.deviceKeys.subList(0, site.threshold())))));
        }
        final MaintenanceState state = Reducer.standard().reduce(site.id(), facts);
        final int bytes = Canonical.bytes(state).length;
        run.put("state_bytes_per_device_10000", round((double) bytes / devices, 1));
        figures.put("state_bytes_10000", bytes);
        figures.put("state_bytes_per_device_10000_goal", STATE_BYTES_PER_DEVICE_GOAL);
        figures.put("state_bytes_per_device_10000_met", (double) bytes / devices <= STATE_BYTES_PER_DEVICE_GOAL);
        figures.put("state_bytes_method", "MaintenanceState canonical bytes of 10,000 devices after metadata and READY from each and 3 completed "
                + "snapshots (M=3 approvals each), reduced by the pure core; the fact index store is not counted");
        say("  state_bytes_per_device_10000 = %.1f (%,d bytes)", (double) bytes / devices, bytes);
        sdkReplica(site.id(), facts, state, run, figures);
    }

    // ---- the SDK's replica of a 10,000-device authority -----------------------------------------

    /**
     * What a device's replica of that authority costs: heap retained while it is open (its state and facts are in
     * SQLite), against what holding the same state and facts on the heap retains, its bytes on disk, and how fast it
     * folds a catch-up (sync pages of 500 facts, one transaction each).
     */
    private void sdkReplica(final String authority, final List<FactEnvelope> facts, final MaintenanceState state, final ObjectNode run,
                            final ObjectNode figures) throws java.io.IOException {
        final Path dir = Files.createTempDirectory("factfleet-replica");
        try {
            final long before = retainedHeap();
            final long start = System.nanoTime();
            io.factfleet.device.LocalReplica replica = io.factfleet.device.LocalReplica.open(dir.resolve("replica.db"), authority, Reducer.standard());
            for (int i = 0; i < facts.size(); i += 500) {
                replica.addAll(facts.subList(i, Math.min(facts.size(), i + 500)));
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            final boolean sameDigest = java.util.Arrays.equals(replica.digest(), io.factfleet.core.StateDigest.of(state));
            final long retained = retainedHeap() - before;
            replica.close();
            long disk = 0;
            try (var files = Files.list(dir)) {
                for (final Path f : files.toList()) {
                    disk += Files.size(f);
                }
            }
            final long beforeHeld = retainedHeap();
            final List<FactEnvelope> heldFacts = new ArrayList<>();
            facts.forEach(f -> heldFacts.add(Canonical.decode(Canonical.bytes(f), FactEnvelope.class)));
            final MaintenanceState heldState = Canonical.decode(Canonical.bytes(state), MaintenanceState.class);
            final long held = retainedHeap() - beforeHeld;
            java.lang.ref.Reference.reachabilityFence(heldFacts);
            java.lang.ref.Reference.reachabilityFence(heldState);
            figures.put("sdk_replica_same_digest", sameDigest);
            run.put("sdk_replica_heap_bytes_10000", Math.max(0, retained));
            run.put("sdk_replica_heap_bytes_if_on_heap_10000", held);
            run.put("sdk_replica_disk_bytes_10000", disk);
            run.put("sdk_replica_catchup_fps_10000", round(facts.size() / seconds, 0));
            figures.put("sdk_replica_method", "LocalReplica (SQLite, WAL, synchronous=FULL) of the state_bytes authority: " + facts.size()
                    + " facts added in sync pages of 500; heap retained while open = used heap after GC with the replica open minus before "
                    + "(SQLite's page cache is native memory, not heap); if_on_heap = the same after holding the state and the facts on the heap, "
                    + "as the replica did before it kept them in SQLite");
            say("  sdk replica: %,d bytes of heap retained (on the heap it would be %,d), %,d bytes on disk, catch-up %.0f facts/s, same digest %s",
                    retained, held, disk, facts.size() / seconds, sameDigest);
        } finally {
            BenchMain.deleteQuietly(dir);
        }
    }

    private static long retainedHeap() {
        final Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** An authority of n devices with threshold 3, and the facts of the bench's mix. */
    private static final class Site {
        final AuthorityGenesis genesis;
        // AuthorityGenesis copies its lists on each call: O(devices) per fact would be the bench's cost, not the reducer's.
        final List<String> deviceIds;
        final List<Ed25519Keys.SigningKey> deviceKeys;
        final Random random;
        final LongSupplier clock;
        final List<FactEnvelope> facts = new ArrayList<>();

        Site(final String id, final int devices, final Random random) {
            this.genesis = AuthorityGenesis.generate(id, devices, Math.min(3, devices));
            this.deviceIds = genesis.deviceIds();
            this.deviceKeys = genesis.deviceKeys();
            this.random = random;
            final AtomicLong time = new AtomicLong(1_000_000);
            this.clock = time::incrementAndGet;
        }

        String id() {
            return genesis.authorityId();
        }

        int threshold() {
            return genesis.threshold();
        }

        DeviceSigner device(final int i) {
            return new DeviceSigner(id(), deviceIds.get(i), deviceKeys.get(i), clock);
        }

        DeviceSigner admin() {
            return new DeviceSigner(id(), "admin", genesis.adminKey(), clock);
        }

        FactEnvelope genesis(final Ed25519Keys.SigningKey operatorKey) {
            return keep(genesis.genesisFact(operatorKey));
        }

        FactEnvelope upgrade() {
            final UpgradeMetadata m = new UpgradeMetadata(id(), "up-1", "fw", 2L, ByteBuffer.wrap(Hashing.sha256(new byte[] {2})), 1024L,
                    UpgradeKind.SOFT, null, Long.MAX_VALUE, new RolloutPlan(List.of(), false));
            return keep(admin().sign(0, new UpgradeProposed(m, ThresholdCertificates.of(m, deviceKeys.subList(0, threshold())))));
        }

        /** Device metadata, readiness and journal entries in turn, from random devices. */
        FactEnvelope mixedFact(final int i) {
            final DeviceSigner d = device(random.nextInt(deviceIds.size()));
            return keep(switch (Math.floorMod(i, 3)) {
                case 0 -> d.deviceMetadata(0, List.of(new InstalledPackage("fw", 1L + random.nextInt(2))), "auto");
                case 1 -> d.readiness(0, "up-1", "fw", 2, random.nextInt(10) == 0 ? ReadinessStatus.NOT_READY : ReadinessStatus.READY,
                        null);
                default -> d.journalEntry(0, ("k" + i).getBytes(), ("v" + random.nextInt()).getBytes());
            });
        }

        MaintenanceState reduced() {
            return Reducer.standard().reduce(id(), facts);
        }

        private FactEnvelope keep(final FactEnvelope fact) {
            facts.add(fact);
            return fact;
        }
    }

    /** Writes facts straight to the journal, as ingest would after admitting them (partitioned by authority). */
    private final class Journal {
        private final KafkaProducer<String, byte[]> producer;
        private final SpecificAvroSerializer<FactEnvelope> serializer;
        private long sent;

        Journal(final KafkaProducer<String, byte[]> producer, final SpecificAvroSerializer<FactEnvelope> serializer) {
            this.producer = producer;
            this.serializer = serializer;
        }

        void send(final FactEnvelope fact) {
            final String authority = fact.getBody().getAuthorityId();
            producer.send(new ProducerRecord<>(FactFleetTopics.JOURNAL.name(), AuthorityPartitioner.partition(authority, partitions),
                    JournalKey.of(authority, Facts.idHex(fact)), serializer.serialize(FactFleetTopics.JOURNAL.name(), fact)));
            sent++;
        }

        void flush() {
            producer.flush();
        }

        long sent() {
            return sent;
        }
    }

    private static KafkaProducer<String, byte[]> journalProducer(final KafkaCluster kafka) {
        final Map<String, Object> props = new HashMap<>(kafka.producerProps());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static Properties reducerProps(final KafkaCluster kafka, final String registryUrl, final Path dataDir, final String applicationId,
                                           final io.factfleet.testkit.TestOperators operators) {
        final Properties props = operators.serviceProps();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("application.id", applicationId);
        props.put("state.dir", dataDir.resolve(applicationId).toString());
        props.put("schema.registry.url", registryUrl);
        props.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        props.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        return props;
    }

    private double timeFromRunning(final String what, final java.util.function.BooleanSupplier running, final LongSupplier count,
                                   final long total) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        long runningAt = 0;
        long atRunning = 0;
        while (true) {
            final long now = System.nanoTime();
            final long seen = count.getAsLong();
            if (runningAt == 0 && running.getAsBoolean()) {
                runningAt = now;
                atRunning = seen;
            }
            if (runningAt != 0 && seen >= total) {
                return (total - atRunning) * 1e9 / (now - runningAt);
            }
            if (now > deadline) {
                throw new IllegalStateException(what + " processed " + seen + " of " + total + " facts in 5 minutes");
            }
            Thread.sleep(2);
        }
    }

    private static void awaitCount(final String what, final LongSupplier count, final long target, final Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (count.getAsLong() < target) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": " + count.getAsLong() + " of " + target + " after " + timeout);
            }
            Thread.sleep(2);
        }
    }

    private void say(final String format, final Object... args) {
        System.out.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - benchStart) / 1e9, String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    private static double round(final double value, final int decimals) {
        final double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}
