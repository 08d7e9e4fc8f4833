package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Separation of duties on a real stack with operator authentication on: the OTA coordinator signs
 * the proposal as an OperatorUpgradeProposal naming who proposed it, and when the authority's policy
 * separates the duties, that operator's approval is refused (403, nothing written) while another
 * release manager's is applied and named on the step.
 */
class SeparationOfDutiesIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AuthorityGenesis AUTHORITY = AuthorityGenesis.generate("separated", 4, 2);
    private static final Ed25519Keys.SigningKey SECOND = Ed25519Keys.generate();

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static OtaCoordinatorService ota;

    @BeforeAll
    static void startTheStack() throws Exception {
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 1, 2, 1);
        spine.operators.with(OperatorEntry.ed25519("release-b", List.of(Hashing.hex(SECOND.publicKey())),
                Map.of(AUTHORITY.authorityId(), List.of("release-manager"))));
        final Path keyRing = dir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, AdminKeyRing.of(Map.of(AUTHORITY.authorityId(), AUTHORITY.adminKey())));
        ota = spine.startOta(dir.resolve("ota"), keyRing, Map.of(OtaConfig.SEPARATION_OF_DUTIES_CONFIG, AUTHORITY.authorityId()));
        spine.publish(AUTHORITY.genesisFact(OPERATOR));
    }

    @AfterAll
    static void stopTheStack() {
        io.factfleet.testkit.Closeables.closeAll(ota, spine);
    }

    private static URI ota(final String path) {
        return URI.create("http://127.0.0.1:" + ota.port() + "/authorities/" + AUTHORITY.authorityId() + path);
    }

    private static JsonNode upgrade() throws Exception {
        final HttpResponse<String> r = HTTP.send(TestOperators.get(ota("/upgrades")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return null;
        }
        for (final JsonNode u : JSON.readTree(r.body())) {
            if (u.path("proposalId").asText().equals("fw-sod")) {
                return u;
            }
        }
        return null;
    }

    private static HttpResponse<String> approve(final OperatorCredential who) throws Exception {
        final URI uri = ota("/upgrades/fw-sod/approve");
        final byte[] body = "{\"reason\":\"change 7\"}".getBytes(StandardCharsets.UTF_8);
        return HTTP.send(who.sign(HttpRequest.newBuilder(uri), "POST", uri, body).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theProposerCannotApproveButAnotherReleaseManagerCan() throws Exception {
        Await.until("the coordinator knows the authority", () -> HTTP.send(TestOperators.get(ota("/upgrades")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        final UpgradeMetadata m = UpgradeFacts.metadata(AUTHORITY.authorityId(), "fw-sod", "fw", 2, "fw 2".getBytes(), UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(UpgradeFacts.wave("all", 4, 100, 0, 0)), true));
        final UpgradeProposed proposed = new UpgradeProposed(m, ThresholdCertificates.of(m, AUTHORITY.deviceKeys().subList(0, 2)));
        final HttpResponse<String> accepted = HTTP.send(TestOperators.post(ota("/upgrades"), JSON.writeValueAsString(Map.of("proposal",
                Base64.getEncoder().encodeToString(Canonical.bytes(proposed))))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        Await.until("the rollout awaits its approval", () -> upgrade() != null && upgrade().path("state").asText().equals("AWAITING_APPROVAL"));
        final String proposer = upgrade().path("proposedBy").asText();
        assertThat(proposer).isEqualTo("it-admin");

        final HttpResponse<String> refused = approve(TestOperators.credential());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(JSON.readTree(refused.body()).path("code").asText()).isEqualTo("SEPARATION_OF_DUTIES");
        assertThat(upgrade().path("steps")).isEmpty();

        final HttpResponse<String> approved = approve(OperatorCredential.ed25519(SECOND));
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(202);
        Await.until("the rollout runs, approved by the second operator", () -> {
            final JsonNode u = upgrade();
            return u != null && u.path("state").asText().equals("ROLLING") && u.path("steps").size() == 1;
        });
        final JsonNode step = upgrade().path("steps").get(0);
        assertThat(step.path("action").asText()).isEqualTo("APPROVE");
        assertThat(step.path("operator").asText()).isEqualTo("release-b");
        assertThat(step.path("reason").asText()).isEqualTo("change 7");
        assertThat(step.path("applied").asBoolean()).isTrue();
    }
}
