package io.factfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.console.internal.JsonHttp;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the fleet and rollout pages' data from the reducer's interactive queries ({@code GET /authorities},
 * {@code GET /authorities/{id}/state}) and, when configured, the snapshot-coordinator
 * ({@code GET /authorities/{id}/snapshots/status}) and the ota-coordinator ({@code GET /authorities/{id}/upgrades}).
 * Answers are kept for {@value #CACHE_MILLIS} ms so that several open pages polling do not multiply the queries.
 */
public final class FleetSource {
    static final long CACHE_MILLIS = 900;
    private final Optional<URI> reducer;
    private final Optional<URI> snapshot;
    private final Optional<URI> ota;
    private final JsonHttp http;
    private final Clock clock;
    private FleetReport fleet;
    private RolloutReport rollouts;

    public FleetSource(final ConsoleConfig config) {
        this(config.reducerUrl(), config.snapshotUrl(), config.otaUrl(), Clock.systemUTC(), config.credential(), config.tls());
    }

    FleetSource(final Optional<URI> reducer, final Optional<URI> snapshot, final Optional<URI> ota, final Clock clock) {
        this(reducer, snapshot, ota, clock, io.factfleet.auth.OperatorCredential.none(), io.factfleet.auth.HttpTls.none());
    }

    FleetSource(final Optional<URI> reducer, final Optional<URI> snapshot, final Optional<URI> ota, final Clock clock,
                final io.factfleet.auth.OperatorCredential credential, final io.factfleet.auth.HttpTls tls) {
        this.http = new JsonHttp(Duration.ofSeconds(3), credential, tls);
        this.reducer = reducer;
        this.snapshot = snapshot;
        this.ota = ota;
        this.clock = clock;
    }

    /** The fleet page's data, at most {@value #CACHE_MILLIS} ms old. */
    public synchronized FleetReport fleet() {
        final long now = clock.millis();
        if (fleet != null && now - fleet.generatedAtMillis() < CACHE_MILLIS) {
            return fleet;
        }
        final String reducerUrl = reducer.map(URI::toString).orElse(null);
        final String snapshotUrl = snapshot.map(URI::toString).orElse(null);
        if (reducer.isEmpty()) {
            fleet = new FleetReport(now, null, snapshotUrl, List.of(), "no reducer configured (" + ConsoleConfig.REDUCER_URL + ")");
            return fleet;
        }
        final List<FleetReport.AuthorityRow> rows = new ArrayList<>();
        String error = null;
        try {
            for (final String id : authorityIds()) {
                FleetReport.SnapshotStatus status = null;
                String rowError = null;
                if (snapshot.isPresent()) {
                    try {
                        status = JsonHttp.JSON.treeToValue(http.get(URI.create(snapshot.get() + "/authorities/" + encode(id) + "/snapshots/status")),
                                FleetReport.SnapshotStatus.class);
                    } catch (final IOException e) {
                        rowError = "snapshot-coordinator: " + e.getMessage();
                    }
                }
                try {
                    rows.add(authorityRow(id, http.get(URI.create(reducer.get() + "/authorities/" + encode(id) + "/state")), status, rowError));
                } catch (final IOException e) {
                    rows.add(new FleetReport.AuthorityRow(id, 0, 0, 0, 0, 0, List.of(), "UNKNOWN", "none", status, e.getMessage()));
                }
            }
        } catch (final IOException e) {
            error = "reducer: " + e.getMessage();
        }
        fleet = new FleetReport(now, reducerUrl, snapshotUrl, List.copyOf(rows), error);
        return fleet;
    }

    /** The rollout page's data, at most {@value #CACHE_MILLIS} ms old. */
    public synchronized RolloutReport rollouts() {
        final long now = clock.millis();
        if (rollouts != null && now - rollouts.generatedAtMillis() < CACHE_MILLIS) {
            return rollouts;
        }
        if (reducer.isEmpty()) {
            rollouts = new RolloutReport(now, "none", List.of(), "no reducer configured (" + ConsoleConfig.REDUCER_URL
                    + "): it lists the authorities");
            return rollouts;
        }
        final List<RolloutReport.AuthorityUpgrade> upgrades = new ArrayList<>();
        String error = null;
        try {
            for (final String id : authorityIds()) {
                if (ota.isPresent()) {
                    for (final RolloutReport.Upgrade u : parseUpgrades(http.get(URI.create(ota.get() + "/authorities/" + encode(id) + "/upgrades")))) {
                        upgrades.add(new RolloutReport.AuthorityUpgrade(id, u));
                    }
                } else {
                    for (final RolloutReport.Upgrade u : upgradesFromState(http.get(URI.create(reducer.get() + "/authorities/" + encode(id) + "/state")))) {
                        upgrades.add(new RolloutReport.AuthorityUpgrade(id, u));
                    }
                }
            }
        } catch (final IOException e) {
            error = e.getMessage();
        }
        rollouts = new RolloutReport(now, ota.isPresent() ? "ota-coordinator" : "reducer", List.copyOf(upgrades), error);
        return rollouts;
    }

    private List<String> authorityIds() throws IOException {
        final JsonNode answer = http.get(URI.create(reducer.get() + "/authorities"));
        final List<String> ids = new ArrayList<>();
        answer.path("authorities").forEach(n -> ids.add(n.asText()));
        return ids;
    }

    /** A fleet row from the reducer's {@code GET /authorities/{id}/state} answer and the coordinator's status (or null). */
    static FleetReport.AuthorityRow authorityRow(final String id, final JsonNode answer, final FleetReport.SnapshotStatus status, final String error) {
        final JsonNode state = answer.path("state");
        final int threshold = state.path("threshold").asInt();
        final List<FleetReport.Proposal> open = new ArrayList<>();
        for (final JsonNode p : state.path("proposals")) {
            if (!"OPEN".equals(p.path("status").asText())) {
                continue;
            }
            final String proposalId = p.path("proposalId").asText();
            final List<String> problems = new ArrayList<>();
            for (final JsonNode a : state.path("approvals")) {
                if (proposalId.equals(a.path("proposalId").asText()) && a.hasNonNull("problem")) {
                    problems.add(a.path("deviceId").asText() + ": " + a.path("problem").asText());
                }
            }
            open.add(new FleetReport.Proposal(proposalId, p.path("targetEpoch").asLong(), p.path("countedApprovals").asInt(), threshold, problems));
        }
        final String fence;
        final String fenceSource;
        if (status != null && status.fence() != null) {
            fence = status.fence();
            fenceSource = "snapshot-coordinator";
        } else {
            fence = open.isEmpty() ? "OPEN" : "FENCED";
            fenceSource = open.isEmpty() ? "inferred: no open proposal" : "inferred: open proposal";
        }
        return new FleetReport.AuthorityRow(id, state.path("identityEpoch").asLong(), state.path("snapshotEpoch").asLong(), threshold,
                state.path("roster").size(), state.path("factCount").asLong(), List.copyOf(open), fence, fenceSource, status, error);
    }

    /** The ota-coordinator's {@code GET /authorities/{id}/upgrades} answer. */
    static List<RolloutReport.Upgrade> parseUpgrades(final JsonNode answer) throws IOException {
        if (!answer.isArray()) {
            throw new IOException("the ota-coordinator's upgrades answer is not a JSON array");
        }
        final List<RolloutReport.Upgrade> upgrades = new ArrayList<>();
        for (final JsonNode n : answer) {
            upgrades.add(JsonHttp.JSON.treeToValue(n, RolloutReport.Upgrade.class));
        }
        return upgrades;
    }

    /**
     * One overall "wave" per upgrade from the reducer's state: every rostered device, its readiness counts, the devices that
     * said nothing as silent, and the authority's threshold (M of N devices READY activates a soft fork) as the success
     * threshold.
     */
    static List<RolloutReport.Upgrade> upgradesFromState(final JsonNode answer) {
        final JsonNode state = answer.path("state");
        final int devices = state.path("roster").size();
        final int threshold = state.path("threshold").asInt();
        final List<RolloutReport.Upgrade> upgrades = new ArrayList<>();
        for (final JsonNode u : state.path("upgrades")) {
            final int ready = u.path("readyCount").asInt();
            final int notReady = u.path("notReadyCount").asInt();
            final int rejected = u.path("rejectedCount").asInt();
            final boolean activated = u.path("activated").asBoolean();
            final RolloutReport.Wave overall = new RolloutReport.Wave(0, "all devices", activated ? "ACTIVATED" : "COLLECTING", devices, ready,
                    notReady, rejected, Math.max(0, devices - ready - notReady - rejected),
                    devices == 0 ? null : threshold * 100.0 / devices, null, null);
            upgrades.add(new RolloutReport.Upgrade(u.path("proposalId").asText(), u.path("packageId").asText(), u.path("version").asLong(),
                    u.path("kind").asText(), activated ? "ACTIVATED" : "PROPOSED", activated,
                    u.hasNonNull("activationFence") ? u.get("activationFence").asLong() : null, List.of(overall), List.of()));
        }
        return upgrades;
    }

    private static String encode(final String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
