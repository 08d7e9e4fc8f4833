package io.factfleet.bench;

import io.factfleet.testkit.TestOperators;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.Topic;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.testkit.KafkaCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code activation_ms}: the time from the M-th distinct READY fact being produced to the soft
 * fork's activation being visible in the reducer's state. One in-process broker, the registry,
 * ingest, a reducer and the OTA coordinator, all with their defaults; per trial a fresh authority
 * (N devices, threshold M) with a proposed upgrade and M-1 READY devices already folded. The clock
 * starts just before the M-th READY is sent and stops at the first
 * {@code GET /authorities/{id}/state} whose {@code activated} names the package. The path is
 * inbound → ingest → journal → coordinator → inbound → ingest → journal → reducer: two
 * exactly-once hops through ingest and one through the coordinator, each committing every 100 ms.
 *
 * <pre>BENCH_MAIN=io.factfleet.bench.ActivationBench bench/run.sh [--trials 10]</pre>
 */
@Command(name = "activation-bench", mixinStandardHelpOptions = true,
        description = "Measures activation_ms and merges it into bench/results/latest.json")
public final class ActivationBench implements Callable<Integer> {
    @Option(names = "--trials", defaultValue = "10", description = "authorities, one activation each (default ${DEFAULT-VALUE})")
    private int trials;
    @Option(names = "--devices", defaultValue = "5", description = "devices per authority (default ${DEFAULT-VALUE})")
    private int devices;
    @Option(names = "--threshold", defaultValue = "3", description = "M: READY devices that activate (default ${DEFAULT-VALUE})")
    private int threshold;
    @Option(names = "--poll-ms", defaultValue = "5", description = "pause between state polls (default ${DEFAULT-VALUE})")
    private int pollMs;
    @Option(names = "--output", defaultValue = "bench/results/latest.json", description = "results file, merged into (default ${DEFAULT-VALUE})")
    private Path output;
    @Option(names = "--no-write", description = "print the figures but do not write the results file")
    private boolean noWrite;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(final String[] args) {
        System.exit(BenchMain.execute(new ActivationBench(), args));
    }

    @Override
    public Integer call() throws Exception {
        final long start = System.nanoTime();
        final Path dataDir = Files.createTempDirectory("factfleet-activation-bench");
        final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
        final List<AuthorityGenesis> authorities = new ArrayList<>();
        for (int i = 0; i < trials + 1; i++) {
            authorities.add(AuthorityGenesis.generate(String.format("act-%04d", i), devices, threshold));
        }
        final Map<String, Ed25519Keys.SigningKey> adminKeys = new HashMap<>();
        authorities.forEach(a -> adminKeys.put(a.authorityId(), a.adminKey()));
        final Path keyRing = dataDir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, AdminKeyRing.of(adminKeys));
        final double[] samples = new double[trials];
        try (KafkaCluster kafka = KafkaCluster.singleBroker()) {
            kafka.start();
            for (final Topic<?, ?> topic : FactFleetTopics.all()) {
                kafka.createTopic(topic.name(), 6, 1, topic.configs());
            }
            // Operator authentication on, as deployed: the bench reads the reducer as TestOperators.ADMIN.
            final TestOperators operators = TestOperators.create(dataDir.resolve("operators"));
            final Properties registryProps = operators.serviceProps();
            registryProps.put("bootstrap.servers", kafka.bootstrapServers());
            registryProps.put("listeners", "http://127.0.0.1:0");
            try (SchemaRegistryService registry = new SchemaRegistryService(registryProps)) {
                registry.start();
                final String registryUrl = "http://127.0.0.1:" + registry.port();
                final Properties ingestProps = operators.serviceProps();
                ingestProps.put("bootstrap.servers", kafka.bootstrapServers());
                ingestProps.put("state.dir", dataDir.resolve("ingest").toString());
                ingestProps.put("schema.registry.url", registryUrl);
                ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(operator.publicKey()));
                final Properties reducerProps = operators.serviceProps();
                reducerProps.put("bootstrap.servers", kafka.bootstrapServers());
                reducerProps.put("state.dir", dataDir.resolve("reducer").toString());
                reducerProps.put("schema.registry.url", registryUrl);
                reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
                reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
                final Properties otaProps = operators.serviceProps();
                otaProps.put("bootstrap.servers", kafka.bootstrapServers());
                otaProps.put("state.dir", dataDir.resolve("ota").toString());
                otaProps.put("schema.registry.url", registryUrl);
                otaProps.put(OtaConfig.HTTP_PORT_CONFIG, "0");
                otaProps.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
                otaProps.put(OtaConfig.ADMIN_KEYS_CONFIG, keyRing.toString());
                final IngestService ingest = new IngestService(ingestProps);
                final Map<String, Object> producerProps = new HashMap<>(kafka.producerProps());
                producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
                producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                try (ReducerService reducer = new ReducerService(ReducerConfig.of(reducerProps));
                     OtaCoordinatorService ota = new OtaCoordinatorService(OtaConfig.of(otaProps));
                     KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
                    ingest.start();
                    reducer.start();
                    ota.start();
                    await("ingest, reducer and coordinator RUNNING", Duration.ofSeconds(120), () -> ingest.state() == KafkaStreams.State.RUNNING
                            && reducer.streamsState() == KafkaStreams.State.RUNNING && ota.streamsState() == KafkaStreams.State.RUNNING);
                    final SpecificAvroSerializer<FactEnvelope> serializer =
                            new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient(registryUrl)));
                    final Sender send = fact -> producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                            serializer.serialize(FactFleetTopics.INBOUND.name(), fact))).get();
                    // Trial 0 is a warm-up (JIT, registry lookups), not reported.
                    for (int t = 0; t <= trials; t++) {
                        final double ms = trial(authorities.get(t), operator, send, reducer);
                        if (t > 0) {
                            samples[t - 1] = ms;
                        }
                        say("trial %d%s: %.1f ms", t, t == 0 ? " (warm-up)" : "", ms);
                    }
                } finally {
                    ingest.close();
                }
            }
        } finally {
            deleteQuietly(dataDir);
        }
        final ObjectNode run = ResultsFile.JSON.createObjectNode();
        run.put("activation_ms", round(Percentiles.of(samples, 50)));
        final ObjectNode detail = run.putObject("activation_bench");
        detail.put("date", Instant.now().toString());
        detail.put("machine", Machine.line());
        detail.put("trials", trials);
        detail.put("devices", devices);
        detail.put("threshold", threshold);
        detail.put("p50_ms", round(Percentiles.of(samples, 50)));
        detail.put("p99_ms", round(Percentiles.of(samples, 99)));
        detail.put("max_ms", round(Percentiles.of(samples, 100)));
        final ArrayNode all = detail.putArray("samples_ms");
        for (final double s : samples) {
            all.add(round(s));
        }
        detail.put("method", "time from just before producing the M-th distinct READY fact to the first GET /authorities/{id}/state "
                + "whose activated list names the package, polled every " + pollMs + " ms; median over trials after one warm-up");
        detail.put("duration_s", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
        say("activation_ms = %.1f (p99 %.1f, max %.1f over %d trials)", Percentiles.of(samples, 50), Percentiles.of(samples, 99),
                Percentiles.of(samples, 100), trials);
        if (!noWrite) {
            ResultsFile.merge(output, run);
            say("Merged activation_ms and activation_bench into %s", output.toAbsolutePath());
        }
        return 0;
    }

    private interface Sender {
        void send(FactEnvelope fact) throws Exception;
    }

    private double trial(final AuthorityGenesis authority, final Ed25519Keys.SigningKey operator, final Sender send, final ReducerService reducer)
            throws Exception {
        final String id = authority.authorityId();
        send.send(authority.genesisFact(operator));
        final UpgradeMetadata m = UpgradeFacts.metadata(id, id + "-up", "fw", 2, new byte[] {1, 2, 3}, UpgradeKind.SOFT, null, Long.MAX_VALUE,
                UpgradeFacts.noWaves());
        send.send(UpgradeFacts.propose(authority, 0, m));
        await(id + " knows the upgrade", Duration.ofSeconds(60), () -> upgradeReadyCount(reducer, id) >= 0);
        for (int d = 0; d < threshold - 1; d++) {
            send.send(authority.device(d).readiness(0, m.getProposalId(), "fw", 2, ReadinessStatus.READY, null));
        }
        await(id + " has M-1 READY", Duration.ofSeconds(60), () -> upgradeReadyCount(reducer, id) == threshold - 1);
        final FactEnvelope mth = authority.device(threshold - 1).readiness(0, m.getProposalId(), "fw", 2, ReadinessStatus.READY, null);
        final long t0 = System.nanoTime();
        send.send(mth);
        while (!activated(reducer, id)) {
            if (System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) {
                throw new IllegalStateException(id + " was not activated within 60 s of the M-th READY");
            }
            Thread.sleep(pollMs);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private JsonNode state(final ReducerService reducer, final String authorityId) {
        try {
            final HttpResponse<String> r = http.send(TestOperators.get(URI.create(reducer.httpUri() + "/authorities/" + authorityId + "/state"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? ResultsFile.JSON.readTree(r.body()).path("state") : null;
        } catch (final Exception e) {
            return null;
        }
    }

    private int upgradeReadyCount(final ReducerService reducer, final String authorityId) {
        final JsonNode state = state(reducer, authorityId);
        return state == null || state.path("upgrades").isEmpty() ? -1 : state.path("upgrades").get(0).path("readyCount").asInt();
    }

    private boolean activated(final ReducerService reducer, final String authorityId) {
        final JsonNode state = state(reducer, authorityId);
        return state != null && state.path("activated").size() > 0;
    }

    private static void await(final String what, final Duration timeout, final Callable<Boolean> condition) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private static double round(final double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void say(final String format, final Object... args) {
        System.out.printf(format + "%n", args);
        System.out.flush();
    }

    private static void deleteQuietly(final Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final Exception e) {
            // temp files; the OS cleans up
        }
    }
}
