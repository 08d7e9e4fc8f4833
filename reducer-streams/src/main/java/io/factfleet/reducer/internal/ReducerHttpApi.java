package io.factfleet.reducer.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.OperatorAuth;
import io.factfleet.auth.Permission;
import io.factfleet.reducer.ReducerMetrics;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reducer's HTTP endpoints (documented in the module README). Every authority endpoint goes
 * through {@link AuthorityRouter}, so any instance answers for any authority.
 *
 * <p>Every route declares who may call it ({@link OperatorAuth}): an authority's endpoints need {@code state.read} on
 * it (the edge bridge's protocol endpoints included: the bridge calls them with its service identity, which is
 * granted {@code viewer} on {@code *}), {@code /authorities} and {@code /metrics.json} need it on {@code *},
 * {@code /metrics} is {@link AccessRule#metrics()}, {@code /health} is open.
 */
public final class ReducerHttpApi {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1_000;
    /** The largest request body accepted (a sync's Bloom filter is the largest thing sent). */
    static final long MAX_REQUEST_BYTES = 8L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(ReducerHttpApi.class);
    private static final String ANSWERED = "factfleet.answered";
    /** The Prometheus text exposition format's content type. */
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private ReducerHttpApi() {
    }

    /** {@code {authorityId, pointer: base64 SnapshotPointer, blob: base64 SnapshotBlob}}, or 404 NO_SNAPSHOT. */
    static HttpAnswer snapshot(final KafkaStreams streams, final String authorityId) {
        if (streams == null || streams.state() != KafkaStreams.State.RUNNING) {
            return HttpAnswer.error(503, HttpAnswer.ErrorCode.NOT_RUNNING, "the reducer is not running yet");
        }
        final org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, byte[]> pointers = streams.store(
                org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(io.factfleet.reducer.ReducerTopology.SNAPSHOTS.pointerStore(),
                        org.apache.kafka.streams.state.QueryableStoreTypes.<String, byte[]>keyValueStore()));
        final byte[] pointerBytes = pointers.get(authorityId);
        if (pointerBytes == null) {
            return HttpAnswer.error(404, HttpAnswer.ErrorCode.NO_SNAPSHOT, "authority " + authorityId + " has no completed snapshot");
        }
        final io.factfleet.schema.snapshot.SnapshotPointer pointer = io.factfleet.core.Canonical.decode(pointerBytes,
                io.factfleet.schema.snapshot.SnapshotPointer.class);
        final org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, byte[]> blobs = streams.store(
                org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(io.factfleet.reducer.ReducerTopology.SNAPSHOTS.blobStore(),
                        org.apache.kafka.streams.state.QueryableStoreTypes.<String, byte[]>keyValueStore()));
        final byte[] blob;
        try {
            blob = io.factfleet.contracts.SnapshotStores.blobBytes(blobs, pointer.getBlobCid());
        } catch (final io.factfleet.core.Snapshots.SnapshotException e) {
            return HttpAnswer.error(503, HttpAnswer.ErrorCode.STORE_REBALANCING, e.getMessage() + "; retry shortly");
        }
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("authorityId", authorityId);
        body.put("proposalId", pointer.getProposalId());
        body.put("pointer", java.util.Base64.getEncoder().encodeToString(pointerBytes));
        body.put("blob", java.util.Base64.getEncoder().encodeToString(blob));
        return HttpAnswer.ok(body);
    }

    /** A Javalin app with the routes, not yet started; with a keystore in {@code tls} it serves HTTPS on {@code host:port}. */
    public static Javalin create(final AuthorityRouter router, final LocalAuthorityViews views, final ProtocolViews protocol,
                                 final AuthorityDirectory directory, final Supplier<KafkaStreams> streams, final ReducerMetrics metrics,
                                 final Supplier<String> prometheusText, final OperatorAuth auth, final io.factfleet.auth.HttpTls tls,
                                 final String host, final int port) {
        final Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.http.maxRequestSize = MAX_REQUEST_BYTES;
            auth.configure(config);
            tls.serve(config, host, port);
        });
        final AccessRule read = AccessRule.authority(Permission.STATE_READ);
        app.get("/health", ctx -> health(ctx, streams.get()), AccessRule.open());
        // Prometheus text for scrapers; the counters as JSON for scripts (what /metrics answered before).
        app.get("/metrics", ctx -> {
            ctx.attribute(ANSWERED, Boolean.TRUE);
            ctx.contentType(PROMETHEUS_TEXT).result(prometheusText.get());
        }, AccessRule.metrics());
        app.get("/metrics.json", ctx -> {
            final ObjectNode body = HttpAnswer.JSON.valueToTree(metrics.snapshot());
            body.put("streamsState", stateOf(streams.get()));
            write(ctx, HttpAnswer.ok(body));
        }, AccessRule.global(Permission.METRICS_READ));
        app.get("/authorities", ctx -> write(ctx, directory.list(ctx.header(AuthorityRouter.FORWARDED_HEADER) != null, ctx.header("Authorization"))),
                AccessRule.global(Permission.STATE_READ));
        app.get("/authorities/{id}/state", ctx -> write(ctx, route(router, ctx, views::state)), read);
        app.get("/authorities/{id}/merkle", ctx -> write(ctx, route(router, ctx, views::merkle)), read);
        // The latest snapshot from the global stores (any instance answers): what a device that starts empty, or
        // compacts, hydrates from after verifying it.
        app.get("/authorities/{id}/snapshot", ctx -> write(ctx, snapshot(streams.get(), ctx.pathParam("id"))), read);
        app.get("/authorities/{id}/facts", ctx -> {
            final String after = emptyToNull(ctx.queryParam("after"));
            if (after != null && !FactKeys.isFactIdHex(after)) {
                write(ctx, HttpAnswer.error(400, HttpAnswer.ErrorCode.BAD_REQUEST, "after must be a fact id: 64 lower-case hex digits"));
                return;
            }
            final Integer limit = limit(ctx.queryParam("limit"));
            if (limit == null) {
                write(ctx, HttpAnswer.error(400, HttpAnswer.ErrorCode.BAD_REQUEST, "limit must be a number from 1 to " + MAX_LIMIT));
                return;
            }
            write(ctx, route(router, ctx, (authorityId, partition) -> views.facts(authorityId, partition, after, limit)));
        }, read);

        // The edge bridge's endpoints (edge-bridge/PROTOCOL.md, reducer side).
        app.get("/authorities/{id}/facts/{factId}/status", ctx -> {
            final String factId;
            try {
                factId = ProtocolRequests.factId(ctx.pathParam("factId"), "the fact id in the path");
            } catch (final IllegalArgumentException e) {
                write(ctx, badRequest(e));
                return;
            }
            write(ctx, route(router, ctx, (authorityId, partition) -> protocol.status(authorityId, partition, factId)));
        }, read);
        app.post("/authorities/{id}/facts/status", ctx -> {
            final byte[] body = ctx.bodyAsBytes();
            final List<String> factIds;
            try {
                factIds = ProtocolRequests.factIds(body);
            } catch (final IllegalArgumentException e) {
                write(ctx, badRequest(e));
                return;
            }
            write(ctx, route(router, ctx, body, (authorityId, partition) -> protocol.statuses(authorityId, partition, factIds)));
        }, read);
        app.post("/authorities/{id}/sync", ctx -> {
            final byte[] body = ctx.bodyAsBytes();
            final ProtocolQueries.SyncRequest request;
            try {
                request = ProtocolRequests.sync(body);
            } catch (final IllegalArgumentException e) {
                write(ctx, badRequest(e));
                return;
            }
            write(ctx, route(router, ctx, body, (authorityId, partition) -> protocol.sync(authorityId, partition, request)));
        }, read);
        app.get("/authorities/{id}/devices/{deviceId}/pending", ctx -> {
            final String deviceId = ctx.pathParam("deviceId");
            write(ctx, route(router, ctx, (authorityId, partition) -> protocol.pending(authorityId, partition, deviceId)));
        }, read);
        // ?device=<id>: only that device, from its own entries (the edge bridge's per-device look-up).
        app.get("/authorities/{id}/roster", ctx -> write(ctx, route(router, ctx, ctx.queryParam("device") == null ? protocol::roster
                : (authority, partition) -> protocol.rosterOf(authority, partition, ctx.queryParam("device")))), read);
        // The artifacts the authority's upgrades name: the edge bridge serves a device only those.
        app.get("/authorities/{id}/artifacts", ctx -> write(ctx, route(router, ctx, protocol::artifacts)), read);
        app.get("/authorities/{id}/cache/{key}/valid", ctx -> {
            final long epoch;
            try {
                epoch = Long.parseLong(ctx.queryParam("epoch") == null ? "" : ctx.queryParam("epoch"));
            } catch (final NumberFormatException e) {
                write(ctx, HttpAnswer.error(400, HttpAnswer.ErrorCode.BAD_REQUEST, "give the epoch to check as ?epoch=<identity epoch>"));
                return;
            }
            final String key = ctx.pathParam("key");
            write(ctx, route(router, ctx, (authorityId, partition) -> protocol.cacheValidity(authorityId, partition, key, epoch)));
        }, read);

        app.exception(HttpResponseException.class, (e, ctx) -> {
            final HttpAnswer.ErrorCode code = e.getStatus() == 413 ? HttpAnswer.ErrorCode.BODY_TOO_LARGE
                    : e.getStatus() == 404 ? HttpAnswer.ErrorCode.NOT_FOUND
                    : e.getStatus() >= 500 ? HttpAnswer.ErrorCode.INTERNAL_ERROR : HttpAnswer.ErrorCode.BAD_REQUEST;
            write(ctx, HttpAnswer.error(e.getStatus(), code, e.getMessage()
                    + (code == HttpAnswer.ErrorCode.BODY_TOO_LARGE ? " (at most " + MAX_REQUEST_BYTES + " bytes)" : "")));
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("Failed to answer {} {}", ctx.method(), ctx.path(), e);
            write(ctx, HttpAnswer.error(500, HttpAnswer.ErrorCode.INTERNAL_ERROR, e.toString()));
        });
        app.error(404, ctx -> {
            if (ctx.attribute(ANSWERED) == null) {
                write(ctx, HttpAnswer.error(404, HttpAnswer.ErrorCode.NOT_FOUND, "no endpoint " + ctx.method() + " " + ctx.path()));
            }
        });
        return app;
    }

    private static HttpAnswer route(final AuthorityRouter router, final Context ctx, final AuthorityRouter.LocalView view) {
        return route(router, ctx, null, view);
    }

    private static HttpAnswer route(final AuthorityRouter router, final Context ctx, final byte[] jsonBody, final AuthorityRouter.LocalView view) {
        final String query = ctx.queryString();
        final String pathAndQuery = ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query);
        return router.route(ctx.pathParam("id"), pathAndQuery, jsonBody, ctx.header("Authorization"),
                ctx.header(AuthorityRouter.FORWARDED_HEADER) != null, view);
    }

    private static HttpAnswer badRequest(final IllegalArgumentException e) {
        return HttpAnswer.error(400, HttpAnswer.ErrorCode.BAD_REQUEST, e.getMessage());
    }

    private static void health(final Context ctx, final KafkaStreams streams) {
        final String state = stateOf(streams);
        final boolean running = streams != null && streams.state() == KafkaStreams.State.RUNNING;
        final ObjectNode body = running ? HttpAnswer.JSON.createObjectNode()
                : HttpAnswer.errorBody(HttpAnswer.ErrorCode.NOT_RUNNING, "Kafka Streams is " + state + ", not RUNNING");
        body.put("status", state);
        write(ctx, HttpAnswer.json(running ? 200 : 503, body, java.util.Map.of()));
    }

    private static String stateOf(final KafkaStreams streams) {
        return streams == null ? "NOT_STARTED" : streams.state().name();
    }

    private static void write(final Context ctx, final HttpAnswer answer) {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        ctx.status(answer.status());
        answer.headers().forEach(ctx::header);
        ctx.contentType("application/json");
        ctx.result(answer.body());
    }

    private static Integer limit(final String raw) {
        if (raw == null || raw.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            final int limit = Integer.parseInt(raw);
            return limit >= 1 && limit <= MAX_LIMIT ? limit : null;
        } catch (final NumberFormatException e) {
            return null;
        }
    }

    private static String emptyToNull(final String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
