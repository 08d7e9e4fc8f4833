package io.factfleet.ota;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeChecks;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.EpochAdvance;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OTA coordinator on a real in-process cluster with the schema registry, fact-ingest and a
 * reducer: upgrades proposed over its HTTP API, readiness signed by simulated devices that verify
 * metadata and artifact first, and the coordinator's facts going through ingest like any other.
 */
class OtaCoordinatorIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final byte[] ARTIFACT_V2 = "fw v2".getBytes();
    private static final byte[] ARTIFACT_V3 = "fw v3, fixed".getBytes();

    @TempDir
    static Path dir;
    private static SchemaRegistryService registry;
    private static IngestService ingest;
    private static ReducerService reducer;
    private static OtaCoordinatorService ota;
    private static KafkaProducer<String, byte[]> producer;
    private static SpecificAvroSerializer<FactEnvelope> serializer;
    private static final AuthorityGenesis SOFT = AuthorityGenesis.generate("ota-soft", 5, 3);
    private static final AuthorityGenesis FLEET = AuthorityGenesis.generate("ota-fleet", 30, 3);
    private static final AuthorityGenesis HARD = AuthorityGenesis.generate("ota-hard", 4, 2);
    private static final AuthorityGenesis WATCHED = AuthorityGenesis.generate("ota-watched", 3, 2);
    private static final AuthorityGenesis SLOW = AuthorityGenesis.generate("ota-slow", 4, 2);

    @BeforeAll
    static void start() throws Exception {
        for (final var topic : FactFleetTopics.all()) {
            KAFKA.createTopic(topic.name(), 3, 1, topic.configs());
        }
        final Properties registryProps = new Properties();
        registryProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        registryProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        final String registryUrl = "http://127.0.0.1:" + registry.port();

        final Properties ingestProps = new Properties();
        ingestProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        ingestProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        ingestProps.put("state.dir", dir.resolve("ingest").toString());
        ingestProps.put("schema.registry.url", registryUrl);
        ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        ingest = new IngestService(ingestProps);
        ingest.start();

        final Properties reducerProps = new Properties();
        reducerProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        reducerProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        reducerProps.put("state.dir", dir.resolve("reducer").toString());
        reducerProps.put("schema.registry.url", registryUrl);
        reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        reducerProps.put("num.standby.replicas", "0");
        reducer = new ReducerService(ReducerConfig.of(reducerProps)).start();

        final Path keyRing = dir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, AdminKeyRing.of(Map.of(SOFT.authorityId(), SOFT.adminKey(), FLEET.authorityId(), FLEET.adminKey(),
                HARD.authorityId(), HARD.adminKey(), SLOW.authorityId(), SLOW.adminKey())));
        final Properties otaProps = new Properties();
        otaProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        otaProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        otaProps.put("state.dir", dir.resolve("ota").toString());
        otaProps.put("schema.registry.url", registryUrl);
        otaProps.put(OtaConfig.HTTP_PORT_CONFIG, "0");
        otaProps.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        otaProps.put(OtaConfig.ADMIN_KEYS_CONFIG, keyRing.toString());
        otaProps.put(OtaConfig.TICK_MS_CONFIG, "200");
        otaProps.put("commit.interval.ms", "100");
        ota = new OtaCoordinatorService(OtaConfig.of(otaProps)).start();

        Await.until("ingest, reducer and coordinator are RUNNING", Duration.ofSeconds(90), () -> ingest.state() == KafkaStreams.State.RUNNING
                && reducer.streamsState() == KafkaStreams.State.RUNNING && ota.streamsState() == KafkaStreams.State.RUNNING);
        final Map<String, Object> producerProps = new HashMap<>(KAFKA.producerProps());
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
        serializer = new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(Map.of("schema.registry.url", registryUrl)));
        for (final AuthorityGenesis a : List.of(SOFT, FLEET, HARD, WATCHED, SLOW)) {
            publish(a.genesisFact(OPERATOR));
        }
        for (final AuthorityGenesis a : List.of(SOFT, FLEET, HARD, WATCHED, SLOW)) {
            Await.until(a.authorityId() + " is known to the coordinator", () -> get(ota.port(), "/authorities/" + a.authorityId() + "/upgrades").status == 200);
        }
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        io.factfleet.testkit.Closeables.closeAll(ota, reducer, ingest, registry);
    }

    private static void publish(final FactEnvelope fact) {
        try {
            producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(),
                    serializer.serialize(FactFleetTopics.INBOUND.name(), fact))).get();
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private record Answer(int status, JsonNode body) {
    }

    private static Answer get(final int port, final String path) throws Exception {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isBlank() || !r.body().trim().matches("(?s)^[\\[{].*") ? null : JSON.readTree(r.body()));
    }

    private static String text(final int port, final String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Answer post(final String path, final String body) throws Exception {
        final HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ota.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), JSON.readTree(r.body()));
    }

    private static Answer proposeOverHttp(final AuthorityGenesis a, final UpgradeMetadata m) throws Exception {
        final UpgradeProposed proposed = new UpgradeProposed(m, ThresholdCertificates.of(m, a.deviceKeys().subList(0, a.threshold())));
        return post("/authorities/" + a.authorityId() + "/upgrades",
                JSON.writeValueAsString(Map.of("proposal", Base64.getEncoder().encodeToString(Canonical.bytes(proposed)))));
    }

    private static JsonNode upgrade(final AuthorityGenesis a, final String proposalId) throws Exception {
        final JsonNode all = get(ota.port(), "/authorities/" + a.authorityId() + "/upgrades").body;
        for (final JsonNode u : all) {
            if (u.get("proposalId").asText().equals(proposalId)) {
                return u;
            }
        }
        return null;
    }

    private static JsonNode reducerState(final AuthorityGenesis a) throws Exception {
        return get(reducer.httpPort(), "/authorities/" + a.authorityId() + "/state").body.get("state");
    }

    private static double emittedActivations() throws Exception {
        for (final String line : text(ota.port(), "/metrics").split("\n")) {
            if (line.startsWith("factfleet_ota_facts_emitted_total{kind=\"UpgradeActivated\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    /**
     * A simulated device: verifies the metadata against what it installed and the artifact it
     * downloaded, then reports READY or REJECTED with the check's reason.
     */
    private static FactEnvelope deviceReport(final AuthorityGenesis a, final String deviceId, final UpgradeMetadata m, final byte[] downloaded,
                                             final long installed) {
        UpgradeChecks.Verdict v = UpgradeChecks.expected(m, a.authorityId(), m.getPackageId());
        if (v.accepted()) {
            v = UpgradeChecks.version(m.getPackageId(), m.getVersion(), installed);
        }
        if (v.accepted()) {
            v = UpgradeChecks.artifact(new ByteArrayInputStream(downloaded), m);
        }
        return a.device(deviceId).readiness(0, m.getProposalId(), m.getPackageId(), m.getVersion(),
                v.accepted() ? ReadinessStatus.READY : ReadinessStatus.REJECTED, v.accepted() ? null : v.reason());
    }

    private static List<String> sortedDevices(final AuthorityGenesis a) {
        final List<String> ids = new ArrayList<>(a.deviceIds());
        ids.sort(null);
        return ids;
    }

    @Test
    void aSoftForkActivatesExactlyWhenTheMthDistinctDeviceIsReady() throws Exception {
        final UpgradeMetadata m = UpgradeFacts.metadata(SOFT.authorityId(), "soft-1", "fw", 2, ARTIFACT_V2, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(UpgradeFacts.wave("all", 5, 60, null, 0)), false));
        final double activationsBefore = emittedActivations(); // other tests' authorities may have had theirs
        assertThat(proposeOverHttp(SOFT, m).status).isEqualTo(202);
        Await.until("the proposal is known", () -> upgrade(SOFT, "soft-1") != null);
        final List<String> devices = sortedDevices(SOFT);
        publish(deviceReport(SOFT, devices.get(0), m, ARTIFACT_V2, 1));
        publish(deviceReport(SOFT, devices.get(1), m, ARTIFACT_V2, 1));
        publish(deviceReport(SOFT, devices.get(1), m, ARTIFACT_V2, 1)); // the same device again: still one
        // The coordinator decides the facts it folded at most one decision interval later: once it shows 2 ready and
        // that interval has passed (twice over), it has decided on them.
        Await.until("the coordinator has seen 2 ready devices", () -> upgrade(SOFT, "soft-1").get("waves").get(0).get("ready").asInt() == 2);
        Thread.sleep(2 * io.factfleet.ota.internal.UpgradeProcessor.DECIDE_EVERY.toMillis());
        assertThat(emittedActivations()).isEqualTo(activationsBefore);
        assertThat(upgrade(SOFT, "soft-1").get("activated").asBoolean()).isFalse();

        publish(deviceReport(SOFT, devices.get(2), m, ARTIFACT_V2, 1));
        Await.until("the reducer's state shows fw 2 activated", () -> {
            final JsonNode activated = reducerState(SOFT).get("activated");
            return activated.size() == 1 && activated.get(0).get("version").asLong() == 2;
        });
        assertThat(emittedActivations()).isEqualTo(activationsBefore + 1);
        Await.until("the coordinator shows the rollout completed", () -> "COMPLETED".equals(upgrade(SOFT, "soft-1").get("state").asText()));

        // A coordinator starting over from the journal (as after losing its state) folds the same facts to the same
        // state and adds nothing to the journal: what it decides mid-replay is the same facts, with the same ids (ingest
        // drops them as duplicates), and what it decides at the end is nothing (UpgradeProcessorTest signs both ways).
        final long factsBefore = reducerState(SOFT).get("factCount").asLong();
        final Properties replayProps = new Properties();
        replayProps.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        replayProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        replayProps.put("application.id", "factfleet-ota-replay");
        replayProps.put("state.dir", dir.resolve("ota-replay").toString());
        replayProps.put("schema.registry.url", "http://127.0.0.1:" + registry.port());
        replayProps.put(OtaConfig.HTTP_PORT_CONFIG, "0");
        replayProps.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        replayProps.put(OtaConfig.ADMIN_KEYS_CONFIG, dir.resolve("admin-keys.properties").toString());
        try (OtaCoordinatorService replay = new OtaCoordinatorService(OtaConfig.of(replayProps)).start()) {
            Await.until("the replaying coordinator folded the rollout to COMPLETED", Duration.ofSeconds(90), () -> {
                final JsonNode all = get(replay.port(), "/authorities/" + SOFT.authorityId() + "/upgrades").body;
                return all != null && all.size() == 1 && "COMPLETED".equals(all.get(0).path("state").asText());
            });
            // Two ticks: every decision the replay makes has been made.
            Thread.sleep(2 * OtaConfig.DEFAULT_TICK_MS);
        }
        Thread.sleep(1_000); // and a fact it emitted would have passed ingest into the reducer
        assertThat(reducerState(SOFT).get("factCount").asLong()).isEqualTo(factsBefore);
        assertThat(reducerState(SOFT).get("activationClaims")).hasSize(1);
    }

    @Test
    void aThreeWaveRolloutHaltsOnErrorsAndTheFixedVersionRollsOutToAll() throws Exception {
        final List<RolloutWave> waves = List.of(
                UpgradeFacts.wave("canary", 3, 100, 0, 0),
                RolloutWave.newBuilder().setName("early").setDevicePercent(40).setSuccessThresholdPercent(90)
                        .setErrorThresholdCount(1).setTimeoutMillis(0L).build(),
                RolloutWave.newBuilder().setName("rest").setSuccessThresholdPercent(100).setErrorThresholdPercent(10).setTimeoutMillis(0L).build());
        final UpgradeMetadata v2 = UpgradeFacts.metadata(FLEET.authorityId(), "fleet-v2", "fw", 2, ARTIFACT_V2, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(waves, true));
        assertThat(proposeOverHttp(FLEET, v2).status).isEqualTo(202);
        Await.until("the rollout awaits approval", () -> upgrade(FLEET, "fleet-v2") != null
                && "AWAITING_APPROVAL".equals(upgrade(FLEET, "fleet-v2").get("state").asText()));
        assertThat(post("/authorities/" + FLEET.authorityId() + "/upgrades/fleet-v2/resume", "").status).isEqualTo(409);
        assertThat(post("/authorities/" + FLEET.authorityId() + "/upgrades/fleet-v2/approve", "{\"reason\":\"change 42\"}").status).isEqualTo(202);
        Await.until("wave 0 opens", () -> "OPEN".equals(upgrade(FLEET, "fleet-v2").get("waves").get(0).get("state").asText()));

        final List<String> devices = sortedDevices(FLEET);
        final JsonNode planned = upgrade(FLEET, "fleet-v2").get("waves");
        assertThat(planned.get(0).get("devices").asInt()).isEqualTo(3);
        assertThat(planned.get(1).get("devices").asInt()).isEqualTo(12);
        assertThat(planned.get(2).get("devices").asInt()).isEqualTo(15);
        for (final String d : devices.subList(0, 3)) {
            publish(deviceReport(FLEET, d, v2, ARTIFACT_V2, 1));
        }
        Await.until("wave 1 opens after the canaries", () -> "OPEN".equals(upgrade(FLEET, "fleet-v2").get("waves").get(1).get("state").asText()));
        // Wave 1: two devices get a corrupted download and reject it; one more than the threshold of 1.
        final byte[] corrupted = "fw v2 (truncated".getBytes();
        publish(deviceReport(FLEET, devices.get(3), v2, ARTIFACT_V2, 1));
        publish(deviceReport(FLEET, devices.get(4), v2, corrupted, 1));
        publish(deviceReport(FLEET, devices.get(5), v2, corrupted, 1));
        Await.until("the rollout halts at wave 1", () -> "HALTED".equals(upgrade(FLEET, "fleet-v2").get("state").asText()));
        final JsonNode halted = upgrade(FLEET, "fleet-v2");
        assertThat(halted.get("waves").get(1).get("state").asText()).isEqualTo("HALTED");
        assertThat(halted.get("waves").get(1).get("rejected").asInt()).isEqualTo(2);
        assertThat(halted.get("waves").get(2).get("state").asText()).isEqualTo("PENDING");
        assertThat(halted.get("activated").asBoolean()).isTrue(); // 3 READY canaries met M for the soft fork itself

        // The fix: version 3, no approval step, every device downloads it intact.
        final UpgradeMetadata v3 = UpgradeMetadata.newBuilder(UpgradeFacts.metadata(FLEET.authorityId(), "fleet-v3", "fw", 3, ARTIFACT_V3,
                UpgradeKind.SOFT, null, Long.MAX_VALUE, new RolloutPlan(waves, false))).build();
        assertThat(proposeOverHttp(FLEET, v3).status).isEqualTo(202);
        Await.until("v3 rolls", () -> upgrade(FLEET, "fleet-v3") != null);
        for (final String d : devices) {
            publish(deviceReport(FLEET, d, v3, ARTIFACT_V3, d.equals(devices.get(0)) ? 2 : 1));
        }
        Await.until("v3 completes", Duration.ofSeconds(90), () -> "COMPLETED".equals(upgrade(FLEET, "fleet-v3").get("state").asText()));
        final JsonNode done = upgrade(FLEET, "fleet-v3");
        for (final JsonNode w : done.get("waves")) {
            assertThat(w.get("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(w.get("silent").asInt()).isZero();
        }
        Await.until("the reducer shows fw 3 activated", () -> reducerState(FLEET).get("activated").get(0).get("version").asLong() == 3);
        // A rollback to version 2 is refused at the door.
        final UpgradeMetadata rollback = UpgradeFacts.metadata(FLEET.authorityId(), "fleet-v2b", "fw", 2, ARTIFACT_V2, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(), false));
        final Answer refused = proposeOverHttp(FLEET, rollback);
        assertThat(refused.status).isEqualTo(422);
        assertThat(refused.body.get("code").asText()).isEqualTo("VERSION_ROLLBACK");
    }

    @Test
    void aHardForkActivatesAtTheFenceAndDevicesBelowTheTargetMustUpgrade() throws Exception {
        final UpgradeMetadata m = UpgradeFacts.metadata(HARD.authorityId(), "hard-1", "fw", 5, ARTIFACT_V2, UpgradeKind.HARD, 1L,
                Long.MAX_VALUE, UpgradeFacts.noWaves());
        final Answer withoutFence = proposeOverHttp(HARD, UpgradeMetadata.newBuilder(m).setActivationFence(null).build());
        assertThat(withoutFence.status).isEqualTo(422);
        assertThat(withoutFence.body.get("code").asText()).isEqualTo("HARD_FORK_WITHOUT_FENCE");
        assertThat(proposeOverHttp(HARD, m).status).isEqualTo(202);
        publish(HARD.device(0).deviceMetadata(0, List.of(new InstalledPackage("fw", 4L)), "auto"));
        Await.until("the proposal is known", () -> upgrade(HARD, "hard-1") != null);
        assertThat(upgrade(HARD, "hard-1").get("activated").asBoolean()).isFalse();
        final EpochAdvance advance = new EpochAdvance(HARD.authorityId(), 0L, "fence");
        publish(HARD.device(0).sign(0, new EpochAdvanced(advance, ThresholdCertificates.of(advance, HARD.deviceKeys().subList(0, 2)))));
        Await.until("the hard fork is activated at the fence", () -> upgrade(HARD, "hard-1").get("activated").asBoolean());
        Await.until("the reducer shows it", () -> reducerState(HARD).get("activated").size() == 1);
    }

    @Test
    void aWaveWhoseDevicesStaySilentTimesOutOnTheWallClockAndAPausedRolloutWaitsForResume() throws Exception {
        final UpgradeMetadata m = UpgradeFacts.metadata(SLOW.authorityId(), "slow-1", "fw", 2, ARTIFACT_V2, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(UpgradeFacts.wave("first", 2, 100, null, 1_500),
                        UpgradeFacts.wave("second", 2, 100, null, 0)), false));
        assertThat(proposeOverHttp(SLOW, m).status).isEqualTo(202);
        Await.until("wave 0 is open", () -> upgrade(SLOW, "slow-1") != null
                && "OPEN".equals(upgrade(SLOW, "slow-1").get("waves").get(0).get("state").asText()));
        final Answer paused = post("/authorities/" + SLOW.authorityId() + "/upgrades/slow-1/pause", "{\"reason\":\"maintenance window\"}");
        assertThat(paused.status).isEqualTo(202);
        assertThat(paused.body.get("state").asText()).isEqualTo("PAUSED");
        Await.until("the pause is folded", () -> "PAUSED".equals(upgrade(SLOW, "slow-1").get("state").asText()));
        assertThat(post("/authorities/" + SLOW.authorityId() + "/upgrades/slow-1/approve", "").body.get("code").asText())
                .isEqualTo("INVALID_TRANSITION");
        assertThat(post("/authorities/" + SLOW.authorityId() + "/upgrades/slow-1/resume", "").status).isEqualTo(202);
        publish(deviceReport(SLOW, sortedDevices(SLOW).get(0), m, ARTIFACT_V2, 1)); // one of two: below 100%, the other stays silent
        Await.until("the punctuator times wave 0 out", () -> "TIMED_OUT".equals(upgrade(SLOW, "slow-1").get("waves").get(0).get("state").asText()));
        final JsonNode timedOut = upgrade(SLOW, "slow-1");
        assertThat(timedOut.get("state").asText()).isEqualTo("HALTED");
        assertThat(timedOut.get("waves").get(0).get("ready").asInt()).isEqualTo(1);
        assertThat(timedOut.get("waves").get(0).get("silent").asInt()).isEqualTo(1);
        assertThat(timedOut.get("waves").get(1).get("state").asText()).isEqualTo("PENDING");
    }

    @Test
    void anAuthorityWithoutAnAdminKeyIsWatchedButNotActedOn() throws Exception {
        final UpgradeMetadata m = UpgradeFacts.metadata(WATCHED.authorityId(), "w-1", "fw", 2, ARTIFACT_V2, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, UpgradeFacts.noWaves());
        assertThat(proposeOverHttp(WATCHED, m).body.get("code").asText()).isEqualTo("NO_ADMIN_KEY");
        publish(UpgradeFacts.propose(WATCHED, 0, m));
        Await.until("the coordinator reports the authority as watched without a key",
                () -> get(ota.port(), "/health").body.get("watchedWithoutAdminKey").toString().contains(WATCHED.authorityId()));
        assertThat(post("/authorities/" + WATCHED.authorityId() + "/upgrades/w-1/pause", "").body.get("code").asText()).isEqualTo("NO_ADMIN_KEY");
        assertThat(text(ota.port(), "/metrics")).contains("factfleet_ota_upgrade_devices{authority=\"ota-watched\",proposal=\"w-1\",status=\"silent\"} 3.0")
                .contains("kafka_");
    }
}
