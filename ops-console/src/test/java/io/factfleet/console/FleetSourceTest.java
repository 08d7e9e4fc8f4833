package io.factfleet.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.console.internal.ConsolePages;
import io.factfleet.console.internal.JsonHttp;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing and rendering of the JSON shapes the reducer, the snapshot-coordinator and the ota-coordinator answer. */
class FleetSourceTest {
    private static final String STATE = """
            {"authorityId":"site-1","servedBy":"localhost:8080","digest":"ab","state":{"authorityId":"site-1","identityEpoch":4,
             "snapshotEpoch":2,"threshold":2,"roster":[{"deviceId":"d0"},{"deviceId":"d1"},{"deviceId":"d2"}],"factCount":17,
             "proposals":[{"proposalId":"p-old","targetEpoch":1,"status":"COMPLETED","countedApprovals":2},
                          {"proposalId":"p-new","targetEpoch":4,"status":"OPEN","countedApprovals":1}],
             "approvals":[{"proposalId":"p-new","deviceId":"d1","problem":"digest differs"},{"proposalId":"p-new","deviceId":"d0","problem":null}],
             "upgrades":[{"proposalId":"u1","packageId":"fw","version":7,"kind":"SOFT","activationFence":null,"readyCount":1,
                          "notReadyCount":1,"rejectedCount":0,"activated":false}]}}
            """;
    private static final String OTA = """
            [{"proposalId":"u1","packageId":"fw","version":7,"kind":"HARD","state":"ROLLING_OUT","activated":false,"activationFence":9,
              "waves":[{"index":0,"name":"canary","state":"DONE","devices":2,"ready":2,"notReady":0,"rejected":0,"silent":0,
                        "successThresholdPercent":100,"errorThresholdCount":1,"errorThresholdPercent":50},
                       {"index":1,"name":"rest","state":"RUNNING","devices":10,"ready":3,"notReady":1,"rejected":2,"silent":4,
                        "successThresholdPercent":80,"errorThresholdCount":2,"errorThresholdPercent":null}],
              "steps":[{"action":"APPROVE","waveIndex":0,"operator":"alice@example.com","reason":"change 42","applied":true,"problem":null,
                        "issuedAtMillis":10,"factId":"ab"},
                       {"action":"OPEN_WAVE","waveIndex":1,"operator":null,"reason":"SUCCESS_THRESHOLD","applied":true,"problem":null,
                        "issuedAtMillis":11,"factId":"cd"},
                       {"action":"RESUME","waveIndex":0,"operator":"bob","reason":null,"applied":false,"problem":"INVALID_TRANSITION: not paused",
                        "issuedAtMillis":12,"factId":"ef"}]}]
            """;
    private static final String SNAPSHOT_STATUS = """
            {"authorityId":"site-1","lastSnapshotEpoch":2,"openProposal":{"proposalId":"p-new","targetEpoch":4,"approvals":1,"threshold":2,
             "problems":["d1: digest differs"]},"fence":"FENCED","heldFacts":3,"factsPruned":40,"bytesReclaimed":20480}
            """;

    private static JsonNode json(final String s) throws IOException {
        return JsonHttp.JSON.readTree(s);
    }

    @Test
    void aFleetRowHasEpochsOpenProposalsWithApprovalsVersusThresholdAndAnInferredFence() throws IOException {
        final FleetReport.AuthorityRow row = FleetSource.authorityRow("site-1", json(STATE), null, null);
        assertThat(row.identityEpoch()).isEqualTo(4);
        assertThat(row.snapshotEpoch()).isEqualTo(2);
        assertThat(row.devices()).isEqualTo(3);
        assertThat(row.openProposals()).containsExactly(new FleetReport.Proposal("p-new", 4, 1, 2, List.of("d1: digest differs")));
        assertThat(row.fence()).isEqualTo("FENCED");
        assertThat(row.fenceSource()).isEqualTo("inferred: open proposal");
    }

    @Test
    void theSnapshotCoordinatorsStatusDecidesTheFence() throws IOException {
        final FleetReport.SnapshotStatus status = JsonHttp.JSON.treeToValue(json(SNAPSHOT_STATUS), FleetReport.SnapshotStatus.class);
        assertThat(status.openProposal().problems()).containsExactly("d1: digest differs");
        assertThat(status.bytesReclaimed()).isEqualTo(20480);
        final FleetReport.AuthorityRow row = FleetSource.authorityRow("site-1", json(STATE), status, null);
        assertThat(row.fenceSource()).isEqualTo("snapshot-coordinator");
        final String html = ConsolePages.fleet(new FleetReport(1, "http://r", "http://s", List.of(row), null));
        assertThat(html).contains("data-authority=\"site-1\"", "data-fence=\"FENCED\"", "data-approvals=\"1\" data-threshold=\"2\"",
                "held facts 3", "reclaimed 20 kB");
    }

    @Test
    void otaUpgradesParseWaveByWaveAndRenderThresholds() throws IOException {
        final List<RolloutReport.Upgrade> upgrades = FleetSource.parseUpgrades(json(OTA));
        assertThat(upgrades).hasSize(1);
        final RolloutReport.Upgrade u = upgrades.get(0);
        assertThat(u.activationFence()).isEqualTo(9);
        assertThat(u.waves()).extracting(RolloutReport.Wave::name).containsExactly("canary", "rest");
        assertThat(u.waves().get(0).successReached()).isTrue();
        assertThat(u.waves().get(1).errorReached()).as("2 rejected reach the count threshold of 2").isTrue();
        final String html = ConsolePages.rollouts(new RolloutReport(1, "ota-coordinator", List.of(new RolloutReport.AuthorityUpgrade("site-1", u)), null));
        assertThat(html).contains("data-wave=\"1\" data-ready=\"3\" data-not-ready=\"1\" data-rejected=\"2\" data-silent=\"4\"",
                "reached: halts", "fence epoch 9");
    }

    @Test
    void theRolloutPageShowsWhoTookEachStep() throws IOException {
        final RolloutReport.Upgrade u = FleetSource.parseUpgrades(json(OTA)).get(0);
        assertThat(u.steps()).extracting(RolloutReport.Step::operator).containsExactly("alice@example.com", null, "bob");
        final String html = ConsolePages.rollouts(new RolloutReport(1, "ota-coordinator", List.of(new RolloutReport.AuthorityUpgrade("site-1", u)), null));
        assertThat(html).contains("data-action=\"APPROVE\" data-operator=\"alice@example.com\"", "change 42",
                "data-action=\"OPEN_WAVE\" data-operator=\"\"", "coordinator", "data-operator=\"bob\"", "no: INVALID_TRANSITION: not paused");
    }

    @Test
    void anOtaAnswerThatIsNotAnArrayIsRefusedWithAReason() {
        assertThatThrownBy(() -> FleetSource.parseUpgrades(json("{\"code\":\"x\"}"))).hasMessageContaining("not a JSON array");
    }

    @Test
    void withoutTheOtaCoordinatorEachUpgradeIsOneOverallRowFromTheReducerState() throws IOException {
        final List<RolloutReport.Upgrade> upgrades = FleetSource.upgradesFromState(json(STATE));
        assertThat(upgrades).hasSize(1);
        final RolloutReport.Wave w = upgrades.get(0).waves().get(0);
        assertThat(w.devices()).isEqualTo(3);
        assertThat(w.ready()).isEqualTo(1);
        assertThat(w.notReady()).isEqualTo(1);
        assertThat(w.silent()).isEqualTo(1);
        assertThat(w.successThresholdPercent()).isCloseTo(66.67, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void lagRowsCarryTheirFiguresAndEscapeNames() {
        final LagReport.PartitionLag p = new LagReport.PartitionLag(2, 5, 20, 0, 15, 3_000, LagStatus.STALL, "stuck <here>", 0, 1, null,
                List.of(5L, 10L, 15L));
        final LagReport report = new LagReport(1, 1000, 10_000, List.of(new LagReport.GroupLag("g<1>", "STABLE", 1, LagStatus.STALL, 15, 3_000,
                List.of(new LagReport.TopicLag("t", 15, LagStatus.STALL, List.of(p))))), null);
        final String html = ConsolePages.lag(report);
        assertThat(html).contains("data-group=\"g&lt;1&gt;\" data-topic=\"t\" data-partition=\"2\"", "data-lag=\"15\" data-status=\"STALL\"",
                "stuck &lt;here&gt;", "never at this rate", "<polyline").doesNotContain("g<1>");
    }
}
