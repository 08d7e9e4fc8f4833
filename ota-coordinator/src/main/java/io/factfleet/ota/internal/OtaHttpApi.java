package io.factfleet.ota.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.Caller;
import io.factfleet.auth.OperatorAuth;
import io.factfleet.auth.Permission;
import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Facts;
import io.factfleet.core.KeyedState;
import io.factfleet.core.Reducer;
import io.factfleet.core.Rosters;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.UpgradeChecks;
import io.factfleet.core.UpgradeCoordination;
import io.factfleet.ota.OtaMetrics;
import io.factfleet.ota.OtaStores;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RolloutAction;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RolloutTransitionRecord;
import io.factfleet.schema.state.UpgradeState;
import io.factfleet.schema.state.WaveStatus;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The coordinator's HTTP endpoints (documented in the module README). Reads come from this
 * instance's state store; operator actions are signed with the authority's admin key, checked
 * against the current state (a dry run through the reducer) and produced to the inbound topic.
 *
 * <p>Every route declares who may call it ({@link OperatorAuth}): reads need {@code state.read} on the authority
 * ({@code /authorities}, the list of every authority, on {@code *}), proposing {@code upgrade.propose}, approving
 * {@code upgrade.approve}, pausing, resuming and cancelling {@code rollout.control}. The caller's id goes into the
 * signed fact ({@code OperatorRolloutTransition}), so the journal and the state record who acted.
 */
public final class OtaHttpApi {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OtaHttpApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int UNPROCESSABLE = 422;

    private final Supplier<KafkaStreams> streams;
    private final AdminKeyRing keys;
    private final String actor;
    private final Consumer<FactEnvelope> publish;
    private final OtaMetrics metrics;
    private final LongSupplier clock;
    /** Whether an authority's policy forbids the proposer of an upgrade to approve it. */
    private final java.util.function.Predicate<String> separationOfDuties;
    private final Reducer reducer = Reducer.standard();
    private volatile KafkaStreams boundStreams;

    private OtaHttpApi(final Supplier<KafkaStreams> streams, final AdminKeyRing keys, final String actor, final Consumer<FactEnvelope> publish,
                       final OtaMetrics metrics, final LongSupplier clock, final java.util.function.Predicate<String> separationOfDuties) {
        this.separationOfDuties = separationOfDuties;
        this.streams = streams;
        this.keys = keys;
        this.actor = actor;
        this.publish = publish;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** A Javalin app with the routes, not yet started. {@code publish} produces a fact and waits for Kafka's acknowledgement. */
    public static Javalin create(final Supplier<KafkaStreams> streams, final AdminKeyRing keys, final String actor,
                                 final Consumer<FactEnvelope> publish, final OtaMetrics metrics, final LongSupplier clock, final OperatorAuth auth) {
        return create(streams, () -> null, keys, actor, publish, metrics, clock, auth, io.factfleet.auth.HttpTls.none(), "0.0.0.0", 0,
                authority -> false);
    }

    /**
     * As above; with a keystore in {@code tls} it serves HTTPS on {@code host:port} (and forwards over HTTPS);
     * {@code self} is this instance's {@code application.server}: a request about an authority whose state
     * another instance owns is forwarded to that instance (header {@value #FORWARDED_HEADER} marks a forwarded request,
     * which is never forwarded again).
     */
    public static Javalin create(final Supplier<KafkaStreams> streams, final Supplier<org.apache.kafka.streams.state.HostInfo> self,
                                 final AdminKeyRing keys, final String actor, final Consumer<FactEnvelope> publish, final OtaMetrics metrics,
                                 final LongSupplier clock, final OperatorAuth auth, final io.factfleet.auth.HttpTls tls, final String host,
                                 final int port, final java.util.function.Predicate<String> separationOfDuties) {
        final OtaHttpApi api = new OtaHttpApi(streams, keys, actor, publish, metrics, clock, separationOfDuties);
        final Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            auth.configure(config);
            tls.serve(config, host, port);
        });
        final java.net.http.HttpClient forwarder = tls.trusting(java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(3))).build();
        // After the guard (registered by configure), so only an authorized request is forwarded, with its own credentials.
        app.beforeMatched("/authorities/{id}/*", ctx -> forwardToOwner(ctx, streams.get(), self.get(), forwarder, tls.scheme()));
        app.beforeMatched("/authorities/{id}", ctx -> forwardToOwner(ctx, streams.get(), self.get(), forwarder, tls.scheme()));
        app.get("/health", api::health, AccessRule.open());
        app.get("/metrics", api::metrics, AccessRule.metrics());
        app.get("/authorities", api::authorities, AccessRule.global(Permission.STATE_READ));
        app.get("/authorities/{id}/upgrades", api::upgrades, AccessRule.authority(Permission.STATE_READ));
        app.post("/authorities/{id}/upgrades", api::propose, AccessRule.authority(Permission.UPGRADE_PROPOSE));
        for (final RolloutAction action : List.of(RolloutAction.APPROVE, RolloutAction.PAUSE, RolloutAction.RESUME, RolloutAction.CANCEL)) {
            final Permission needed = action == RolloutAction.APPROVE ? Permission.UPGRADE_APPROVE : Permission.ROLLOUT_CONTROL;
            app.post("/authorities/{id}/upgrades/{proposalId}/" + action.name().toLowerCase(Locale.ROOT), ctx -> api.act(ctx, action),
                    AccessRule.authority(needed));
        }
        app.exception(InvalidStateStoreException.class, (e, ctx) -> {
            ctx.header("Retry-After", "2");
            error(ctx, 503, "NOT_READY", "the coordinator's state is not queryable yet (" + e.getMessage() + "); retry shortly");
        });
        return app;
    }

    // ---- reads --------------------------------------------------------------------------------

    private void health(final Context ctx) {
        final KafkaStreams app = streams.get();
        final KafkaStreams.State state = app == null ? KafkaStreams.State.NOT_RUNNING : app.state();
        final ObjectNode body = JSON.createObjectNode();
        body.put("status", state == KafkaStreams.State.RUNNING ? "UP" : "DOWN");
        body.put("streamsState", state.name());
        final ArrayNode acting = body.putArray("adminKeysFor");
        keys.authorities().forEach(acting::add);
        final ArrayNode watched = body.putArray("watchedWithoutAdminKey");
        metrics.authoritiesWithoutKey().stream().sorted().forEach(watched::add);
        ctx.status(state == KafkaStreams.State.RUNNING ? 200 : 503).json(body);
    }

    private void metrics(final Context ctx) {
        final KafkaStreams app = streams.get();
        if (app != null && app != boundStreams) {
            synchronized (this) {
                if (app != boundStreams) {
                    new KafkaStreamsMetrics(app).bindTo(metrics.registry());
                    boundStreams = app;
                }
            }
        }
        final List<OtaMetrics.UpgradeCounts> rows = new ArrayList<>();
        if (app != null && app.state() == KafkaStreams.State.RUNNING) {
            try {
                final ReadOnlyKeyValueStore<String, byte[]> store = store();
                for (final String authority : AuthorityEntries.authorities(store)) {
                    final MaintenanceState header = KeyedState.headerOf(AuthorityEntries.readOnly(store, authority));
                    if (header == null || header.getUpgrades().isEmpty()) {
                        continue; // no upgrade rows: not worth materializing the authority
                    }
                    final MaintenanceState state = AuthorityEntries.state(store, authority);
                    for (final UpgradeState u : state.getUpgrades()) {
                        rows.add(new OtaMetrics.UpgradeCounts(authority, u.getProposalId(), u.getReadyCount(), u.getNotReadyCount(),
                                u.getRejectedCount(), silent(state, u)));
                    }
                }
            } catch (final InvalidStateStoreException e) {
                // rebalancing: scrape without the per-upgrade rows
            }
        }
        metrics.upgrades(rows);
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.registry().scrape());
    }

    private void authorities(final Context ctx) {
        final ArrayNode out = JSON.createArrayNode();
        final ReadOnlyKeyValueStore<String, byte[]> store = store();
        for (final String authority : AuthorityEntries.authorities(store)) {
            // The header holds the admin key and the upgrades: no need to materialize the devices.
            final MaintenanceState header = KeyedState.headerOf(AuthorityEntries.readOnly(store, authority));
            final ObjectNode a = out.addObject();
            a.put("authorityId", authority);
            a.put("acting", keys.adminKey(authority).map(k -> k.keyId().equals(header.getAdminKeyId())).orElse(false));
            a.put("upgrades", header.getUpgrades().size());
        }
        ctx.json(out);
    }

    private void upgrades(final Context ctx) {
        final MaintenanceState state = state(ctx);
        if (state != null) {
            ctx.json(upgradesJson(state));
        }
    }

    /** The dashboard's shape, documented in the README; do not change it without the dashboard. */
    static ArrayNode upgradesJson(final MaintenanceState state) {
        final ArrayNode out = JSON.createArrayNode();
        for (final UpgradeState u : state.getUpgrades()) {
            final ObjectNode o = out.addObject();
            o.put("proposalId", u.getProposalId());
            o.put("packageId", u.getPackageId());
            o.put("version", u.getVersion());
            o.put("kind", u.getKind().name());
            o.put("proposedBy", u.getProposedBy());
            o.put("state", u.getRolloutState().name());
            o.put("activated", u.getActivated());
            if (u.getActivationFence() == null) {
                o.putNull("activationFence");
            } else {
                o.put("activationFence", u.getActivationFence());
            }
            // Every step taken, in the order the state machine replays them, and who took it (null: the coordinator itself).
            final ArrayNode steps = o.putArray("steps");
            for (final io.factfleet.schema.state.RolloutTransitionRecord t : state.getRolloutTransitions()) {
                if (!t.getProposalId().equals(u.getProposalId())) {
                    continue;
                }
                final ObjectNode sj = steps.addObject();
                sj.put("action", t.getAction().name());
                sj.put("waveIndex", t.getWaveIndex());
                sj.put("operator", t.getOperator());
                sj.put("reason", t.getReason());
                sj.put("applied", t.getApplied());
                sj.put("problem", t.getProblem());
                sj.put("issuedAtMillis", t.getIssuedAtMillis());
                sj.put("factId", t.getFactId());
            }
            final ArrayNode waves = o.putArray("waves");
            for (final WaveStatus w : u.getWaves()) {
                final RolloutWave rule = u.getPlan().getWaves().get(w.getIndex());
                final ObjectNode wj = waves.addObject();
                wj.put("index", w.getIndex());
                wj.put("name", w.getName());
                wj.put("state", w.getState().name());
                wj.put("devices", w.getDeviceIds().size());
                wj.put("ready", w.getReady());
                wj.put("notReady", w.getNotReady());
                wj.put("rejected", w.getRejected());
                wj.put("silent", w.getSilent());
                wj.put("successThresholdPercent", rule.getSuccessThresholdPercent());
                if (rule.getErrorThresholdCount() == null) {
                    wj.putNull("errorThresholdCount");
                } else {
                    wj.put("errorThresholdCount", rule.getErrorThresholdCount());
                }
                if (rule.getErrorThresholdPercent() == null) {
                    wj.putNull("errorThresholdPercent");
                } else {
                    wj.put("errorThresholdPercent", rule.getErrorThresholdPercent());
                }
            }
        }
        return out;
    }

    /** Members with no report: per wave when the plan has waves, else the roster at the proposal's epoch. */
    static int silent(final MaintenanceState state, final UpgradeState u) {
        if (!u.getWaves().isEmpty()) {
            return u.getWaves().stream().mapToInt(WaveStatus::getSilent).sum();
        }
        final int members = Rosters.at(state, u.getProposalEpoch()).map(r -> r.getMembers().size()).orElse(0);
        return Math.max(0, members - u.getReadyCount() - u.getNotReadyCount() - u.getRejectedCount());
    }

    // ---- operator actions ---------------------------------------------------------------------

    private void propose(final Context ctx) {
        final MaintenanceState state = state(ctx);
        if (state == null) {
            return;
        }
        final JsonNode body;
        try {
            body = JSON.readTree(ctx.body());
        } catch (final Exception e) {
            error(ctx, 400, "BAD_REQUEST", "the body must be JSON {\"fact\": base64} or {\"proposal\": base64}: " + e.getMessage());
            return;
        }
        final FactEnvelope fact;
        try {
            if (body != null && body.hasNonNull("fact")) {
                fact = Canonical.decode(Base64.getDecoder().decode(body.get("fact").asText()), FactEnvelope.class);
                if (!Facts.idMatchesBody(fact)) {
                    error(ctx, 400, "FACT_ID_MISMATCH", "the fact id is not the SHA-256 of its body");
                    return;
                }
                if (!fact.getBody().getAuthorityId().equals(state.getAuthorityId()) || !(fact.getBody().getPayload() instanceof UpgradeProposed
                        || fact.getBody().getPayload() instanceof io.factfleet.schema.OperatorUpgradeProposal)) {
                    error(ctx, 400, "BAD_REQUEST", "the fact must be an UpgradeProposed fact of authority " + state.getAuthorityId());
                    return;
                }
            } else if (body != null && body.hasNonNull("proposal")) {
                final UpgradeProposed proposed = Canonical.decode(Base64.getDecoder().decode(body.get("proposal").asText()), UpgradeProposed.class);
                final DeviceSigner signer = signer(ctx, state);
                if (signer == null) {
                    return;
                }
                // Signed here for the caller: the fact names who proposed, so separation of duties can be judged later.
                final String by = OperatorAuth.caller(ctx).map(Caller::id).orElse("unauthenticated");
                fact = signer.signAt(state.getIdentityEpoch(), clock.getAsLong(), new io.factfleet.schema.OperatorUpgradeProposal(proposed, by));
            } else {
                error(ctx, 400, "BAD_REQUEST", "give {\"fact\": base64 of a signed UpgradeProposed FactEnvelope} or "
                        + "{\"proposal\": base64 of UpgradeProposed (metadata and certificate), signed here with the admin key}");
                return;
            }
        } catch (final RuntimeException e) {
            error(ctx, 400, "UNDECODABLE", "the base64 is not canonical Avro of the expected record: " + e.getMessage());
            return;
        }
        final UpgradeProposed proposed = fact.getBody().getPayload() instanceof io.factfleet.schema.OperatorUpgradeProposal attributed
                ? attributed.getProposal() : (UpgradeProposed) fact.getBody().getPayload();
        UpgradeChecks.Verdict verdict = UpgradeChecks.proposal(state, fact.getBody(), proposed, SignatureVerifier.bouncyCastle());
        if (verdict.accepted()) {
            verdict = UpgradeChecks.expiry(proposed.getMetadata(), clock.getAsLong());
        }
        if (verdict.accepted()) {
            final long activated = UpgradeChecks.activatedVersion(state, proposed.getMetadata().getPackageId());
            if (activated >= 0) {
                verdict = UpgradeChecks.version(proposed.getMetadata().getPackageId(), proposed.getMetadata().getVersion(), activated);
            }
        }
        if (!verdict.accepted()) {
            error(ctx, UNPROCESSABLE, verdict.code().name(), verdict.message());
            return;
        }
        publish.accept(fact);
        final ObjectNode out = JSON.createObjectNode();
        out.put("factId", Facts.idHex(fact));
        out.put("proposalId", proposed.getMetadata().getProposalId());
        ctx.status(202).json(out);
    }

    private void act(final Context ctx, final RolloutAction action) {
        final MaintenanceState state = state(ctx);
        if (state == null) {
            return;
        }
        final String proposalId = ctx.pathParam("proposalId");
        final UpgradeState upgrade = state.getUpgrades().stream().filter(u -> u.getProposalId().equals(proposalId)).findFirst().orElse(null);
        if (upgrade == null) {
            error(ctx, 404, "UNKNOWN_PROPOSAL", "authority " + state.getAuthorityId() + " has no upgrade " + proposalId);
            return;
        }
        final DeviceSigner signer = signer(ctx, state);
        if (signer == null) {
            return;
        }
        String reason = "operator";
        try {
            if (!ctx.body().isBlank()) {
                final JsonNode body = JSON.readTree(ctx.body());
                if (body.hasNonNull("reason")) {
                    reason = body.get("reason").asText();
                }
            }
        } catch (final Exception e) {
            error(ctx, 400, "BAD_REQUEST", "the body, when given, must be JSON {\"reason\": text}");
            return;
        }
        final String by = OperatorAuth.caller(ctx).map(Caller::id).orElse("unauthenticated");
        if (action == RolloutAction.APPROVE && separationOfDuties.test(state.getAuthorityId()) && by.equals(upgrade.getProposedBy())) {
            metrics.separationOfDutiesRefused();
            LOG.warn("Refused {}'s approval of upgrade {} of {}: they proposed it, and the authority's policy separates the two",
                    by, proposalId, state.getAuthorityId());
            error(ctx, 403, "SEPARATION_OF_DUTIES", by + " proposed upgrade " + proposalId + "; authority " + state.getAuthorityId()
                    + " requires another operator to approve it");
            return;
        }
        final FactEnvelope fact = UpgradeCoordination.manualBy(state, upgrade, action, reason, by, clock.getAsLong()).sign(signer);
        final MaintenanceState probe = MaintenanceState.newBuilder(state).build();
        final Reducer.Step step = reducer.apply(probe, fact);
        final String id = Facts.idHex(fact);
        final RolloutTransitionRecord applied = step instanceof Reducer.Step.Applied a
                ? a.state().getRolloutTransitions().stream().filter(t -> t.getFactId().equals(id)).findFirst().orElse(null) : null;
        if (applied == null || !applied.getApplied()) {
            final String problem = applied == null ? "the transition was not recorded" : applied.getProblem();
            error(ctx, 409, UpgradeChecks.Verdict.codeOf(problem).map(Enum::name).orElse("INVALID_TRANSITION"), problem);
            return;
        }
        publish.accept(fact);
        final UpgradeState after = ((Reducer.Step.Applied) step).state().getUpgrades().stream()
                .filter(u -> u.getProposalId().equals(proposalId)).findFirst().orElseThrow();
        final ObjectNode out = JSON.createObjectNode();
        out.put("factId", id);
        out.put("action", action.name());
        out.put("state", after.getRolloutState().name());
        ctx.status(202).json(out);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private DeviceSigner signer(final Context ctx, final MaintenanceState state) {
        final DeviceSigner signer = keys.signer(state.getAuthorityId(), actor).orElse(null);
        if (signer == null || !signer.key().keyId().equals(state.getAdminKeyId())) {
            error(ctx, 409, "NO_ADMIN_KEY", "this coordinator holds no current admin key of " + state.getAuthorityId()
                    + " (add it to the key ring named by factfleet.coordinator.admin.keys); it only watches this authority");
            return null;
        }
        return signer;
    }

    /** Marks a request one instance forwarded to another. */
    public static final String FORWARDED_HEADER = "X-FactFleet-Forwarded";

    /** Answers with the owning instance's answer when the authority's state lives on another instance. */
    private static void forwardToOwner(final Context ctx, final KafkaStreams app, final org.apache.kafka.streams.state.HostInfo self,
                                       final java.net.http.HttpClient forwarder, final String scheme) throws Exception {
        if (app == null || self == null || ctx.header(FORWARDED_HEADER) != null || app.state() != KafkaStreams.State.RUNNING) {
            return;
        }
        final String authority = ctx.pathParam("id");
        final org.apache.kafka.streams.KeyQueryMetadata owner = app.queryMetadataForKey(OtaStores.AUTHORITY_ENTRIES.name(), authority,
                new io.factfleet.contracts.AuthorityPartitioner());
        if (owner == null || owner == org.apache.kafka.streams.KeyQueryMetadata.NOT_AVAILABLE || owner.activeHost().equals(self)) {
            return;
        }
        final java.net.URI target = java.net.URI.create(scheme + "://" + owner.activeHost().host() + ":" + owner.activeHost().port() + ctx.path()
                + (ctx.queryString() == null ? "" : "?" + ctx.queryString()));
        final java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(target).timeout(java.time.Duration.ofSeconds(30))
                .header(FORWARDED_HEADER, self.host() + ":" + self.port())
                .method(ctx.method().name(), ctx.bodyAsBytes().length == 0 ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes()));
        if (ctx.contentType() != null) {
            request.header("Content-Type", ctx.contentType());
        }
        // The caller's credentials travel with the request: the owner authenticates and authorizes the caller itself.
        if (ctx.header("Authorization") != null) {
            request.header("Authorization", ctx.header("Authorization"));
        }
        try {
            final java.net.http.HttpResponse<byte[]> answer = forwarder.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            ctx.status(answer.statusCode()).contentType(answer.headers().firstValue("Content-Type").orElse("application/json")).result(answer.body());
        } catch (final java.io.IOException e) {
            ctx.header("Retry-After", "2");
            ctx.status(503).json(JSON.createObjectNode().put("error", "OWNER_UNREACHABLE")
                    .put("message", "the instance owning " + authority + " (" + owner.activeHost() + ") did not answer: " + e.getMessage()));
        }
        ctx.skipRemainingHandlers();
    }

    private ReadOnlyKeyValueStore<String, byte[]> store() {
        final KafkaStreams app = streams.get();
        if (app == null) {
            throw new InvalidStateStoreException("the coordinator is not started");
        }
        return app.store(StoreQueryParameters.fromNameAndType(OtaStores.AUTHORITY_ENTRIES.name(), QueryableStoreTypes.keyValueStore()));
    }

    private MaintenanceState state(final Context ctx) {
        final String id = ctx.pathParam("id");
        final MaintenanceState state = AuthorityEntries.state(store(), id);
        if (state == null || !state.getCreated()) {
            error(ctx, 404, "UNKNOWN_AUTHORITY", "no authority " + id + " is known to this coordinator");
            return null;
        }
        return state;
    }

    private static void error(final Context ctx, final int status, final String code, final String message) {
        final ObjectNode body = JSON.createObjectNode();
        body.put("status", status);
        body.put("code", code);
        body.put("message", message);
        ctx.status(status).json(body);
    }
}
