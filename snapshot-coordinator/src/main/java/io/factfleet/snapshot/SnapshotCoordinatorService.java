package io.factfleet.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.OperatorAuth;
import io.factfleet.auth.Permission;
import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
import io.factfleet.core.KeyedState;
import io.factfleet.core.Reducer;
import io.factfleet.core.Rosters;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.ApprovalRecord;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ProposalState;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.snapshot.internal.Json;
import io.factfleet.snapshot.internal.ProposalRecord;
import io.factfleet.snapshot.internal.RosterBatchHttpApi;
import io.factfleet.snapshot.internal.SnapshotStats;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One snapshot coordinator instance: the Streams application of {@link SnapshotTopology} and its HTTP API.
 *
 * <ul>
 *   <li>{@code POST /authorities/{id}/snapshots} (optional body {@code {"requestedBy","reason"}}): asks for a
 *       snapshot; 202 with the request queued, 409 PROPOSAL_OPEN when one is in flight.</li>
 *   <li>{@code GET /authorities/{id}/snapshots/status}: last snapshot, open proposal with approvals versus
 *       threshold and every approval that does not count (and why), fence state, facts pruned and bytes reclaimed.</li>
 *   <li>{@code POST /authorities/{id}/roster/batches/prepare} and {@code POST /authorities/{id}/roster/batches}: bulk
 *       roster changes from a device manifest, co-signed offline by M current devices and signed with the admin key
 *       ({@link RosterBatchHttpApi}).</li>
 *   <li>{@code GET /health}, {@code GET /metrics} (Prometheus text: the coordinator's counters and Kafka Streams' metrics).</li>
 * </ul>
 * Requests about an authority another instance owns are forwarded to it ({@code application.server}) with the
 * caller's Authorization header, so the owner authorizes the caller itself.
 *
 * <p>Every route but {@code /health} needs operator credentials ({@link OperatorAuth}, configured by the
 * {@code factfleet.auth.*} properties): proposing needs {@code snapshot.propose} on the authority, status
 * {@code state.read}, roster batches {@code roster.write}, {@code /metrics} {@code metrics.read} on {@code *} unless
 * {@code factfleet.auth.metrics.open}.
 */
public final class SnapshotCoordinatorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCoordinatorService.class);

    private final SnapshotConfig config;
    private final SchemaRegistryClient registry;
    private final SnapshotMetrics metrics = new SnapshotMetrics();
    private final io.factfleet.auth.HttpTls tls;
    private final HttpClient http;
    private Javalin server;
    private volatile KafkaStreams streams;
    private KafkaProducer<String, byte[]> requests;
    private KafkaStreamsMetrics streamsMetrics;
    private volatile HostInfo self;
    private final OperatorAuth auth;
    private final RosterBatchHttpApi rosterBatches;

    /** The most bytes a request body may have: a manifest of 10,000 devices with long ids is about 2 MB of JSON. */
    static final long MAX_REQUEST_BYTES = 8L << 20;

    public SnapshotCoordinatorService(final SnapshotConfig config) {
        this(config, new HttpSchemaRegistryClient(withUrl(config)));
    }

    public SnapshotCoordinatorService(final SnapshotConfig config, final SchemaRegistryClient registry) {
        this.config = Objects.requireNonNull(config);
        this.registry = Objects.requireNonNull(registry);
        this.auth = OperatorAuth.create(config.auth(), metrics.registry());
        this.tls = config.tls();
        this.http = tls.trusting(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))).build();
        final SpecificAvroSerializer<FactEnvelope> facts = new SpecificAvroSerializer<>(registry);
        this.rosterBatches = new RosterBatchHttpApi(config.keys(), io.factfleet.snapshot.internal.CoordinatorProcessor.ACTOR,
                io.factfleet.core.SignatureVerifier.bouncyCastle(), fact -> publish(facts, fact), System::currentTimeMillis);
    }

    /** Produces a fact the coordinator signed to the inbound topic, as its processor does, and waits for Kafka. */
    private void publish(final SpecificAvroSerializer<FactEnvelope> serializer, final FactEnvelope fact) {
        final String authority = fact.getBody().getAuthorityId();
        try {
            requests.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), authority, serializer.serialize(FactFleetTopics.INBOUND.name(), fact)))
                    .get(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing fact " + Facts.idHex(fact), e);
        } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka did not take fact " + Facts.idHex(fact) + " of " + authority + ": " + e.getMessage(), e);
        }
    }

    /** Who may call what (the routes and their rules, for tests over every endpoint). */
    public OperatorAuth auth() {
        return auth;
    }

    private static Map<String, Object> withUrl(final SnapshotConfig config) {
        final Map<String, Object> serde = config.serdeConfig();
        serde.put(SnapshotConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        return serde;
    }

    public synchronized SnapshotCoordinatorService start() {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        server = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = MAX_REQUEST_BYTES;
            auth.configure(c);
            tls.serve(c, config.httpBindHost(), config.httpPort());
        });
        server.post("/authorities/{id}/snapshots", this::propose, AccessRule.authority(Permission.SNAPSHOT_PROPOSE));
        server.get("/authorities/{id}/snapshots/status", this::status, AccessRule.authority(Permission.STATE_READ));
        server.post("/authorities/{id}/roster/batches/prepare", ctx -> rosterBatch(ctx, false), AccessRule.authority(Permission.ROSTER_WRITE));
        server.post("/authorities/{id}/roster/batches", ctx -> rosterBatch(ctx, true), AccessRule.authority(Permission.ROSTER_WRITE));
        server.get("/health", ctx -> {
            final KafkaStreams app = streams;
            final KafkaStreams.State state = app == null ? KafkaStreams.State.NOT_RUNNING : app.state();
            ctx.status(state == KafkaStreams.State.RUNNING ? 200 : 503).contentType("application/json")
                    .result("{\"status\":\"" + state + "\"}");
        }, AccessRule.open());
        server.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()), AccessRule.metrics());
        server.start(config.httpBindHost(), config.httpPort());
        final Properties props = config.streamsProperties();
        // What other instances forward to: the configured application.server (a pod's DNS name), its port 0 meaning
        // this HTTP port; localhost and this port when none is configured (one instance, or all on one host).
        final HostInfo configured = HostInfo.buildFromEndpoint(props.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG, "localhost:0"));
        self = new HostInfo(configured.host(), configured.port() == 0 ? server.port() : configured.port());
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        final Properties producer = new Properties();
        props.forEach((k, v) -> {
            final String key = k.toString();
            if (ProducerConfig.configNames().contains(key)) {
                producer.put(key, v);
            }
        });
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        producer.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class.getName());
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, config.get(StreamsConfig.APPLICATION_ID_CONFIG) + "-requests");
        // It also publishes roster batches, which may be up to the inbound topic's record limit.
        producer.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(FactFleetTopics.MAX_FACT_RECORD_BYTES));
        requests = new KafkaProducer<>(producer, new StringSerializer(), new ByteArraySerializer());

        final KafkaStreams app = new KafkaStreams(SnapshotTopology.build(registry, config, metrics), props);
        app.setUncaughtExceptionHandler(e -> {
            LOG.error("A snapshot coordinator stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streamsMetrics = new KafkaStreamsMetrics(app);
        streamsMetrics.bindTo(metrics.registry());
        streams = app;
        app.start();
        LOG.info("Snapshot coordinator serving HTTP on port {}", server.port());
        return this;
    }

    public synchronized void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
            streams = null;
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
            streamsMetrics = null;
        }
        if (requests != null) {
            requests.close(Duration.ofSeconds(5));
            requests = null;
        }
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    public int httpPort() {
        return server.port();
    }

    public URI httpUri() {
        return URI.create(tls.scheme() + "://localhost:" + httpPort());
    }

    /** The {@code application.server} this instance advertises to the others (after {@link #start}). */
    public HostInfo advertised() {
        return self;
    }

    public KafkaStreams.State streamsState() {
        final KafkaStreams app = streams;
        return app == null ? KafkaStreams.State.NOT_RUNNING : app.state();
    }

    public SnapshotMetrics metrics() {
        return metrics;
    }

    // ---- HTTP --------------------------------------------------------------------------------------

    private void propose(final Context ctx) throws Exception {
        final String authority = ctx.pathParam("id");
        if (!JournalKey.isValidAuthorityId(authority)) {
            error(ctx, 400, "INVALID_AUTHORITY_ID", "authority id '" + authority + "' must be 1 to 128 letters, digits, '.', '_' or '-'");
            return;
        }
        // Who asked is the authenticated caller; a body's requestedBy is kept only as a note beside it.
        final String caller = OperatorAuth.caller(ctx).map(io.factfleet.auth.Caller::id).orElse("operator");
        String requestedBy = caller;
        String reason = "operator request";
        if (!ctx.body().isBlank()) {
            final JsonNode body;
            try {
                body = Json.MAPPER.readTree(ctx.body());
            } catch (final Exception e) {
                error(ctx, 400, "MALFORMED_JSON", "the body must be JSON like {\"requestedBy\":\"alice\",\"reason\":\"weekly\"}: " + e.getMessage());
                return;
            }
            final String note = body.path("requestedBy").asText("");
            requestedBy = note.isBlank() || note.equals(caller) ? caller : caller + " (for " + note + ")";
            reason = body.path("reason").asText(reason);
        }
        final Local local = local(authority);
        if (local.owned()) {
            final byte[] proposal = local.store(SnapshotStoresSpec.PROPOSALS).get(authority);
            if (proposal != null) {
                final ProposalRecord p = Json.read(proposal, ProposalRecord.class);
                error(ctx, 409, "PROPOSAL_OPEN", "proposal " + p.proposalId() + " of " + authority + " is " + p.phase()
                        + "; wait for it to complete or abort (GET /authorities/" + authority + "/snapshots/status)");
                return;
            }
            if (!AuthorityEntries.exists(local.store(SnapshotStoresSpec.ENTRIES), authority)) {
                error(ctx, 404, "UNKNOWN_AUTHORITY", "no fact of authority " + authority + " has reached the coordinator");
                return;
            }
        }
        final ObjectNode request = Json.MAPPER.createObjectNode().put("requestedBy", requestedBy).put("reason", reason);
        requests.send(new ProducerRecord<>(FactFleetTopics.SNAPSHOT_REQUESTS.name(), authority, Json.bytes(request))).get(10, TimeUnit.SECONDS);
        final ObjectNode answer = Json.MAPPER.createObjectNode().put("authorityId", authority).put("status", "REQUESTED")
                .put("statusUrl", "/authorities/" + authority + "/snapshots/status");
        ctx.status(202).contentType("application/json").result(Json.MAPPER.writeValueAsString(answer));
    }

    private void status(final Context ctx) throws Exception {
        final String authority = ctx.pathParam("id");
        final Local local = ownedHere(ctx, authority);
        if (local == null) {
            return;
        }
        final ReadOnlyKeyValueStore<String, byte[]> entries = local.store(SnapshotStoresSpec.ENTRIES);
        final MaintenanceState header = KeyedState.headerOf(AuthorityEntries.readOnly(entries, authority));
        if (header == null) {
            error(ctx, 404, "UNKNOWN_AUTHORITY", "no fact of authority " + authority + " has reached the coordinator");
            return;
        }
        final byte[] statsBytes = local.store(SnapshotStoresSpec.STATS).get(authority);
        final SnapshotStats stats = statsBytes == null ? SnapshotStats.none() : Json.read(statsBytes, SnapshotStats.class);
        final byte[] proposalBytes = local.store(SnapshotStoresSpec.PROPOSALS).get(authority);
        final ProposalRecord proposal = proposalBytes == null ? null : Json.read(proposalBytes, ProposalRecord.class);
        // Without a proposal the answer is counts the header holds (finished on its own for the snapshot epoch): no need
        // to materialize every device; with one, its approvals are counted over the whole state.
        final MaintenanceState state = proposal == null ? Reducer.finished(MaintenanceState.newBuilder(header).build())
                : AuthorityEntries.state(entries, authority);
        ctx.contentType("application/json").result(Json.MAPPER.writeValueAsString(statusOf(state, stats, proposal)));
    }

    /**
     * The authority's stores when this instance owns them; otherwise null, having answered 503 (stores moving) or
     * relayed the request to the owner.
     */
    private Local ownedHere(final Context ctx, final String authority) throws Exception {
        final Local local = local(authority);
        if (local.unavailable()) {
            ctx.header("Retry-After", "2");
            error(ctx, 503, "REBALANCING", "the coordinator is not running or its stores are moving; retry shortly");
            return null;
        }
        if (!local.owned()) {
            forward(ctx, local.owner());
            return null;
        }
        return local;
    }

    /** A roster batch's prepare or submission, answered by the instance owning the authority. */
    private void rosterBatch(final Context ctx, final boolean submission) throws Exception {
        final String authority = ctx.pathParam("id");
        if (!JournalKey.isValidAuthorityId(authority)) {
            error(ctx, 400, "INVALID_AUTHORITY_ID", "authority id '" + authority + "' must be 1 to 128 letters, digits, '.', '_' or '-'");
            return;
        }
        final Local local = ownedHere(ctx, authority);
        if (local == null) {
            return;
        }
        final MaintenanceState state = AuthorityEntries.state(local.store(SnapshotStoresSpec.ENTRIES), authority);
        if (state == null || !state.getCreated()) {
            error(ctx, 404, "UNKNOWN_AUTHORITY", "no fact of authority " + authority + " has reached the coordinator");
            return;
        }
        if (submission) {
            rosterBatches.submit(ctx, state, local.store(SnapshotStoresSpec.ROSTER_FACTS));
        } else {
            rosterBatches.prepare(ctx, state);
        }
    }

    /**
     * Sends the request on to the instance owning its authority with the caller's own credentials: the owner authenticates
     * and authorizes the caller again (a signed request of the same method, path and body verifies there too), so no
     * instance needs a broader identity of its own.
     */
    private void forward(final Context ctx, final HostInfo owner) throws Exception {
        final byte[] body = ctx.bodyAsBytes();
        final HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(tls.scheme() + "://" + owner.host() + ":" + owner.port() + ctx.path()
                        + (ctx.queryString() == null ? "" : "?" + ctx.queryString())))
                .timeout(Duration.ofSeconds(30))
                .method(ctx.method().name(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (ctx.contentType() != null) {
            forward.header("Content-Type", ctx.contentType());
        }
        final String authorization = ctx.header("Authorization");
        if (authorization != null) {
            forward.header("Authorization", authorization);
        }
        final HttpResponse<String> forwarded = http.send(forward.build(), HttpResponse.BodyHandlers.ofString());
        ctx.status(forwarded.statusCode()).contentType("application/json").result(forwarded.body());
    }

    /** The status document (see the class comment). */
    static ObjectNode statusOf(final MaintenanceState state, final SnapshotStats stats, final ProposalRecord proposal) {
        final ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("authorityId", state.getAuthorityId());
        body.put("identityEpoch", state.getIdentityEpoch());
        body.put("factCount", state.getFactCount());
        body.put("lastSnapshotEpoch", state.getSnapshotEpoch());
        if (stats.lastProposalId() != null) {
            body.putObject("lastSnapshot").put("proposalId", stats.lastProposalId()).put("epoch", stats.lastSnapshotEpoch())
                    .put("factCount", stats.lastSnapshotFactCount()).put("blobCid", stats.lastBlobCid()).put("digest", stats.lastDigestHex())
                    .put("completedAtMillis", stats.lastCompletedAtMillis())
                    .put("proposalToCompletionMillis", stats.lastCompletedAtMillis() - stats.lastProposedAtMillis());
        } else {
            body.putNull("lastSnapshot");
        }
        final boolean fenced = proposal != null && (proposal.phase().equals(ProposalRecord.OPEN) || proposal.phase().equals(ProposalRecord.COMPLETING)
                || proposal.phase().equals(ProposalRecord.ABORTING));
        if (proposal == null) {
            body.putNull("openProposal");
        } else {
            final ObjectNode open = body.putObject("openProposal");
            open.put("proposalId", proposal.proposalId()).put("phase", proposal.phase()).put("targetEpoch", proposal.targetEpoch())
                    .put("prefixFactCount", proposal.prefixFactCount()).put("digest", proposal.digestHex())
                    .put("requestedBy", proposal.requestedBy()).put("requestedAtMillis", proposal.requestedAtMillis())
                    .put("openedAtMillis", proposal.openedAtMillis());
            final int counted = state.getProposals().stream().filter(p -> p.getProposalId().equals(proposal.proposalId()))
                    .mapToInt(ProposalState::getCountedApprovals).findFirst().orElse(0);
            open.put("approvals", counted);
            open.put("threshold", Rosters.at(state, proposal.targetEpoch()).map(RosterAtEpoch::getThreshold).orElse(state.getThreshold()));
            final ArrayNode approvals = open.putArray("approvalList");
            final ArrayNode problems = open.putArray("problems");
            for (final ApprovalRecord a : state.getApprovals()) {
                if (a.getProposalId().equals(proposal.proposalId())) {
                    approvals.addObject().put("deviceId", a.getDeviceId()).put("keyId", a.getKeyId()).put("factId", a.getFactId())
                            .put("counted", a.getCounted()).put("problem", a.getProblem());
                    if (!a.getCounted()) {
                        problems.addObject().put("deviceId", a.getDeviceId()).put("factId", a.getFactId()).put("problem", a.getProblem());
                    }
                }
            }
        }
        body.put("fence", fenced ? "FENCED" : "OPEN");
        body.putNull("heldFacts"); // held at ingest; see ingest's factfleet_ingest_fence_* metrics
        body.put("snapshotsCompleted", stats.snapshotsCompleted());
        body.put("snapshotsAborted", stats.snapshotsAborted());
        body.put("factsPruned", stats.factsPruned());
        body.put("bytesReclaimed", stats.bytesPruned());
        body.put("lastError", stats.lastError());
        return body;
    }

    private static void error(final Context ctx, final int status, final String code, final String message) {
        final Map<String, String> body = new HashMap<>();
        body.put("error", code);
        body.put("code", code);
        body.put("message", message);
        ctx.status(status).contentType("application/json").result(new String(Json.bytes(body), StandardCharsets.UTF_8));
    }

    /** Where an authority's stores live, from this instance's point of view. */
    private record Local(KafkaStreams streams, KeyQueryMetadata metadata, HostInfo self) {
        boolean unavailable() {
            return streams == null || streams.state() != KafkaStreams.State.RUNNING || metadata == null || metadata == KeyQueryMetadata.NOT_AVAILABLE;
        }

        boolean owned() {
            return !unavailable() && metadata.activeHost().equals(self);
        }

        HostInfo owner() {
            return metadata.activeHost();
        }

        ReadOnlyKeyValueStore<String, byte[]> store(final String name) {
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, byte[]>keyValueStore())
                    .withPartition(metadata.partition()));
        }
    }

    private Local local(final String authority) {
        final KafkaStreams app = streams;
        if (app == null || app.state() != KafkaStreams.State.RUNNING) {
            return new Local(app, null, self);
        }
        final KeyQueryMetadata metadata = app.queryMetadataForKey(SnapshotStoresSpec.ENTRIES, authority,
                new AuthorityPartitioner());
        return new Local(app, metadata, self);
    }
}
