package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RosterBatches;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.device.Backoff;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.DeviceAgent;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerService;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 10's site of 10,000 devices end to end on a real in-process cluster: one manifest enrols them through the
 * snapshot coordinator (co-signed by M anchor devices), an upgrade rolls out in two waves to a sample of the new
 * devices, each reporting READY through the real edge bridge with its own key, a snapshot is approved by M devices'
 * SDK agents and completes, and then a fresh reducer and a fresh SDK replica both reach the serving reducer's digest.
 */
class FleetScaleIT {
    private static final Logger LOG = LoggerFactory.getLogger(FleetScaleIT.class);
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final int DEVICES = 10_000;
    private static final String SITE_ID = "site-10k";
    /** Five anchor devices and the site's admin; the anchors co-sign the enrolment and approve snapshots (M = 3). */
    private static final AuthorityGenesis SITE = anchors();
    private static final Map<String, Ed25519Keys.SigningKey> ENROLLED = new LinkedHashMap<>();

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static EdgeBridgeService bridge;
    private static SnapshotCoordinatorService snapshots;
    private static OtaCoordinatorService ota;

    private static AuthorityGenesis anchors() {
        final Map<String, Ed25519Keys.SigningKey> keys = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            keys.put("anchor-" + i, Ed25519Keys.generate());
        }
        return AuthorityGenesis.of(SITE_ID, keys, Ed25519Keys.generate(), 3);
    }

    @BeforeAll
    static void startTheStack() throws Exception {
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 1, 2, 1);
        bridge = spine.startBridge(Map.of());
        final Path keyRing = dir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, AdminKeyRing.of(Map.of(SITE_ID, SITE.adminKey())));
        snapshots = spine.startSnapshots(dir.resolve("snapshots"), OPERATOR, AdminKeyRing.following(keyRing),
                Map.of(SnapshotConfig.TIMEOUT_MS, "120000"));
        ota = spine.startOta(dir.resolve("ota"), keyRing, Map.of());
        spine.publish(SITE.genesisFact(OPERATOR));
        for (int i = 0; i < DEVICES; i++) {
            ENROLLED.put(String.format("dev-%05d", i), Ed25519Keys.generate());
        }
    }

    @AfterAll
    static void stopTheStack() {
        io.factfleet.testkit.Closeables.closeAll(ota, snapshots, bridge, spine);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static HttpResponse<String> send(final HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode getJson(final URI uri) throws Exception {
        final HttpResponse<String> r = send(TestOperators.get(uri));
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static HttpResponse<String> post(final URI uri, final String body) throws Exception {
        return send(TestOperators.post(uri, body).header("Content-Type", "application/json"));
    }

    private static JsonNode roster(final ReducerService reducer, final String query) throws Exception {
        return getJson(URI.create("http://" + reducer.applicationServer() + "/authorities/" + SITE_ID + "/roster" + query));
    }

    private static JsonNode state(final ReducerService reducer) throws Exception {
        return getJson(URI.create("http://" + reducer.applicationServer() + "/authorities/" + SITE_ID + "/state"));
    }

    private static JsonNode upgrade(final String proposalId) throws Exception {
        final JsonNode all = getJson(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + SITE_ID + "/upgrades"));
        if (all == null) {
            return null;
        }
        for (final JsonNode u : all) {
            if (proposalId.equals(u.path("proposalId").asText())) {
                return u;
            }
        }
        return null;
    }

    private static JsonNode snapshotStatus() throws Exception {
        return getJson(snapshots.httpUri().resolve("/authorities/" + SITE_ID + "/snapshots/status"));
    }

    private static BridgeClient bridgeClient(final String deviceId) {
        return new BridgeClient(bridge.uri(), SITE_ID, deviceId, ENROLLED.get(deviceId), System::currentTimeMillis);
    }

    private static DeviceAgent agent(final int anchor, final String name) {
        return DeviceAgent.open(SITE_ID, SITE.deviceIds().get(anchor), SITE.deviceKeys().get(anchor), dir.resolve(name), bridge.uri(),
                new Backoff(Duration.ofMillis(50), Duration.ofSeconds(1)), System::currentTimeMillis);
    }

    private static String waveState(final String proposalId, final int wave) throws Exception {
        final JsonNode u = upgrade(proposalId);
        return u == null ? "" : u.path("waves").path(wave).path("state").asText();
    }

    // ---- the site ----------------------------------------------------------------------------

    @Test
    void tenThousandDevicesEnrolRollOutInWavesThroughTheBridgeSnapshotAndAFreshReducerAndReplicaAgree() throws Exception {
        final ReducerService reducer = spine.reducer(0);
        Await.until("the coordinator and the reducer know the site", Duration.ofSeconds(60),
                () -> snapshotStatus() != null && roster(reducer, "") != null);

        // 1. One manifest, co-signed offline by M anchors, enrols 10,000 devices in one fact and one epoch step.
        final long enrolStart = System.nanoTime();
        final StringBuilder manifest = new StringBuilder("device_id,public_key\n");
        ENROLLED.forEach((id, key) -> manifest.append(id).append(',').append(Hashing.hex(key.publicKey())).append('\n'));
        final ObjectNode batch = JSON.createObjectNode().put("manifest", manifest.toString());
        batch.putArray("remove");
        batch.putNull("newThreshold");
        final HttpResponse<String> prepareAnswer = post(snapshots.httpUri().resolve("/authorities/" + SITE_ID + "/roster/batches/prepare"),
                batch.toString());
        assertThat(prepareAnswer.statusCode()).as(prepareAnswer.body()).isEqualTo(200);
        final JsonNode prepared = JSON.readTree(prepareAnswer.body());
        assertThat(prepared.path("enrol").asInt()).isEqualTo(DEVICES);
        final byte[] statement = HexFormat.of().parseHex(prepared.path("statementHex").asText());
        final ObjectNode submission = batch.deepCopy();
        submission.put("fromEpoch", prepared.path("fromEpoch").asLong());
        submission.put("issuedAtMillis", prepared.path("issuedAtMillis").asLong());
        for (int a = 0; a < SITE.threshold(); a++) {
            submission.withArray("signatures").add(JSON.createObjectNode().put("deviceId", SITE.deviceIds().get(a)).put("signature",
                    Hashing.hex(Canonical.array(RosterBatches.cosign(statement, SITE.deviceKeys().get(a)).getSignature()))));
        }
        final HttpResponse<String> submitted = post(snapshots.httpUri().resolve("/authorities/" + SITE_ID + "/roster/batches"), submission.toString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        Await.until("the reducer shows 10,005 members at epoch 1", Duration.ofSeconds(90), () -> {
            final JsonNode one = roster(reducer, "?device=dev-09999");
            return one != null && one.path("identityEpoch").asLong() == 1 && one.path("memberCount").asInt() == DEVICES + 5;
        });
        // The last device of the manifest authenticates at the bridge with its own key.
        Await.until("dev-09999 is admitted by the bridge", Duration.ofSeconds(30), () -> {
            try {
                bridgeClient("dev-09999").pending(Duration.ZERO);
                return true;
            } catch (final io.factfleet.device.BridgeException notYet) {
                return false;
            }
        });
        LOG.info("10,000 devices enrolled and admitted by the bridge {} s after the manifest was submitted", (System.nanoTime() - enrolStart) / 1e9);

        // 2. An upgrade in two waves to a sample of the new devices (a canary of 5, then 20), approved by an operator.
        final List<RolloutWave> waves = List.of(
                RolloutWave.newBuilder(UpgradeFacts.wave("canary", 5, 100, 0, 0)).setDeviceFilter("dev-.*").build(),
                RolloutWave.newBuilder(UpgradeFacts.wave("sample", 20, 100, 0, 0)).setDeviceFilter("dev-.*").build());
        final UpgradeMetadata metadata = UpgradeFacts.metadata(SITE_ID, "fw-2", "fw", 2, "fw 2 image".getBytes(), UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(waves, true));
        final UpgradeProposed proposed = new UpgradeProposed(metadata, ThresholdCertificates.of(metadata, SITE.deviceKeys().subList(0, 3)));
        final HttpResponse<String> proposal = post(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + SITE_ID + "/upgrades"),
                JSON.writeValueAsString(Map.of("proposal", Base64.getEncoder().encodeToString(Canonical.bytes(proposed)))));
        assertThat(proposal.statusCode()).as(proposal.body()).isEqualTo(202);
        Await.until("the rollout awaits approval", Duration.ofSeconds(60), () -> upgrade("fw-2") != null
                && "AWAITING_APPROVAL".equals(upgrade("fw-2").path("state").asText()));
        final HttpResponse<String> approved = post(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + SITE_ID
                + "/upgrades/fw-2/approve"), "{\"reason\":\"site-10k sample\"}");
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(202);
        Await.until("wave 0 opens", Duration.ofSeconds(60), () -> "OPEN".equals(waveState("fw-2", 0)));
        final JsonNode planned = upgrade("fw-2").path("waves");
        assertThat(planned.path(0).path("devices").asInt()).isEqualTo(5);
        assertThat(planned.path(1).path("devices").asInt()).isEqualTo(20);
        final List<String> sample = new ArrayList<>(ENROLLED.keySet()).subList(0, 25);
        for (int i = 0; i < sample.size(); i++) {
            if (i == 5) {
                Await.until("wave 1 opens after the canaries", Duration.ofSeconds(60), () -> "OPEN".equals(waveState("fw-2", 1)));
            }
            final String device = sample.get(i);
            final BridgeClient.SubmitResult ready = bridgeClient(device)
                    .submit(List.of(new DeviceSigner(SITE_ID, device, ENROLLED.get(device)).readiness(1, "fw-2", "fw", 2, ReadinessStatus.READY, null)))
                    .get(0);
            assertThat(ready.outcome().name()).as(device + ": " + ready.message()).isEqualTo("ACCEPTED");
        }
        Await.until("the rollout completes", Duration.ofSeconds(90), () -> "COMPLETED".equals(upgrade("fw-2").path("state").asText()));
        final JsonNode done = upgrade("fw-2");
        for (final JsonNode w : done.path("waves")) {
            assertThat(w.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(w.path("ready").asInt()).isEqualTo(w.path("devices").asInt());
        }

        // 3. A snapshot approved by M anchors' SDK agents, each from its own replica of the 10,005-device authority.
        final List<DeviceAgent> agents = new ArrayList<>();
        for (int a = 0; a < SITE.threshold(); a++) {
            agents.add(agent(a, "anchor-" + a));
        }
        try {
            final HttpResponse<String> snapshot = post(snapshots.httpUri().resolve("/authorities/" + SITE_ID + "/snapshots"),
                    "{\"requestedBy\":\"it\",\"reason\":\"issue 10\"}");
            assertThat(snapshot.statusCode()).as(snapshot.body()).isEqualTo(202);
            Await.until("the proposal is open", Duration.ofSeconds(60), () -> "OPEN".equals(snapshotStatus().path("openProposal").path("phase").asText()));
            final String proposalId = snapshotStatus().path("openProposal").path("proposalId").asText();
            for (final DeviceAgent agent : agents) {
                assertThat(agent.sync().inSync()).isTrue();
                assertThat(agent.approveOpenSnapshots()).singleElement().satisfies(d -> assertThat(d.approved()).as(d.reason()).isTrue());
                assertThat(agent.flush()).as("the approval leaves the outbox through the bridge").isEqualTo(1);
            }
            Await.until("the snapshot completes", Duration.ofSeconds(90), () -> proposalId.equals(snapshotStatus().path("lastSnapshot").path("proposalId").asText()));
            Await.until("the reducer folded the completion", Duration.ofSeconds(60),
                    () -> proposalId.equals(state(reducer).path("state").path("lastSnapshot").path("proposalId").asText()));

            // 4. A fresh reducer (snapshot + tail) and a fresh SDK replica reach the serving reducer's digest.
            final ReducerService fresh = spine.startFreshReducer("fresh-reducer", dir.resolve("fresh-reducer"), OPERATOR);
            Await.until("the fresh reducer has the serving reducer's digest", Duration.ofSeconds(120), () -> {
                final JsonNode s = state(fresh);
                final JsonNode served = state(reducer);
                LOG.info("fresh reducer digest {} ({} facts), serving reducer {} ({} facts)", s == null ? null : s.path("digest").asText(),
                        s == null ? null : s.path("state").path("factCount").asText(), served.path("digest").asText(),
                        served.path("state").path("factCount").asText());
                return s != null && served.path("digest").asText().equals(s.path("digest").asText());
            });
            final String serverDigest = state(reducer).path("digest").asText();
            assertThat(roster(fresh, "?device=dev-00042").path("memberCount").asInt()).isEqualTo(DEVICES + 5);
            try (DeviceAgent replica = agent(4, "anchor-4-fresh")) {
                replica.trustOperatorKeys(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()));
                final DeviceAgent.SyncReport report = replica.sync();
                assertThat(report.inSync()).as(report.toString()).isTrue();
                assertThat(Hashing.hex(replica.replica().digest())).isEqualTo(serverDigest);
            }
            final DeviceAgent.SyncReport kept = agents.get(0).sync();
            assertThat(kept.inSync()).as(kept.toString()).isTrue();
            assertThat(Hashing.hex(agents.get(0).replica().digest())).isEqualTo(serverDigest);
        } finally {
            agents.forEach(DeviceAgent::close);
        }
    }
}
