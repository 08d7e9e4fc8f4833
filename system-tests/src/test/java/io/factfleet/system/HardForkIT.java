package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.bridge.EdgeBridgeService;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.BridgeException;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerService;
import io.factfleet.schema.EpochAdvance;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hard fork end to end: proposed over the OTA coordinator's HTTP API, activated by the
 * coordinator when the identity epoch reaches the fence, and enforced by the edge bridge, which
 * refuses devices below the target version with 426 UPGRADE_REQUIRED and admits them once upgraded.
 */
class HardForkIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AuthorityGenesis AUTHORITY = AuthorityGenesis.generate("hard-fork", 4, 2);

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static ReducerService reducer;
    private static EdgeBridgeService bridge;
    private static OtaCoordinatorService ota;

    @BeforeAll
    static void startTheStack() throws Exception {
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 1, 3, 1);
        reducer = spine.reducer(0);
        bridge = spine.startBridge(Map.of(BridgeConfig.ROSTER_CACHE_MS, "1"));

        final Path keyRing = dir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, AdminKeyRing.of(Map.of(AUTHORITY.authorityId(), AUTHORITY.adminKey())));
        ota = spine.startOta(dir.resolve("ota"), keyRing, Map.of());
        spine.publish(AUTHORITY.genesisFact(OPERATOR));
    }

    @AfterAll
    static void stopTheStack() {
        io.factfleet.testkit.Closeables.closeAll(ota, bridge, spine);
    }

    private static BridgeClient client(final int device) {
        return new BridgeClient(bridge.uri(), AUTHORITY.authorityId(), AUTHORITY.deviceIds().get(device), AUTHORITY.deviceKeys().get(device),
                System::currentTimeMillis);
    }

    private static JsonNode reducerGet(final String path) throws Exception {
        final HttpResponse<String> r = HTTP.send(TestOperators.get(URI.create("http://" + reducer.applicationServer() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static long installedInRoster(final int device) throws Exception {
        final JsonNode roster = reducerGet("/authorities/" + AUTHORITY.authorityId() + "/roster");
        if (roster == null) {
            return -1;
        }
        for (final JsonNode m : roster.get("members")) {
            if (m.get("deviceId").asText().equals(AUTHORITY.deviceIds().get(device))) {
                return m.path("installed").path("fw").asLong(-1);
            }
        }
        return -1;
    }

    private static void install(final int device, final long epoch, final long version) {
        final FactEnvelope metadata = AUTHORITY.device(device).deviceMetadata(epoch, List.of(new InstalledPackage("fw", version)), "auto");
        assertThat(client(device).reportInstalled(Map.of("fw", version)).submit(List.of(metadata)).get(0).outcome().name()).isEqualTo("ACCEPTED");
    }

    @Test
    void devicesBelowTheTargetAreRefusedAfterTheFenceAndAdmittedOnceUpgraded() throws Exception {
        Await.until("the authority exists", () -> reducerGet("/authorities/" + AUTHORITY.authorityId() + "/roster") != null);
        for (int d = 0; d < 4; d++) {
            install(d, 0, 4);
        }
        final UpgradeMetadata m = UpgradeFacts.metadata(AUTHORITY.authorityId(), "fw-5", "fw", 5, "fw 5".getBytes(), UpgradeKind.HARD, 1L,
                Long.MAX_VALUE, UpgradeFacts.noWaves());
        final UpgradeProposed proposed = new UpgradeProposed(m, ThresholdCertificates.of(m, AUTHORITY.deviceKeys().subList(0, 2)));
        Await.until("the coordinator knows the authority", () -> HTTP.send(TestOperators.get(URI.create("http://127.0.0.1:" + ota.port()
                + "/authorities/" + AUTHORITY.authorityId() + "/upgrades")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        final HttpResponse<String> accepted = HTTP.send(TestOperators.post(URI.create("http://127.0.0.1:" + ota.port() + "/authorities/"
                        + AUTHORITY.authorityId() + "/upgrades"), JSON.writeValueAsString(Map.of("proposal",
                        Base64.getEncoder().encodeToString(Canonical.bytes(proposed))))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        Await.until("every device's fw 4 is in the roster answer", () -> installedInRoster(3) == 4 && installedInRoster(2) == 4);

        // Before the fence every device is admitted.
        assertThat(client(2).pending(Duration.ZERO)).isPresent();

        final EpochAdvance advance = new EpochAdvance(AUTHORITY.authorityId(), 0L, "hard fork fence");
        spine.publish(AUTHORITY.device(0).sign(0, new EpochAdvanced(advance, ThresholdCertificates.of(advance, AUTHORITY.deviceKeys().subList(0, 2)))));
        Await.until("the coordinator activated the hard fork at the fence and the roster requires fw 5", () -> {
            final JsonNode roster = reducerGet("/authorities/" + AUTHORITY.authorityId() + "/roster");
            return roster.get("requiredPackages").size() == 1;
        });

        final BridgeException refused = catchThrowableOfType(BridgeException.class, () -> client(2).pending(Duration.ZERO));
        assertThat(refused.status()).isEqualTo(426);
        assertThat(refused.code()).isEqualTo("UPGRADE_REQUIRED");
        assertThat(refused.getMessage()).contains("install fw version 5");

        // Device 2 upgrades: admitted at once with the header, then by its DeviceMetadata fact alone.
        install(2, 1, 5);
        Await.until("device 2's fw 5 is in the roster answer", () -> installedInRoster(2) == 5);
        assertThat(client(2).pending(Duration.ZERO)).isPresent();
        // Device 3 did not upgrade: still refused.
        assertThat(catchThrowableOfType(BridgeException.class, () -> client(3).pending(Duration.ZERO)).code()).isEqualTo("UPGRADE_REQUIRED");
    }
}
