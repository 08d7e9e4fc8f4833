package io.factfleet.bench;

import io.factfleet.testkit.TestOperators;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.contracts.Topic;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.device.Backoff;
import io.factfleet.device.DeviceAgent;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.KafkaCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 4's figures on one in-process broker with the real services (registry, ingest, reducer,
 * snapshot coordinator, edge bridge) and 5 device SDK agents online (M = 3):
 *
 * <ul>
 *   <li>{@code snapshot_complete_ms}: from the operator's HTTP request to the completion visible in the
 *       reducer's state; devices learn about the proposal by the bridge's pending-work long poll, sync,
 *       recompute the digest, approve and flush, as in production. Median of several trials, all reported.</li>
 *   <li>{@code gc_reclaimed_fraction}: after a snapshot of a prefix of N facts and real log compaction, the
 *       share of the prefix's bytes (key + value of each record) that is gone from the journal partition:
 *       1 - (bytes of prefix records and their tombstones still in the partition) / (bytes of the prefix records).
 *       Measured once tombstones expired (delete.retention.ms set to 0 for the measurement) and also before.</li>
 * </ul>
 * Merged into bench/results/latest.json. Run: {@code BENCH_MAIN=io.factfleet.bench.SnapshotBench bench/run.sh}.
 */
@Command(name = "snapshot-bench", mixinStandardHelpOptions = true, description = "Snapshot completion latency and GC reclaimed fraction.")
public final class SnapshotBench implements Callable<Integer> {
    static final double COMPLETE_GOAL_MS = 500;
    static final double RECLAIMED_GOAL = 0.9;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Option(names = "--trials", defaultValue = "7", description = "snapshots timed (default ${DEFAULT-VALUE})")
    int trials;
    @Option(names = "--prefix-facts", defaultValue = "20000", description = "facts in the prefix the GC measurement prunes (default ${DEFAULT-VALUE})")
    int prefixFacts;
    @Option(names = "--value-bytes", defaultValue = "200", description = "value bytes of each journal entry (default ${DEFAULT-VALUE})")
    int valueBytes;
    @Option(names = "--pending-poll-ms", defaultValue = "50",
            description = "the bridge's bridge.pending.poll.interval.ms (default ${DEFAULT-VALUE}; the bridge's own default is 500)")
    long pendingPollMillis;
    @Option(names = "--commit-ms", description = "commit.interval.ms of ingest and the reducer (default: theirs, 100; the coordinator keeps its 20)")
    Long commitMillis;
    @Option(names = "--output", defaultValue = "bench/results/latest.json", description = "results file, merged into")
    Path output;
    @Option(names = "--no-write", description = "print but do not write the results file")
    boolean noWrite;

    public static void main(final String[] args) {
        System.exit(BenchMain.execute(new SnapshotBench(), args));
    }

    @Override
    public Integer call() throws Exception {
        final Path dir = Files.createTempDirectory("factfleet-snapshot-bench");
        final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
        final AuthorityGenesis latency = AuthorityGenesis.generate("bench-snap-latency", 5, 3);
        final AuthorityGenesis gc = AuthorityGenesis.generate("bench-snap-gc", 5, 3);
        final ObjectNode run = ResultsFile.JSON.createObjectNode();
        final long start = System.nanoTime();
        try (KafkaCluster kafka = KafkaCluster.builder().brokerConfig("log.cleaner.backoff.ms", "200").build()) {
            kafka.start();
            // One partition: each measured authority's journal is then a partition of its own to weigh.
            for (final Topic<?, ?> topic : FactFleetTopics.all()) {
                kafka.createTopic(topic.name(), 1, 1, topic.configs());
            }
            // Operator authentication on, as deployed: the bench calls the services as TestOperators.ADMIN.
            final TestOperators operators = TestOperators.create(dir.resolve("operators"));
            final Properties registryProps = operators.serviceProps();
            registryProps.put("bootstrap.servers", kafka.bootstrapServers());
            registryProps.put("listeners", "http://127.0.0.1:0");
            try (SchemaRegistryService registry = new SchemaRegistryService(registryProps)) {
                registry.start();
                final String registryUrl = "http://127.0.0.1:" + registry.port();
                final Properties common = operators.serviceProps();
                common.put("bootstrap.servers", kafka.bootstrapServers());
                common.put("schema.registry.url", registryUrl);
                final Properties ingestProps = copy(common);
                ingestProps.put("state.dir", dir.resolve("ingest").toString());
                ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
                final Properties reducerProps = copy(common);
                reducerProps.put("state.dir", dir.resolve("reducer").toString());
                reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
                reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
                reducerProps.put(ReducerConfig.OPERATOR_KEYS_CONFIG, Hashing.hex(operator.publicKey()));
                if (commitMillis != null) {
                    ingestProps.put("commit.interval.ms", commitMillis.toString());
                    reducerProps.put("commit.interval.ms", commitMillis.toString());
                }
                final Properties coordinatorProps = copy(common);
                coordinatorProps.put("state.dir", dir.resolve("coordinator").toString());
                coordinatorProps.put(SnapshotConfig.HTTP_PORT, "0");
                coordinatorProps.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
                coordinatorProps.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
                final AdminKeyRing keys = AdminKeyRing.of(Map.of(latency.authorityId(), latency.adminKey(), gc.authorityId(), gc.adminKey()));
                try (IngestService ingest = new IngestService(ingestProps);
                     ReducerService reducer = new ReducerService(ReducerConfig.of(reducerProps));
                     SnapshotCoordinatorService coordinator = new SnapshotCoordinatorService(SnapshotConfig.of(coordinatorProps, keys))) {
                    ingest.start();
                    reducer.start();
                    coordinator.start();
                    await("the services RUNNING", Duration.ofSeconds(120), () -> ingest.state() == KafkaStreams.State.RUNNING
                            && reducer.streamsState() == KafkaStreams.State.RUNNING && coordinator.streamsState() == KafkaStreams.State.RUNNING);
                    final Properties bridgeProps = copy(common);
                    bridgeProps.putAll(operators.bridgeProps());
                    bridgeProps.put(BridgeConfig.REDUCER_URL, reducer.httpUri().toString());
                    bridgeProps.put(BridgeConfig.HTTP_PORT, "0");
                    bridgeProps.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
                    // Devices blocked in the pending long poll hear of a proposal when the bridge next asks the reducer.
                    bridgeProps.put(BridgeConfig.PENDING_POLL_INTERVAL_MS, Long.toString(pendingPollMillis));
                    final SpecificAvroSerializer<FactEnvelope> serializer =
                            new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
                    kafkaRef = kafka;
                    serializerRegistry = new HttpSchemaRegistryClient(operators.registryClient(registryUrl));
                    try (EdgeBridgeService bridge = new EdgeBridgeService(BridgeConfig.of(bridgeProps)).start();
                         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producerProps(), new StringSerializer(), new ByteArraySerializer())) {
                        final Publisher publish = fact -> producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(),
                                fact.getBody().getAuthorityId(), serializer.serialize(FactFleetTopics.INBOUND.name(), fact)));
                        measureLatency(run, latency, operator, publish, producer, coordinator, reducer, bridge, dir);
                        measureGc(run, gc, operator, publish, producer, coordinator, reducer, kafka);
                    }
                }
            }
        }
        run.put("snapshot_bench_duration_s", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
        System.out.println(ResultsFile.JSON.writeValueAsString(run));
        if (!noWrite) {
            ResultsFile.merge(output, run);
            System.out.println("Merged into " + output.toAbsolutePath());
        }
        return 0;
    }

    private interface Publisher {
        void publish(FactEnvelope fact);
    }

    private void measureLatency(final ObjectNode run, final AuthorityGenesis a, final Ed25519Keys.SigningKey operator, final Publisher publish,
                                final KafkaProducer<String, byte[]> producer, final SnapshotCoordinatorService coordinator,
                                final ReducerService reducer, final EdgeBridgeService bridge, final Path dir) throws Exception {
        publish.publish(a.genesisFact(operator));
        for (int i = 0; i < 200; i++) {
            publish.publish(a.device(i % 5).journalEntry(0, ("k" + i).getBytes(), new byte[valueBytes]));
        }
        producer.flush();
        await("the coordinator folded the latency authority", Duration.ofSeconds(60),
                () -> status(coordinator, a.authorityId()).path("factCount").asLong() == 201);
        final List<DeviceAgent> agents = new ArrayList<>();
        final AtomicBoolean online = new AtomicBoolean(true);
        final List<Thread> loops = new ArrayList<>();
        for (int d = 0; d < 5; d++) {
            final DeviceAgent agent = DeviceAgent.open(a.authorityId(), a.deviceIds().get(d), a.deviceKeys().get(d), dir.resolve("device-" + d),
                    bridge.uri(), new Backoff(Duration.ofMillis(20), Duration.ofSeconds(1)), System::currentTimeMillis);
            agent.sync();
            agents.add(agent);
            // An online device: waits for pending work with the bridge's long poll, then syncs, checks the digest, approves;
            // when the poll ends with nothing pending it catches up anyway (as DeviceAgent.startBackground does).
            final Thread loop = new Thread(() -> {
                while (online.get()) {
                    try {
                        final List<DeviceAgent.SnapshotDecision> decisions = agent.answerSnapshotRequests(Duration.ofSeconds(1));
                        if (decisions.isEmpty()) {
                            agent.sync();
                        } else if (System.getenv("BENCH_DEBUG") != null) {
                            System.err.println(agent.deviceId() + " answered at " + (System.currentTimeMillis() - debugT0) + " ms: " + decisions);
                        }
                    } catch (final RuntimeException e) {
                        if (System.getenv("BENCH_DEBUG") != null) {
                            System.err.println(agent.deviceId() + " failed: " + e);
                        }
                        sleep(50);
                    }
                }
            }, "device-" + d);
            loop.setDaemon(true);
            loop.start();
            loops.add(loop);
        }
        final ArrayNode samples = ResultsFile.JSON.createArrayNode();
        final ArrayNode coordinatorSamples = ResultsFile.JSON.createArrayNode();
        final List<Double> millis = new ArrayList<>();
        try {
            for (int t = 0; t < trials + 1; t++) {
                final String before = status(coordinator, a.authorityId()).path("lastSnapshot").path("proposalId").asText("");
                final long t0 = System.nanoTime();
                final long wallT0 = System.currentTimeMillis();
                debugT0 = wallT0;
                final HttpResponse<String> r = HTTP.send(TestOperators.post(coordinator.httpUri().resolve("/authorities/" + a.authorityId() + "/snapshots"), "")
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 202) {
                    throw new IllegalStateException("proposal refused: " + r.body());
                }
                final String[] completed = {null};
                final int trial = t;
                awaitOrExplain(coordinator, reducer, a.authorityId(), "snapshot " + trial + " visible in the reducer's state", () -> {
                    final String id = reducerState(reducer, a.authorityId()).path("state").path("lastSnapshot").path("proposalId").asText("");
                    if (!id.isEmpty() && !id.equals(before)) {
                        completed[0] = id;
                        return true;
                    }
                    return false;
                });
                final double ms = (System.nanoTime() - t0) / 1e6;
                if (System.getenv("BENCH_DEBUG") != null) {
                    timeline(kafkaRef, serializerRegistry, a.authorityId(), completed[0], wallT0);
                }
                await("the coordinator closed snapshot " + t, Duration.ofSeconds(60),
                        () -> status(coordinator, a.authorityId()).path("openProposal").isNull());
                if (t == 0) {
                    continue; // warm-up: first use of every code path
                }
                millis.add(ms);
                samples.add(Math.round(ms * 10) / 10.0);
                coordinatorSamples.add(status(coordinator, a.authorityId()).path("lastSnapshot").path("proposalToCompletionMillis").asLong());
                // New facts between snapshots, as a live journal would have. Signed by the admin (an operator tool): a fact
                // signed with a device's key outside its agent would never reach that agent, whose sync skips its own device's facts.
                final io.factfleet.core.DeviceSigner admin = new io.factfleet.core.DeviceSigner(a.authorityId(), "bench-operator", a.adminKey());
                for (int i = 0; i < 20; i++) {
                    publish.publish(admin.journalEntry(0, ("t" + t + "-" + i).getBytes(), new byte[valueBytes]));
                }
                producer.flush();
                sleep(500);
            }
        } finally {
            online.set(false);
            for (final Thread loop : loops) {
                loop.join(5_000);
            }
            agents.forEach(DeviceAgent::close);
        }
        final double median = Percentiles.of(millis.stream().mapToDouble(Double::doubleValue).toArray(), 50);
        run.put("snapshot_complete_ms", Math.round(median * 10) / 10.0);
        final ObjectNode detail = run.putObject("snapshot_complete");
        detail.set("samples_ms", samples);
        detail.set("coordinator_request_to_gc_ms", coordinatorSamples);
        detail.put("p50_ms", Math.round(median * 10) / 10.0);
        detail.put("max_ms", Math.round(millis.stream().mapToDouble(Double::doubleValue).max().orElse(0) * 10) / 10.0);
        detail.put("goal_ms", COMPLETE_GOAL_MS);
        detail.put("goal_met", median <= COMPLETE_GOAL_MS);
        detail.put("bridge_pending_poll_interval_ms", pendingPollMillis);
        detail.put("commit_interval_ms", commitMillis == null ? "services' defaults: ingest 100, reducer 100, coordinator 20"
                : "ingest and reducer " + commitMillis + ", coordinator 20");
        detail.put("devices", 5);
        detail.put("threshold", 3);
        detail.put("method", "operator POST /authorities/{id}/snapshots (a request record the coordinator reads), until the reducer's "
                + "GET /authorities/{id}/state shows the new lastSnapshot (polled every 2 ms); median of " + trials + " trials after one "
                + "warm-up; 5 DeviceAgents online through the edge bridge, each blocked in the pending-work long poll (1 s), then sync, "
                + "approveOpenSnapshots (recomputes the prefix digest from its replica) and flush, and syncing when a poll ends with "
                + "nothing pending (so each compacts to the previous snapshot between trials, as a device syncing in the background does); the path crosses the requests topic, "
                + "the coordinator, ingest (fence), the journal, the reducer, the bridge, devices, ingest, the coordinator (completion), "
                + "ingest and the reducer: each Kafka Streams hop commits its exactly-once transaction every 100 ms (commit.interval.ms)");
    }

    private void measureGc(final ObjectNode run, final AuthorityGenesis a, final Ed25519Keys.SigningKey operator, final Publisher publish,
                           final KafkaProducer<String, byte[]> producer, final SnapshotCoordinatorService coordinator,
                           final ReducerService reducer, final KafkaCluster kafka) throws Exception {
        final List<FactEnvelope> prefix = new ArrayList<>();
        prefix.add(a.genesisFact(operator));
        for (int i = 1; i < prefixFacts; i++) {
            prefix.add(a.device(i % 5).journalEntry(0, ("gc-" + i).getBytes(), new byte[valueBytes]));
        }
        prefix.forEach(publish::publish);
        producer.flush();
        await("the coordinator folded the prefix", Duration.ofMinutes(3),
                () -> status(coordinator, a.authorityId()).path("factCount").asLong() == prefixFacts);
        final Set<String> prefixKeys = new HashSet<>();
        for (final FactEnvelope f : prefix) {
            prefixKeys.add(JournalKey.of(a.authorityId(), io.factfleet.core.Facts.idHex(f)));
        }
        final long prefixBytes = bytesOf(kafka, prefixKeys, true);
        final long diskBefore = partitionBytes(kafka);
        HTTP.send(TestOperators.post(coordinator.httpUri().resolve("/authorities/" + a.authorityId() + "/snapshots"), "").build(),
                HttpResponse.BodyHandlers.ofString());
        await("the GC proposal is open", Duration.ofSeconds(60),
                () -> "OPEN".equals(status(coordinator, a.authorityId()).path("openProposal").path("phase").asText()));
        final JsonNode open = status(coordinator, a.authorityId()).path("openProposal");
        for (int d = 0; d < 3; d++) {
            publish.publish(a.device(d).approveSnapshot(0, open.path("proposalId").asText(), 0, Hashing.unhex(open.path("digest").asText())));
        }
        producer.flush();
        await("the GC snapshot completes", Duration.ofSeconds(60),
                () -> open.path("proposalId").asText().equals(status(coordinator, a.authorityId()).path("lastSnapshot").path("proposalId").asText()));
        final long diskPeak = partitionBytes(kafka);
        // Compaction needs closed segments and a dirty ratio; the journal's own segment.ms (1 h) would take an hour.
        final ConfigResource journal = new ConfigResource(ConfigResource.Type.TOPIC, FactFleetTopics.JOURNAL.name());
        // delete.retention.ms is 1 s here (24 h by default): the first cleaning stamps each tombstone with its delete horizon.
        alter(kafka, journal, Map.of("segment.ms", "500", "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "1000"));
        final long[] roll = {0};
        await("compaction removed the pruned facts", Duration.ofMinutes(3), () -> {
            sleep(600);
            publish.publish(a.device(4).journalEntry(0, ("roll-" + roll[0]++).getBytes(), new byte[1]));
            producer.flush();
            return bytesOf(kafka, prefixKeys, true) == 0;
        });
        final long remainingWithTombstones = bytesOf(kafka, prefixKeys, false);
        final long diskWithTombstones = partitionBytes(kafka);
        await("tombstones expired", Duration.ofMinutes(3), () -> {
            sleep(600);
            publish.publish(a.device(4).journalEntry(0, ("roll-" + roll[0]++).getBytes(), new byte[1]));
            producer.flush();
            return bytesOf(kafka, prefixKeys, false) == 0;
        });
        final long diskAfter = partitionBytes(kafka);
        final double fraction = 1.0 - (double) bytesOf(kafka, prefixKeys, false) / prefixBytes;
        run.put("gc_reclaimed_fraction", Math.round(fraction * 1000) / 1000.0);
        final ObjectNode detail = run.putObject("gc");
        detail.put("prefix_facts", prefixFacts);
        detail.put("prefix_record_bytes", prefixBytes);
        detail.put("reclaimed_fraction_before_tombstone_expiry", Math.round((1.0 - (double) remainingWithTombstones / prefixBytes) * 1000) / 1000.0);
        detail.put("partition_bytes_before_snapshot", diskBefore);
        detail.put("partition_bytes_after_gc_before_compaction", diskPeak);
        detail.put("partition_bytes_after_compaction_tombstones_kept", diskWithTombstones);
        detail.put("partition_bytes_after_tombstone_expiry", diskAfter);
        detail.put("goal", RECLAIMED_GOAL);
        detail.put("goal_met", fraction >= RECLAIMED_GOAL);
        detail.put("method", "one authority alone in a 1-partition journal: " + prefixFacts + " facts (JournalEntry, " + valueBytes + "-byte values), a "
                + "snapshot approved by 3 of 5, the coordinator tombstones the prefix; the journal's segment.ms set to 500 ms and "
                + "min.cleanable.dirty.ratio to 0.01 so the broker's log cleaner (log.cleaner.backoff.ms 200) runs within seconds; "
                + "fraction = 1 - (key+value bytes of prefix records or their tombstones still in the partition) / (key+value bytes of the "
                + "prefix records before), read with a consumer from the start of the partition; the journal's delete.retention.ms set to 1 s "
                + "(24 h by default) so tombstones expire within the run: first when compaction removed the prefix records "
                + "(reclaimed_fraction_before_tombstone_expiry, tombstones possibly still there), then once the tombstones are gone; partition_bytes_* are the broker's log dir sizes (describeLogDirs)");
        run.put("snapshot_bench_date", OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toString());
    }

    private static void awaitOrExplain(final SnapshotCoordinatorService coordinator, final ReducerService reducer, final String authority,
                                       final String what, final BooleanSupplier condition) {
        try {
            await(what, Duration.ofSeconds(60), condition, 2);
        } catch (final IllegalStateException e) {
            System.err.println("coordinator status: " + status(coordinator, authority));
            final JsonNode state = reducerState(reducer, authority).path("state");
            System.err.println("reducer proposals: " + state.path("proposals") + "\napprovals: " + state.path("approvals") + "\nignored: " + state.path("ignored"));
            throw e;
        }
    }

    static KafkaCluster kafkaRef;
    static volatile long debugT0;
    static io.factfleet.registry.client.SchemaRegistryClient serializerRegistry;

    /**
     * BENCH_DEBUG=1: when each fact of the proposal was produced to inbound (journal record timestamps keep the inbound
     * record's time), relative to the operator's request: where the time goes between the hops.
     */
    private static void timeline(final KafkaCluster kafka, final io.factfleet.registry.client.SchemaRegistryClient registry, final String authority,
                                 final String proposalId, final long t0) {
        final Map<String, Object> props = new HashMap<>(kafka.clientProps());
        props.put("isolation.level", "read_committed");
        final io.factfleet.registry.client.SpecificAvroDeserializer<FactEnvelope> d = new io.factfleet.registry.client.SpecificAvroDeserializer<>(registry, FactEnvelope.class);
        final StringBuilder line = new StringBuilder(proposalId + ":");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            final TopicPartition tp = new TopicPartition(FactFleetTopics.JOURNAL.name(), 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null || !r.key().startsWith(authority + "/")) {
                        continue;
                    }
                    final FactEnvelope f = d.deserialize(FactFleetTopics.JOURNAL.name(), r.value());
                    if (io.factfleet.core.Snapshots.belongsTo(f, proposalId)) {
                        line.append(' ').append(f.getBody().getPayload().getClass().getSimpleName().replace("Snapshot", "")).append('@')
                                .append(r.timestamp() - t0).append("ms");
                    }
                }
            }
        }
        System.err.println(line);
    }

    private static void alter(final KafkaCluster kafka, final ConfigResource resource, final Map<String, String> configs) throws Exception {
        final List<AlterConfigOp> ops = new ArrayList<>();
        configs.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        kafka.admin().incrementalAlterConfigs(Map.of(resource, ops)).all().get();
    }

    /** Key + value bytes of the partition's records whose keys are in {@code keys}: live records only, or tombstones too. */
    private static long bytesOf(final KafkaCluster kafka, final Set<String> keys, final boolean liveOnly) {
        final Map<String, Object> props = new HashMap<>(kafka.clientProps());
        props.put("isolation.level", "read_committed");
        long bytes = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            final TopicPartition tp = new TopicPartition(FactFleetTopics.JOURNAL.name(), 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (final ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() != null && keys.contains(r.key()) && (r.value() != null || !liveOnly)) {
                        bytes += r.serializedKeySize() + Math.max(0, r.serializedValueSize());
                    }
                }
            }
        }
        return bytes;
    }

    private static long partitionBytes(final KafkaCluster kafka) throws Exception {
        final TopicPartition tp = new TopicPartition(FactFleetTopics.JOURNAL.name(), 0);
        long bytes = 0;
        for (final Map<String, LogDirDescription> byDir : kafka.admin().describeLogDirs(kafka.brokerIds()).allDescriptions().get().values()) {
            for (final LogDirDescription d : byDir.values()) {
                if (d.replicaInfos().containsKey(tp)) {
                    bytes += d.replicaInfos().get(tp).size();
                }
            }
        }
        return bytes;
    }

    private static JsonNode status(final SnapshotCoordinatorService coordinator, final String authority) {
        return getJson(coordinator.httpUri().resolve("/authorities/" + authority + "/snapshots/status"));
    }

    private static JsonNode reducerState(final ReducerService reducer, final String authority) {
        return getJson(URI.create("http://" + reducer.applicationServer() + "/authorities/" + authority + "/state"));
    }

    private static JsonNode getJson(final URI uri) {
        try {
            final HttpResponse<String> r = HTTP.send(TestOperators.get(uri).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? ResultsFile.JSON.readTree(r.body()) : ResultsFile.JSON.createObjectNode();
        } catch (final Exception e) {
            return ResultsFile.JSON.createObjectNode();
        }
    }

    private static Properties copy(final Properties p) {
        final Properties c = new Properties();
        c.putAll(p);
        return c;
    }

    private static void await(final String what, final Duration timeout, final BooleanSupplier condition) {
        await(what, timeout, condition, 50);
    }

    private static void await(final String what, final Duration timeout, final BooleanSupplier condition, final long pollMillis) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            sleep(pollMillis);
        }
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
