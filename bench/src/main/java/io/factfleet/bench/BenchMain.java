package io.factfleet.bench;

import io.factfleet.testkit.TestOperators;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.Topic;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.testkit.KafkaCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The FactFleet bench: in one run, on one in-process single-broker KRaft cluster, raw Kafka
 * producer and consumer throughput, the signature-verification limit of the ingest, signed facts
 * per second through ingest into the journal, reducer facts per second, and the latency from
 * inbound to queryable state; then, with an edge bridge in front of the same ingest and reducer,
 * the cost of anti-entropy catch-up (round trips and overhead bytes, by cursor and by salted Bloom
 * filter) and the facts per second the bridge acknowledges under load; the figures against their
 * goals, printed and merged into bench/results/latest.json. See bench/README.md for what each
 * figure means and how it is measured.
 *
 * <p>No logger field: the log4j configuration is chosen in {@link #main} before any logger exists.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "FactFleet throughput and latency against raw Kafka on the same in-process broker, as ratios.")
public final class BenchMain implements Callable<Integer> {
    static final double INGEST_RATIO_GOAL = 0.5;
    static final double REDUCER_RATIO_GOAL = 0.7;
    static final String RAW_TOPIC = "bench.raw";
    static final String RAW_WARMUP_TOPIC = "bench.raw.warmup";
    /** The bench bridge's rate limits (per device and overall, per second and burst): high enough never to refuse a request. */
    static final int BRIDGE_RATE_LIMIT = 1_000_000;

    @Option(names = "--raw-records", defaultValue = "1000000", description = "N: records the raw producer sends and the raw consumer reads (default ${DEFAULT-VALUE})")
    long rawRecords;
    @Option(names = "--raw-warmup-records", defaultValue = "100000", description = "records sent and read on a separate topic first, untimed (default ${DEFAULT-VALUE})")
    long rawWarmupRecords;
    @Option(names = "--facts", defaultValue = "120000", description = "M: signed facts through ingest, genesis facts included (default ${DEFAULT-VALUE})")
    int facts;
    @Option(names = "--authorities", defaultValue = "60", description = "authorities the M facts are spread over (default ${DEFAULT-VALUE})")
    int authorities;
    @Option(names = "--warmup-facts", defaultValue = "120000", description = "facts through ingest (and a throw-away reducer) before the timed runs, on 6 other authorities (default ${DEFAULT-VALUE})")
    int warmupFacts;

    @Option(names = "--ingest-rounds", defaultValue = "2", description = "the M facts are timed in this many rounds over disjoint authorities; the last is reported (default ${DEFAULT-VALUE})")
    int ingestRounds;

    private final ArrayNode ingestRoundRates = ResultsFile.JSON.createArrayNode();
    @Option(names = "--record-bytes", defaultValue = "200", description = "target size of a serialized JournalEntry fact (default ${DEFAULT-VALUE})")
    int targetRecordBytes;
    @Option(names = "--partitions", defaultValue = "6", description = "partitions of every topic (default ${DEFAULT-VALUE})")
    int partitions;
    @Option(names = "--verify-warmup-ms", defaultValue = "3000")
    long verifyWarmupMillis;
    @Option(names = "--verify-rounds", defaultValue = "5")
    int verifyRounds;
    @Option(names = "--verify-round-ms", defaultValue = "2000")
    long verifyRoundMillis;
    @Option(names = "--verify-jmh", description = "take the single-core verify figure from JMH (VerifyBenchmark, one fork) instead of the in-process loop")
    boolean verifyJmh;
    @Option(names = "--e2e-rate", defaultValue = "100", description = "facts per second during the latency run (default ${DEFAULT-VALUE})")
    int e2eRate;
    @Option(names = "--e2e-seconds", defaultValue = "20", description = "length of the latency run (default ${DEFAULT-VALUE})")
    int e2eSeconds;
    @Option(names = "--e2e-authorities", defaultValue = "2", description = "authorities the latency run writes to (default ${DEFAULT-VALUE})")
    int e2eAuthorities;
    @Option(names = "--e2e-poll-ms", defaultValue = "5", description = "pause between rounds of HTTP polls of the latency run (default ${DEFAULT-VALUE})")
    int e2ePollMillis;
    @Option(names = "--sync-trials", defaultValue = "10", description = "anti-entropy trials, a fresh authority each (default ${DEFAULT-VALUE})")
    int syncTrials;
    @Option(names = "--sync-facts", defaultValue = "1000", description = "facts each side holds that the other lacks, per trial (default ${DEFAULT-VALUE})")
    int syncFacts;
    @Option(names = "--bridge-authorities", defaultValue = "4", description = "authorities of the bridge-load fleet (default ${DEFAULT-VALUE})")
    int bridgeAuthorities;
    @Option(names = "--bridge-devices-per-authority", defaultValue = "4", description = "devices per authority of the bridge-load fleet, one client thread each (default ${DEFAULT-VALUE})")
    int bridgeDevicesPerAuthority;
    @Option(names = "--bridge-facts-per-device", defaultValue = "10000", description = "facts each device pushes in the timed bridge-load round (default ${DEFAULT-VALUE})")
    int bridgeFactsPerDevice;
    @Option(names = "--bridge-warmup-facts-per-device", defaultValue = "4000", description = "facts each device pushes first, untimed (default ${DEFAULT-VALUE})")
    int bridgeWarmupFactsPerDevice;
    @Option(names = "--bridge-batch", defaultValue = "200", description = "facts per batch request of the bridge load (default ${DEFAULT-VALUE})")
    int bridgeBatch;
    @Option(names = "--bridge-keep-ingest", description = "keep ingest running during the bridge load (default: ingest is stopped first, so the bridge has the cores the raw producer had)")
    boolean bridgeKeepIngest;
    @Option(names = "--no-edge", description = "skip the edge phases (anti-entropy catch-up and bridge load)")
    boolean noEdge;
    @Option(names = "--reducer-threads", description = "num.stream.threads of the reducer (default: the reducer's own default)")
    Integer reducerThreads;
    @Option(names = "--output", defaultValue = "bench/results/latest.json", description = "results file, merged into (default ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--no-write", description = "print the figures but do not write the results file")
    boolean noWrite;

    private final long benchStart = System.nanoTime();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Operator authentication on, as deployed: the services follow this operators file; the bench reads as TestOperators.ADMIN. */
    private TestOperators operators;

    public static void main(final String[] args) {
        System.exit(execute(new BenchMain(), args));
    }

    /** Runs a benchmark command with the bench's logging (unless a configuration was given) and returns its exit code. */
    static int execute(final Object command, final String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            final URL config = BenchMain.class.getResource("/bench-log4j2.xml");
            if (config != null) {
                System.setProperty("log4j2.configurationFile", config.toString());
            }
        }
        return new CommandLine(command).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if (facts < authorities * 2) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--facts must be at least twice --authorities");
        }
        final Path dataDir = Files.createTempDirectory("factfleet-bench");
        say("Machine: %s", Machine.line());
        say("Data in %s", dataDir);
        final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
        final ObjectNode run = ResultsFile.JSON.createObjectNode();
        try (KafkaCluster kafka = KafkaCluster.singleBroker()) {
            kafka.start();
            for (final Topic<?, ?> topic : FactFleetTopics.all()) {
                kafka.createTopic(topic.name(), partitions, 1, topic.configs());
            }
            kafka.createTopic(RAW_TOPIC, partitions, 1, FactFleetTopics.INBOUND.configs());
            kafka.createTopic(RAW_WARMUP_TOPIC, partitions, 1, FactFleetTopics.INBOUND.configs());
            say("Broker at %s; topics with %d partitions", kafka.bootstrapServers(), partitions);

            operators = TestOperators.create(dataDir.resolve("operators"));
            final Properties registryProps = operators.serviceProps();
            registryProps.put("bootstrap.servers", kafka.bootstrapServers());
            registryProps.put("listeners", "http://127.0.0.1:0");
            try (SchemaRegistryService registry = new SchemaRegistryService(registryProps)) {
                registry.start();
                final String registryUrl = "http://127.0.0.1:" + registry.port();
                final SpecificAvroSerializer<FactEnvelope> serializer =
                        new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
                runAll(kafka, registryUrl, serializer, operator, dataDir, run);
            }
        } finally {
            deleteQuietly(dataDir);
        }
        final double seconds = (System.nanoTime() - benchStart) / 1e9;
        run.put("bench_duration_s", round(seconds, 1));
        report(run);
        if (!noWrite) {
            ResultsFile.merge(output, run);
            say("Merged into %s", output.toAbsolutePath());
        }
        return 0;
    }

    private void runAll(final KafkaCluster kafka, final String registryUrl, final SpecificAvroSerializer<FactEnvelope> serializer,
                        final Ed25519Keys.SigningKey operator, final Path dataDir, final ObjectNode run) throws Exception {
        // a. The record: a JournalEntry fact of about --record-bytes on inbound.
        final int valueBytes = BenchFacts.valueBytesFor(operator, serializer, targetRecordBytes);
        final BenchFacts factory = new BenchFacts(operator, serializer, valueBytes);
        final int recordBytes = factory.recordBytes();
        say("record_bytes = %d (JournalEntry fact, %d-byte value, Confluent wire format)", recordBytes, valueBytes);

        final int entriesEach = facts / authorities - 1;
        final int measuredFacts = authorities * (entriesEach + 1);
        final List<String> measuredIds = new ArrayList<>();
        for (int i = 0; i < authorities; i++) {
            measuredIds.add(BenchFacts.authorityId("m", i));
        }

        // b. Raw Kafka: producer, then consumer, same broker, same record size, same keys.
        final Map<String, Object> producerProps = edgeProducerProps(kafka);
        say("Raw producer: %d warm-up records, then %d records of %d bytes (acks=all, idempotent) ...", rawWarmupRecords, rawRecords, recordBytes);
        RawKafka.produce(producerProps, RAW_WARMUP_TOPIC, rawWarmupRecords, recordBytes, measuredIds);
        CpuUse cpu = CpuUse.start();
        final RawKafka.Run produced = RawKafka.produce(producerProps, RAW_TOPIC, rawRecords, recordBytes, measuredIds);
        final ObjectNode cpuUse = ResultsFile.JSON.createObjectNode();
        cpuUse.set("raw_producer", cpuLine(cpu.stop()));
        say("  raw_producer_rps = %.0f (%.2f MiB/s, %.1f s)", produced.perSecond(), produced.megabytesPerSecond(), produced.seconds());
        say("Raw consumer: reading %d warm-up records, then the %d records ...", rawWarmupRecords, rawRecords);
        RawKafka.consume(kafka.clientProps(), RAW_WARMUP_TOPIC, rawWarmupRecords);
        cpu = CpuUse.start();
        final RawKafka.Run consumed = RawKafka.consume(kafka.clientProps(), RAW_TOPIC, rawRecords);
        cpuUse.set("raw_consumer", cpuLine(cpu.stop()));
        say("  raw_consumer_rps = %.0f (%.2f MiB/s, %.1f s)", consumed.perSecond(), consumed.megabytesPerSecond(), consumed.seconds());
        kafka.deleteTopic(RAW_TOPIC);
        kafka.deleteTopic(RAW_WARMUP_TOPIC);

        // Sign everything the ingest and latency runs send (the devices' work, not measured).
        final long signStart = System.nanoTime();
        final int warmupAuthorities = 6;
        final List<BenchFacts.AuthorityFacts> warmup = factory.authorities("w", warmupAuthorities, Math.max(1, warmupFacts / warmupAuthorities - 1));
        final List<BenchFacts.AuthorityFacts> measured = factory.authorities("m", authorities, entriesEach);
        final int e2eTotal = e2eRate * e2eSeconds;
        final List<BenchFacts.AuthorityFacts> e2e = factory.authorities("e2e", e2eAuthorities, (e2eTotal + e2eAuthorities - 1) / e2eAuthorities);
        say("Signed %d facts in %.1f s (not measured)", count(warmup) + count(measured) + count(e2e), (System.nanoTime() - signStart) / 1e9);

        // c. The verify limit: single-core verifications/s of the ingest's verifier, times its stream threads.
        final Properties ingestProps = operators.serviceProps();
        ingestProps.put("bootstrap.servers", kafka.bootstrapServers());
        ingestProps.put("application.id", "bench-ingest");
        ingestProps.put("state.dir", dataDir.resolve("ingest").toString());
        ingestProps.put("schema.registry.url", registryUrl);
        ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
        final int ingestThreads = Integer.parseInt(new IngestConfig(ingestProps).get("num.stream.threads"));
        final SignatureVerifier verifier = IngestVerifier.current();
        final VerifySample sample = new VerifySample(measured.stream().flatMap(a -> a.facts().stream().skip(1)).limit(4096).toList());
        final double verifySingle;
        final String verifyMethod;
        final ArrayNode verifyRoundRates = ResultsFile.JSON.createArrayNode();
        if (verifyJmh) {
            say("Verify limit: JMH VerifyBenchmark (1 fork, 3x1 s warm-up, 5x1 s measurement) ...");
            verifySingle = jmhVerify();
            verifyMethod = "JMH VerifyBenchmark, 1 fork, 3x1 s warm-up, 5x1 s measurement, 1 thread";
        } else {
            say("Verify limit: %s, 1 thread, %d ms warm-up, median of %d x %d ms ...", IngestVerifier.describe(), verifyWarmupMillis, verifyRounds, verifyRoundMillis);
            final VerifySample.Result r = sample.measure(verifier, verifyWarmupMillis, verifyRounds, verifyRoundMillis);
            verifySingle = r.medianPerSecond();
            for (final double rate : r.rounds()) {
                verifyRoundRates.add(round(rate, 0));
            }
            verifyMethod = String.format(Locale.ROOT, "in-process loop, 1 thread, %d ms warm-up, median of %d x %d ms over %d real fact signatures",
                    verifyWarmupMillis, verifyRounds, verifyRoundMillis, sample.size());
        }
        final double verifyLimit = verifySingle * ingestThreads;
        say("  verify_single_core_fps = %.0f x %d ingest stream threads = verify_limit_fps %.0f", verifySingle, ingestThreads, verifyLimit);

        // d. Ingest: M pre-signed facts as fast as possible into inbound; until a read_committed consumer saw M in the journal.
        final IngestService ingest = new IngestService(ingestProps);
        ReducerService reducer = null;
        try {
            ingest.start();
            awaitTrue("ingest RUNNING", Duration.ofSeconds(90), () -> ingest.state() == KafkaStreams.State.RUNNING);
            final int warmupCount = count(warmup);
            say("Ingest: %d warm-up facts ...", warmupCount);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
                 JournalCounter journal = new JournalCounter(kafka)) {
                final AtomicLong ignored = new AtomicLong();
                sendAll(producer, BenchFacts.sendOrder(warmup), ignored);
                journal.await(warmupCount, Duration.ofMinutes(3));
            }
            // The same for the reducer's code paths: a throw-away reducer folds the warm-up facts, then stops.
            final long warmupStart = System.nanoTime();
            try (ReducerService warm = new ReducerService(ReducerConfig.of(reducerProps(kafka, registryUrl, dataDir, "bench-reducer-warmup"))).start()) {
                awaitTrue("the warm-up reducer folding " + warmupCount + " facts", Duration.ofMinutes(3),
                        () -> warm.metrics().snapshot().factsFolded() >= warmupCount);
            }
            say("  warm-up: ingest and a throw-away reducer (%.1f s) done", (System.nanoTime() - warmupStart) / 1e9);
            // Timed in rounds over disjoint authorities: the JIT keeps compiling broker and ingest paths
            // well into the first high-throughput minute, so the last round is the steady state.
            final List<List<BenchFacts.AuthorityFacts>> rounds = new ArrayList<>();
            for (int r = 0; r < ingestRounds; r++) {
                rounds.add(measured.subList(r * measured.size() / ingestRounds, (r + 1) * measured.size() / ingestRounds));
            }
            double ingestFps = 0;
            long lastRoundNanos = 0;
            for (int r = 0; r < rounds.size(); r++) {
                final int roundFacts = count(rounds.get(r));
                say("Ingest round %d of %d: %d facts over %d authorities (genesis first) ...", r + 1, rounds.size(), roundFacts, rounds.get(r).size());
                final long acceptedBefore = ingest.counters().acceptedCount();
                final long rejectedBefore = ingest.counters().rejectedTotal();
                final long ingestNanos;
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
                     JournalCounter journal = new JournalCounter(kafka)) {
                    producer.partitionsFor(FactFleetTopics.INBOUND.name());
                    final List<BenchFacts.SignedFact> order = BenchFacts.sendOrder(rounds.get(r));
                    final AtomicLong firstSend = new AtomicLong();
                    cpu = CpuUse.start();
                    final AtomicReference<Exception> sendFailure = new AtomicReference<>();
                    final Thread sender = new Thread(() -> {
                        try {
                            sendAll(producer, order, firstSend);
                        } catch (final RuntimeException e) {
                            sendFailure.set(e);
                        }
                    }, "bench-ingest-sender");
                    sender.start();
                    final long seenAll = journal.await(roundFacts, Duration.ofMinutes(5));
                    sender.join();
                    if (sendFailure.get() != null) {
                        throw sendFailure.get();
                    }
                    ingestNanos = seenAll - firstSend.get();
                    cpuUse.set(r == rounds.size() - 1 ? "ingest" : "ingest_round_" + (r + 1), cpuLine(cpu.stop()));
                }
                final long accepted = ingest.counters().acceptedCount() - acceptedBefore;
                final long rejected = ingest.counters().rejectedTotal() - rejectedBefore;
                if (accepted != roundFacts || rejected != 0) {
                    throw new IllegalStateException("ingest accepted " + accepted + " and rejected " + rejected + " of " + roundFacts + " facts");
                }
                ingestFps = roundFacts * 1e9 / ingestNanos;
                lastRoundNanos = ingestNanos;
                ingestRoundRates.add(round(ingestFps, 0));
                say("  ingest round %d: %.0f facts/s (%.1f s)", r + 1, ingestFps, ingestNanos / 1e9);
            }
            say("  ingest_fps = %.0f (the last of %d rounds)", ingestFps, rounds.size());

            // e. Reducer: a fresh reducer over the journal that now holds every admitted fact.
            final long journalFacts = ingest.counters().acceptedCount();
            final ReducerConfig reducerConfig = ReducerConfig.of(reducerProps(kafka, registryUrl, dataDir, "bench-reducer"));
            final String reducerThreadCount = reducerConfig.asProperties().getProperty("num.stream.threads", "1 (Kafka Streams default)");
            say("Reducer: folding the journal's %d facts with a fresh reducer (num.stream.threads %s) ...", journalFacts, reducerThreadCount);
            cpu = CpuUse.start();
            final long reducerStart = System.nanoTime();
            reducer = new ReducerService(reducerConfig).start();
            long runningAt = 0;
            long foldedAtRunning = 0;
            long doneAt;
            final long reducerDeadline = reducerStart + Duration.ofMinutes(5).toNanos();
            while (true) {
                final long folded = reducer.metrics().snapshot().factsFolded();
                final long now = System.nanoTime();
                if (runningAt == 0 && reducer.streamsState() == KafkaStreams.State.RUNNING) {
                    runningAt = now;
                    foldedAtRunning = folded;
                }
                if (folded >= journalFacts && runningAt != 0) {
                    doneAt = now;
                    break;
                }
                if (now > reducerDeadline) {
                    throw new IllegalStateException("the reducer folded " + folded + " of " + journalFacts + " facts in 5 minutes");
                }
                LockSupport.parkNanos(2_000_000L);
            }
            cpuUse.set("reducer", cpuLine(cpu.stop()));
            final ReducerService r = reducer;
            final double reducerFps = (journalFacts - foldedAtRunning) * 1e9 / (doneAt - runningAt);
            final double reducerFpsFromStart = journalFacts * 1e9 / (doneAt - reducerStart);
            say("  reducer_fps = %.0f from RUNNING (%.1f s; %d facts already folded at RUNNING); %.0f from start() (%.1f s)",
                    reducerFps, (doneAt - runningAt) / 1e9, foldedAtRunning, reducerFpsFromStart, (doneAt - reducerStart) / 1e9);
            final long queryable = Stream.concat(warmup.stream(), measured.stream())
                    .mapToLong(a -> get(r, "/authorities/" + a.authorityId() + "/state").path("state").path("factCount").asLong())
                    .sum();
            if (queryable != journalFacts) {
                throw new IllegalStateException("the reducer's HTTP API shows " + queryable + " facts, the journal holds " + journalFacts);
            }
            say("  checked: GET /authorities/{id}/state factCount sums to %d over %d authorities", queryable, warmup.size() + measured.size());

            // f. Latency from inbound to queryable state, at a modest fixed rate.
            cpu = CpuUse.start();
            final Latency latency = latencyRun(r, producerProps, e2e);
            cpuUse.set("e2e", cpuLine(cpu.stop()));
            say("  e2e_p50_ms = %.1f, e2e_p99_ms = %.1f over %d samples (max %.1f ms, %d not seen)",
                    latency.p50, latency.p99, latency.samples, latency.max, latency.missing);

            // g. The edge: anti-entropy catch-up through the bridge, then load on the bridge.
            final ObjectNode edgeGoals = ResultsFile.JSON.createObjectNode();
            if (!noEdge) {
                edgePhases(kafka, registryUrl, serializer, operator, dataDir, r, ingest, valueBytes, produced.perSecond(), run, edgeGoals, cpuUse);
            }

            // The results.
            final double bound = Math.min(produced.perSecond(), verifyLimit);
            run.put("date", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            run.set("machine", Machine.json());
            run.put("record_bytes", recordBytes);
            run.put("raw_producer_rps", round(produced.perSecond(), 0));
            run.put("raw_consumer_rps", round(consumed.perSecond(), 0));
            run.put("verify_single_core_fps", round(verifySingle, 0));
            run.put("verify_threads", ingestThreads);
            run.put("verify_limit_fps", round(verifyLimit, 0));
            run.put("verifier", IngestVerifier.describe());
            run.put("ingest_fps", round(ingestFps, 0));
            run.put("ingest_fps_rounds", ingestRoundRates);
            run.put("ingest_bound", produced.perSecond() <= verifyLimit ? "raw_producer_rps" : "verify_limit_fps");
            run.put("ingest_ratio", round(ingestFps / bound, 3));
            run.put("reducer_fps", round(reducerFps, 0));
            run.put("reducer_fps_from_start", round(reducerFpsFromStart, 0));
            run.put("reducer_ratio", round(reducerFps / consumed.perSecond(), 3));
            run.put("e2e_p50_ms", round(latency.p50, 1));
            run.put("e2e_p99_ms", round(latency.p99, 1));
            run.put("e2e_max_ms", round(latency.max, 1));
            run.put("e2e_samples", latency.samples);
            final ObjectNode goals = run.putObject("goals");
            goals.put("ingest_ratio", INGEST_RATIO_GOAL);
            goals.put("ingest_ratio_met", ingestFps / bound >= INGEST_RATIO_GOAL);
            goals.put("reducer_ratio", REDUCER_RATIO_GOAL);
            goals.put("reducer_ratio_met", reducerFps / consumed.perSecond() >= REDUCER_RATIO_GOAL);
            goals.setAll(edgeGoals);
            final ObjectNode params = run.putObject("spine_bench");
            params.put("broker", "one in-process KRaft broker (test-kit KafkaCluster.singleBroker), combined controller, replication 1");
            params.put("partitions", partitions);
            params.put("topics", "every FactFleetTopics topic with its own configs; raw topics with the inbound topic's configs");
            params.put("raw_records", rawRecords);
            params.put("raw_warmup_records", rawWarmupRecords);
            params.put("raw_keys", "the " + authorities + " authority ids of the ingest run, round-robin; value exactly record_bytes random bytes");
            params.put("raw_producer", "KafkaProducer acks=all, enable.idempotence=true, other settings default; first send to flush() returned");
            params.put("raw_consumer", "KafkaConsumer assign() all partitions, no group, isolation read_uncommitted (producer not transactional); first poll to last record");
            params.put("verify_method", verifyMethod);
            params.set("verify_rounds_fps", verifyRoundRates);
            params.put("ingest_facts", measuredFacts);
            params.put("ingest_authorities", authorities);
            params.put("ingest_warmup_facts", warmupCount);
            params.put("warmup", "raw: raw_warmup_records on another topic first; ingest: ingest_warmup_facts through the running ingest, "
                    + "then a throw-away reducer (another application.id) folds them, before any timed phase of either");
            params.put("ingest_stream_threads", ingestThreads);
            params.put("ingest_method", "pre-signed facts sent as fast as possible (genesis of each authority first, then round-robin); "
                    + "first send to a read_committed consumer having seen all of them in the journal");
            params.put("ingest_seconds_last_round", round(lastRoundNanos / 1e9, 2));
            params.put("ingest_rounds", ingestRounds);
            params.put("reducer_facts", journalFacts);
            params.put("reducer_stream_threads", reducerThreadCount);
            params.put("reducer_facts_folded_at_running", foldedAtRunning);
            params.put("reducer_method", "fresh reducer over the filled journal; from state RUNNING to ReducerMetrics.factsFolded = journal facts "
                    + "(polled every 2 ms), then checked against the sum of factCount over GET /authorities/{id}/state");
            params.put("e2e_rate_per_s", e2eRate);
            params.put("e2e_seconds", e2eSeconds);
            params.put("e2e_authorities", e2eAuthorities);
            params.put("e2e_poll_ms", e2ePollMillis);
            params.put("e2e_not_seen", latency.missing);
            params.put("e2e_method", "producer.send() of each fact to the first HTTP answer of GET /authorities/{id}/merkle whose factCount includes it "
                    + "(time taken when the answer arrived; one poller thread, --e2e-poll-ms between rounds)");
            run.set("spine_bench_cpu", cpuUse);
        } finally {
            if (reducer != null) {
                reducer.close();
            }
            ingest.close();
        }
    }

    /**
     * The edge phases, on the same broker with the running ingest and reducer and an edge bridge in
     * front of them: anti-entropy catch-up ({@link SyncBench}), then bridge load ({@link BridgeLoad}).
     */
    private void edgePhases(final KafkaCluster kafka, final String registryUrl, final SpecificAvroSerializer<FactEnvelope> serializer,
                            final Ed25519Keys.SigningKey operator, final Path dataDir, final ReducerService reducer, final IngestService ingest,
                            final int valueBytes, final double rawProducerRps, final ObjectNode run, final ObjectNode goals,
                            final ObjectNode cpuUse) throws Exception {
        final Properties bridgeProps = operators.bridgeProps();
        bridgeProps.put("bootstrap.servers", kafka.bootstrapServers());
        bridgeProps.put("schema.registry.url", registryUrl);
        bridgeProps.put(BridgeConfig.REDUCER_URL, reducer.httpUri().toString());
        bridgeProps.put(BridgeConfig.HTTP_PORT, "0");
        bridgeProps.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
        // Throughput, not admission control, is measured: no request is refused for its rate.
        bridgeProps.put(BridgeConfig.RATE_DEVICE_PER_SECOND, String.valueOf(BRIDGE_RATE_LIMIT));
        bridgeProps.put(BridgeConfig.RATE_DEVICE_BURST, String.valueOf(BRIDGE_RATE_LIMIT));
        bridgeProps.put(BridgeConfig.RATE_GLOBAL_PER_SECOND, String.valueOf(BRIDGE_RATE_LIMIT));
        bridgeProps.put(BridgeConfig.RATE_GLOBAL_BURST, String.valueOf(BRIDGE_RATE_LIMIT));
        bridgeProps.put("client.id", "bench-bridge-producer");
        // Device storage (SQLite, synchronous=FULL) on tmpfs when there is one: the devices' fsyncs are not what is measured.
        final Path shm = Path.of("/dev/shm");
        final Path deviceRoot = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "factfleet-bench-devices") : Files.createDirectory(dataDir.resolve("devices"));
        final ObjectNode edge = ResultsFile.JSON.createObjectNode();
        try (EdgeBridgeService bridge = new EdgeBridgeService(BridgeConfig.of(bridgeProps)).start();
             KafkaProducer<String, byte[]> operatorProducer = new KafkaProducer<>(edgeProducerProps(kafka), new StringSerializer(), new ByteArraySerializer())) {
            final SyncBench.Stack stack = new SyncBench.Stack(bridge.uri(), genesis -> {
                try {
                    operatorProducer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), genesis.getBody().getAuthorityId(),
                            serializer.serialize(FactFleetTopics.INBOUND.name(), genesis))).get();
                } catch (final Exception e) {
                    throw new IllegalStateException("cannot publish the genesis of " + genesis.getBody().getAuthorityId(), e);
                }
            }, path -> get(reducer, path), path -> getText(bridge.uri() + path));
            say("Edge bridge at %s (rate limits raised to %d/s per device and overall; other settings default)", bridge.uri(), BRIDGE_RATE_LIMIT);

            // Anti-entropy catch-up.
            say("Anti-entropy: %d trials, each side holding %d facts the other lacks; by cursor (device A), then by salted Bloom filter (device C) ...",
                    syncTrials, syncFacts);
            final long syncStart = System.nanoTime();
            final List<List<SyncBench.Trial>> trials = new SyncBench(stack, operator, deviceRoot.resolve("sync"), syncFacts, valueBytes, this::say).run(syncTrials);
            final ObjectNode syncDetail = ResultsFile.JSON.createObjectNode();
            SyncBench.summarize("sync_", trials.get(0), run, goals, syncDetail);
            SyncBench.summarize("sync_bloom_", trials.get(1), run, goals, syncDetail);
            say("  sync (cursor): %.3f round trips, %.1f overhead bytes on average (max %d); bloom: %.3f round trips, %.1f bytes (%.1f s)",
                    run.path("sync_round_trips_avg").asDouble(), run.path("sync_overhead_bytes_avg").asDouble(), run.path("sync_overhead_bytes_max").asLong(),
                    run.path("sync_bloom_round_trips_avg").asDouble(), run.path("sync_bloom_overhead_bytes_avg").asDouble(), (System.nanoTime() - syncStart) / 1e9);
            for (final List<SyncBench.Trial> list : trials) {
                for (final SyncBench.Trial t : list) {
                    if (!t.inSync() || !t.digestMatches()) {
                        throw new IllegalStateException("a device did not end on the server's state after its " + t.mode() + " sync: " + t);
                    }
                }
            }
            syncDetail.put("facts_each_side", syncFacts);
            syncDetail.put("server_facts_at_cursor_sync", 1 + 2L * syncFacts);
            syncDetail.put("server_facts_at_bloom_sync", 1 + 3L * syncFacts);
            syncDetail.put("bloom_fpr", SyncBench.SDK_BLOOM_FPR);
            syncDetail.put("bridge_sync_max_bytes", bridge.config().syncMaxBytes());
            syncDetail.put("method", "per trial a fresh authority (devices A, B, C; threshold 2). A syncs once (A and server agree on the genesis); "
                    + "while A is offline B sends " + syncFacts + " pre-signed facts through the bridge (BridgeClient, batches of 200) and A signs "
                    + syncFacts + " into its outbox; A pushes them (flushOnce(200) until the outbox is empty: push_requests), the bench waits for "
                    + "the reducer's /merkle factCount, then A.sync() by cursor: round_trips and overhead_bytes are the SDK's SyncReport "
                    + "(request bodies and Authorization headers, response bodies less the facts' base64 text). Bloom: device C, fresh data "
                    + "directory (no cursor), replica given A's " + syncFacts + " facts by LocalReplica.add, signs and pushes " + syncFacts
                    + " of its own, then C.sync() sends a salted Bloom filter of every id it holds. Each device must end inSync with the "
                    + "server's /state digest. bridge_*_requests: the bridge's own request counters around each sync.");
            syncDetail.put("goal_basis", "round trips: the larger of the SDK's SyncReport.roundTrips and the requests the bridge counted during "
                    + "the sync; overhead: the larger of the SDK's overheadBytes and the bodies the bridge counted less the facts' base64 text "
                    + "(the bridge's view has no headers, but sees requests the SDK does not count, such as the fact-status query it makes "
                    + "when its own facts do not match the server's root)");
            syncDetail.put("device_storage", deviceRoot.startsWith(shm) ? "tmpfs (/dev/shm)" : "the bench's temp dir");
            edge.set("sync", syncDetail);

            // Bridge load.
            final int loadDevices = bridgeAuthorities * bridgeDevicesPerAuthority;
            say("Bridge load: fleet simulator, %d authorities x %d devices; signing %d + %d facts per device ...", bridgeAuthorities,
                    bridgeDevicesPerAuthority, bridgeWarmupFactsPerDevice, bridgeFactsPerDevice);
            final BridgeLoad load = BridgeLoad.create(stack, operator, deviceRoot.resolve("load"), bridgeAuthorities, bridgeDevicesPerAuthority,
                    bridgeBatch, valueBytes);
            try {
                final List<List<FactEnvelope>> warm = load.sign(0, bridgeWarmupFactsPerDevice);
                final List<List<FactEnvelope>> timed = load.sign(bridgeWarmupFactsPerDevice, bridgeFactsPerDevice);
                if (!bridgeKeepIngest) {
                    ingest.close();
                    say("  ingest stopped: the bridge's facts stay on inbound (the reducer keeps answering the bridge)");
                }
                say("  warm-up: %d facts from %d devices, untimed ...", (long) bridgeWarmupFactsPerDevice * loadDevices, loadDevices);
                final BridgeLoad.Result warmResult = load.push(warm);
                say("  warm-up: %.0f facts/s", warmResult.factsPerSecond());
                say("  timed: %d facts from %d devices in batches of %d, one request in flight per device ...", (long) bridgeFactsPerDevice * loadDevices,
                        loadDevices, bridgeBatch);
                final CpuUse cpu = CpuUse.startWithEdge();
                final BridgeLoad.Result result = load.push(timed);
                cpuUse.set("bridge", cpuLine(cpu.stop()));
                if (result.notAccepted() > 0) {
                    throw new IllegalStateException("the bridge did not accept " + result.notAccepted() + " of " + result.facts() + " facts");
                }
                final double p50 = Percentiles.of(result.batchMillis(), 50);
                final double p99 = Percentiles.of(result.batchMillis(), 99);
                say("  bridge_fps = %.0f (%.1f s), bridge_ratio = %.3f of raw_producer_rps; batch p50 %.1f ms, p99 %.1f ms; %d retries",
                        result.factsPerSecond(), result.seconds(), result.factsPerSecond() / rawProducerRps, p50, p99, result.retries());
                run.put("bridge_fps", round(result.factsPerSecond(), 0));
                run.put("bridge_ratio", round(result.factsPerSecond() / rawProducerRps, 3));
                run.put("bridge_batch_p50_ms", round(p50, 1));
                run.put("bridge_batch_p99_ms", round(p99, 1));
                final ObjectNode b = edge.putObject("bridge");
                b.put("facts", result.facts());
                b.put("seconds", round(result.seconds(), 2));
                b.put("batches", result.batchMillis().length);
                b.put("batch_facts", bridgeBatch);
                b.put("batch_max_ms", round(Percentiles.of(result.batchMillis(), 100), 1));
                b.put("devices", loadDevices);
                b.put("authorities", bridgeAuthorities);
                b.put("requests_in_flight_per_device", 1);
                b.put("retries", result.retries());
                b.put("warmup_facts", warmResult.facts());
                b.put("warmup_fps", round(warmResult.factsPerSecond(), 0));
                b.put("ingest_running", bridgeKeepIngest);
                b.put("rate_limits", "bridge.rate.device.per.second, .burst, bridge.rate.global.per.second, .burst all " + BRIDGE_RATE_LIMIT
                        + " (defaults 20/40 per device, 2000/4000 overall would cap the load at 20 batches/s per device)");
                b.put("content_type", "application/vnd.factfleet.fact-batch+json (BridgeClient.submit: base64 canonical Avro, the device SDK's format)");
                b.put("method", "fleet simulator's authorities and device keys; pre-signed JournalEntry facts of record_bytes on inbound; each device "
                        + "one thread sending its batches one after another with its BridgeClient; time from the first request to the last "
                        + "acknowledgement (the bridge answers after Kafka acknowledged every fact, acks=all); batch latency is each request's "
                        + "round trip as the client sees it" + (bridgeKeepIngest ? "" : "; ingest stopped first, the reducer running (the bridge "
                        + "asks it for rosters and for duplicates of every batch)"));
            } finally {
                load.close();
            }
        } finally {
            deleteQuietly(deviceRoot);
        }
        run.set("edge_bench", edge);
    }

    private String getText(final String uri) {
        try {
            return http.send(TestOperators.get(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (final IOException e) {
            throw new UncheckedIOException("GET " + uri + " failed", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private Properties reducerProps(final KafkaCluster kafka, final String registryUrl, final Path dataDir, final String applicationId) {
        final Properties props = operators.serviceProps();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        props.put("application.id", applicationId);
        props.put("state.dir", dataDir.resolve(applicationId).toString());
        props.put("schema.registry.url", registryUrl);
        props.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        props.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        if (reducerThreads != null) {
            props.put("num.stream.threads", reducerThreads.toString());
        }
        return props;
    }

    /** Prints where the CPU went during a phase and returns the same. */
    private ObjectNode cpuLine(final ObjectNode use) {
        final StringBuilder by = new StringBuilder();
        use.path("cpu_s").fields().forEachRemaining(e -> by.append(' ').append(e.getKey()).append(' ').append(e.getValue().asText()));
        say("  cpu: %.2f of %d cores busy over %.1f s; cpu seconds:%s", use.path("cores_busy").asDouble(), use.path("of_cores").asInt(),
                use.path("wall_s").asDouble(), by);
        return use;
    }

    /** The producer the edge bridge uses: acks=all, idempotent. */
    private static Map<String, Object> edgeProducerProps(final KafkaCluster kafka) {
        final Map<String, Object> props = new HashMap<>(kafka.producerProps());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return props;
    }

    private static void sendAll(final KafkaProducer<String, byte[]> producer, final List<BenchFacts.SignedFact> order, final AtomicLong firstSend) {
        final AtomicReference<Exception> failure = new AtomicReference<>();
        firstSend.set(System.nanoTime());
        for (final BenchFacts.SignedFact f : order) {
            producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), f.authorityId(), f.bytes()), (m, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("sending facts to inbound failed", failure.get());
        }
    }

    private static int count(final List<BenchFacts.AuthorityFacts> authorities) {
        return authorities.stream().mapToInt(a -> a.facts().size()).sum();
    }

    /** A read_committed consumer of every journal partition, from the current end: counts what ingest commits. */
    private static final class JournalCounter implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private long seen;

        JournalCounter(final KafkaCluster kafka) {
            final Map<String, Object> props = new HashMap<>(kafka.clientProps());
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo p : consumer.partitionsFor(FactFleetTopics.JOURNAL.name())) {
                partitions.add(new TopicPartition(p.topic(), p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // resolve the end offsets now, before anything is sent
        }

        /** Polls until {@code n} records were seen; returns System.nanoTime() when the last one arrived. */
        long await(final long n, final Duration timeout) {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (seen < n) {
                seen += consumer.poll(Duration.ofMillis(20)).count();
                if (seen >= n) {
                    return System.nanoTime();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the journal received " + seen + " of " + n + " facts within " + timeout);
                }
            }
            return System.nanoTime();
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private record Latency(double p50, double p99, double max, int samples, int missing) {
    }

    /**
     * Sends the e2e authorities' genesis facts and waits until the reducer shows them, then sends their
     * entries at {@code --e2e-rate} for {@code --e2e-seconds}, round-robin over the authorities, while one
     * poller thread asks {@code GET /authorities/{id}/merkle} for each authority's factCount. Facts of one
     * authority share a partition and arrive in send order, so a factCount of 1 + k means its first k
     * entries are queryable.
     */
    private Latency latencyRun(final ReducerService reducer, final Map<String, Object> producerProps,
                               final List<BenchFacts.AuthorityFacts> e2e) throws InterruptedException {
        final int a = e2e.size();
        final int total = e2eRate * e2eSeconds;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
            say("Latency: %d authorities created, then %d facts at %d/s ...", a, total, e2eRate);
            final AtomicLong ignored = new AtomicLong();
            sendAll(producer, e2e.stream().map(x -> x.facts().get(0)).toList(), ignored);
            for (final BenchFacts.AuthorityFacts x : e2e) {
                awaitTrue(x.authorityId() + " queryable", Duration.ofSeconds(60), () -> factCount(reducer, x.authorityId()) == 1);
            }
            // Per authority: send times of its entries in order, and when each was first seen.
            final long[][] sent = new long[a][];
            final long[][] seen = new long[a][];
            final int[] sentCount = new int[a];
            for (int i = 0; i < a; i++) {
                sent[i] = new long[e2e.get(i).facts().size()];
                seen[i] = new long[e2e.get(i).facts().size()];
            }
            final Object lock = new Object();
            final int[] observed = new int[a];
            final boolean[] stop = {false};
            final Thread poller = new Thread(() -> {
                while (true) {
                    synchronized (lock) {
                        if (stop[0]) {
                            return;
                        }
                    }
                    for (int i = 0; i < a; i++) {
                        final long entries = factCount(reducer, e2e.get(i).authorityId()) - 1;
                        final long now = System.nanoTime();
                        synchronized (lock) {
                            while (observed[i] < entries && observed[i] < sentCount[i]) {
                                seen[i][observed[i]++] = now;
                            }
                        }
                    }
                    LockSupport.parkNanos(e2ePollMillis * 1_000_000L);
                }
            }, "bench-e2e-poller");
            poller.start();
            final long start = System.nanoTime() + 50_000_000L;
            final long interval = 1_000_000_000L / e2eRate;
            for (int n = 0; n < total; n++) {
                final long due = start + n * interval;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                final int i = n % a;
                final int k = n / a + 1; // entries follow the genesis fact
                final BenchFacts.SignedFact f = e2e.get(i).facts().get(k);
                synchronized (lock) {
                    sent[i][k - 1] = System.nanoTime();
                    sentCount[i] = k;
                }
                producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), f.authorityId(), f.bytes()));
            }
            producer.flush();
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                synchronized (lock) {
                    boolean all = true;
                    for (int i = 0; i < a; i++) {
                        all &= observed[i] >= sentCount[i];
                    }
                    if (all) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
            synchronized (lock) {
                stop[0] = true;
            }
            poller.join();
            final List<Double> latencies = new ArrayList<>();
            int missing = 0;
            for (int i = 0; i < a; i++) {
                for (int k = 0; k < sentCount[i]; k++) {
                    if (k < observed[i]) {
                        latencies.add((seen[i][k] - sent[i][k]) / 1e6);
                    } else {
                        missing++;
                    }
                }
            }
            final double[] ms = latencies.stream().mapToDouble(Double::doubleValue).toArray();
            return new Latency(Percentiles.of(ms, 50), Percentiles.of(ms, 99), Percentiles.of(ms, 100), ms.length, missing);
        }
    }

    private long factCount(final ReducerService reducer, final String authorityId) {
        final JsonNode merkle = get(reducer, "/authorities/" + authorityId + "/merkle");
        return merkle.path("factCount").asLong(0);
    }

    /** GET on the reducer; an empty object for anything but 200. */
    private JsonNode get(final ReducerService reducer, final String path) {
        try {
            final HttpResponse<String> response = http.send(TestOperators.get(URI.create(reducer.httpUri() + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? ResultsFile.JSON.readTree(response.body()) : ResultsFile.JSON.createObjectNode();
        } catch (final IOException e) {
            return ResultsFile.JSON.createObjectNode();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static double jmhVerify() throws RunnerException {
        final var options = new OptionsBuilder().include(VerifyBenchmark.class.getName()).forks(1).shouldFailOnError(true).build();
        final RunResult result = new Runner(options).runSingle();
        return result.getPrimaryResult().getScore();
    }

    private void report(final ObjectNode run) {
        final String line = "-".repeat(78);
        System.out.println();
        System.out.println(line);
        System.out.printf(Locale.ROOT, "FactFleet bench, %s%n", run.path("date").asText());
        System.out.printf(Locale.ROOT, "%s%n", run.path("machine").path("description").asText());
        System.out.println(line);
        row("record_bytes", run.path("record_bytes").asDouble(), "bytes");
        row("raw_producer_rps", run.path("raw_producer_rps").asDouble(), "records/s");
        row("raw_consumer_rps", run.path("raw_consumer_rps").asDouble(), "records/s");
        row("verify_single_core_fps", run.path("verify_single_core_fps").asDouble(), "verifications/s, " + run.path("verifier").asText());
        row("verify_limit_fps", run.path("verify_limit_fps").asDouble(), "x " + run.path("verify_threads").asInt() + " ingest stream threads");
        row("ingest_fps", run.path("ingest_fps").asDouble(), "facts/s into the journal");
        row("reducer_fps", run.path("reducer_fps").asDouble(), "facts/s folded");
        row("e2e_p50_ms", run.path("e2e_p50_ms").asDouble(), "ms inbound -> queryable");
        row("e2e_p99_ms", run.path("e2e_p99_ms").asDouble(), "ms inbound -> queryable (" + run.path("e2e_samples").asInt() + " samples)");
        System.out.println(line);
        ratio("ingest_ratio", run.path("ingest_ratio").asDouble(), INGEST_RATIO_GOAL,
                "ingest_fps / min(raw_producer_rps, verify_limit_fps); bound: " + run.path("ingest_bound").asText());
        ratio("reducer_ratio", run.path("reducer_ratio").asDouble(), REDUCER_RATIO_GOAL, "reducer_fps / raw_consumer_rps");
        System.out.println(line);
        if (run.has("sync_round_trips_avg")) {
            final JsonNode goals = run.path("goals");
            for (final String prefix : new String[] {"sync_", "sync_bloom_"}) {
                final String what = prefix.equals("sync_") ? "by cursor" : "by salted Bloom filter, no cursor";
                atMost(prefix + "round_trips_avg", run.path(prefix + "round_trips_avg").asDouble(), "%.3f", SyncBench.ROUND_TRIPS_GOAL,
                        goals.path(prefix + "round_trips_met").asBoolean(), String.format(Locale.ROOT, "%s; the bridge saw %.3f requests per sync",
                                what, run.path(prefix + "bridge_requests_avg").asDouble()));
                atMost(prefix + "overhead_bytes_avg", run.path(prefix + "overhead_bytes_avg").asDouble(), "%.0f", SyncBench.OVERHEAD_BYTES_GOAL,
                        goals.path(prefix + "overhead_bytes_met").asBoolean(), String.format(Locale.ROOT, "max %d; %d trials, %s facts each side",
                                run.path(prefix + "overhead_bytes_max").asLong(), run.path(prefix + "trials").asInt(),
                                run.path("edge_bench").path("sync").path("facts_each_side").asText()));
            }
            row("sync_push_requests_avg", run.path("sync_push_requests_avg").asDouble(), "requests to push the device's own facts (not sync overhead)");
            System.out.println(line);
        }
        if (run.has("bridge_fps")) {
            row("bridge_fps", run.path("bridge_fps").asDouble(), "facts/s acknowledged by the bridge (acks=all), "
                    + run.path("edge_bench").path("bridge").path("devices").asInt() + " devices");
            System.out.printf(Locale.ROOT, "%-24s %12.3f  (bridge_fps / raw_producer_rps)%n", "bridge_ratio", run.path("bridge_ratio").asDouble());
            row("bridge_batch_p50_ms", run.path("bridge_batch_p50_ms").asDouble(), "ms per batch of "
                    + run.path("edge_bench").path("bridge").path("batch_facts").asInt() + " under that load");
            row("bridge_batch_p99_ms", run.path("bridge_batch_p99_ms").asDouble(), "ms per batch");
            System.out.println(line);
        }
        System.out.printf(Locale.ROOT, "bench ran %.1f s%n", run.path("bench_duration_s").asDouble());
    }

    private static void row(final String name, final double value, final String unit) {
        System.out.printf(Locale.ROOT, "%-24s %12.1f  %s%n", name, value, unit);
    }

    private static void ratio(final String name, final double value, final double goal, final String what) {
        System.out.printf(Locale.ROOT, "%-24s %12.3f  goal >= %.1f: %s  (%s)%n", name, value, goal, value >= goal ? "MET" : "MISSED", what);
    }

    private static void atMost(final String name, final double value, final String format, final double goal, final boolean met, final String what) {
        System.out.printf(Locale.ROOT, "%-24s %12s  goal <= %s: %s  (%s)%n", name, String.format(Locale.ROOT, format, value),
                goal == Math.rint(goal) ? String.valueOf((long) goal) : String.valueOf(goal), met ? "MET" : "MISSED", what);
    }

    private static void awaitTrue(final String what, final Duration timeout, final BooleanSupplier condition) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    private void say(final String format, final Object... args) {
        System.out.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - benchStart) / 1e9, String.format(Locale.ROOT, format, args));
    }

    private static double round(final double value, final int decimals) {
        final double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    static void deleteQuietly(final Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException | UncheckedIOException e) {
            // a temp dir left behind is harmless
        }
    }
}
