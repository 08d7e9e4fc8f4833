package io.factfleet.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reducer's device-protocol endpoints (reducer-streams README) served from memory, so the
 * bridge's own behaviour can be tested one case at a time: what the reducer answers is set by the
 * test, and what the bridge asked is recorded.
 */
final class FakeReducer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Map<String, ObjectNode> rosters = new ConcurrentHashMap<>();
    /** authorityId/factId → status object. */
    final Map<String, ObjectNode> statuses = new ConcurrentHashMap<>();
    /** authorityId/deviceId → pending answer. */
    final Map<String, ObjectNode> pending = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> pendingQueries = new ConcurrentHashMap<>();
    final Map<String, ObjectNode> syncAnswers = new ConcurrentHashMap<>();
    final List<JsonNode> syncRequests = new CopyOnWriteArrayList<>();
    final List<JsonNode> statusQueries = new CopyOnWriteArrayList<>();
    /** authorityId → the artifact hashes its upgrades name. */
    final Map<String, java.util.Set<String>> artifacts = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> artifactQueries = new ConcurrentHashMap<>();
    private final Javalin app;

    FakeReducer() {
        app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
        });
        // As the reducer answers it: with ?device=, only that device in members (the bridge must not rely on the others).
        app.get("/authorities/{id}/roster", ctx -> {
            final ObjectNode roster = rosters.get(ctx.pathParam("id"));
            final String device = ctx.queryParam("device");
            if (roster == null || device == null) {
                answer(ctx, roster);
                return;
            }
            final ObjectNode one = roster.deepCopy();
            final ArrayNode members = one.putArray("members");
            roster.path("members").forEach(m -> {
                if (m.path("deviceId").asText().equals(device)) {
                    members.add(m);
                }
            });
            answer(ctx, one);
        });
        app.post("/authorities/{id}/facts/status", ctx -> {
            final JsonNode query = JSON.readTree(ctx.body());
            statusQueries.add(query);
            final ObjectNode out = JSON.createObjectNode();
            final ArrayNode list = out.putArray("statuses");
            query.path("factIds").forEach(id -> list.add(status(ctx.pathParam("id"), id.asText())));
            answer(ctx, rosters.containsKey(ctx.pathParam("id")) ? out : null);
        });
        app.get("/authorities/{id}/facts/{factId}/status", ctx -> answer(ctx, status(ctx.pathParam("id"), ctx.pathParam("factId"))));
        app.post("/authorities/{id}/sync", ctx -> {
            syncRequests.add(JSON.readTree(ctx.body()));
            answer(ctx, syncAnswers.get(ctx.pathParam("id")));
        });
        app.get("/authorities/{id}/devices/{device}/pending", ctx -> {
            final String key = ctx.pathParam("id") + "/" + ctx.pathParam("device");
            pendingQueries.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            answer(ctx, pending.get(key));
        });
        app.get("/authorities/{id}/artifacts", ctx -> {
            final String id = ctx.pathParam("id");
            artifactQueries.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            final ObjectNode out = JSON.createObjectNode().put("authorityId", id);
            final ArrayNode list = out.putArray("artifacts");
            artifacts.getOrDefault(id, java.util.Set.of()).forEach(sha256 -> list.addObject().put("proposalId", "up-" + sha256.substring(0, 8))
                    .put("packageId", "fw").put("version", 2).put("sha256", sha256).put("length", 0));
            answer(ctx, rosters.containsKey(id) ? out : null);
        });
        app.start("127.0.0.1", 0);
    }

    String url() {
        return "http://127.0.0.1:" + app.port();
    }

    /** Serves the authority's roster at {@code epoch} and empty pending work for each device. */
    void addAuthority(final AuthorityGenesis authority, final long epoch) {
        final ObjectNode roster = JSON.createObjectNode().put("authorityId", authority.authorityId()).put("identityEpoch", epoch)
                .put("threshold", authority.threshold()).put("adminKeyId", authority.adminKey().keyId())
                .put("adminPublicKey", Hashing.hex(authority.adminKey().publicKey()));
        final ArrayNode members = roster.putArray("members");
        for (int i = 0; i < authority.deviceIds().size(); i++) {
            final Ed25519Keys.SigningKey key = authority.deviceKeys().get(i);
            members.addObject().put("deviceId", authority.deviceIds().get(i)).put("keyId", key.keyId()).put("publicKey", Hashing.hex(key.publicKey()));
            setPending(authority.authorityId(), authority.deviceIds().get(i), epoch, 0);
        }
        rosters.put(authority.authorityId(), roster);
    }

    /** A hard fork in force: devices below {@code version} of {@code packageId} must upgrade. */
    void requirePackage(final String authorityId, final String packageId, final long version) {
        final ObjectNode roster = rosters.get(authorityId);
        final ArrayNode required = roster.has("requiredPackages") ? (ArrayNode) roster.get("requiredPackages") : roster.putArray("requiredPackages");
        required.addObject().put("packageId", packageId).put("version", version).put("proposalId", "hf-" + packageId).put("activationFence", 1);
    }

    /** What the device's latest DeviceMetadata fact says it installed. */
    void setInstalled(final String authorityId, final String deviceId, final String packageId, final long version) {
        rosters.get(authorityId).get("members").forEach(m -> {
            if (m.get("deviceId").asText().equals(deviceId)) {
                final ObjectNode member = (ObjectNode) m;
                (member.has("installed") ? (ObjectNode) member.get("installed") : member.putObject("installed")).put(packageId, version);
            }
        });
    }

    void setEpoch(final String authorityId, final long epoch) {
        rosters.get(authorityId).put("identityEpoch", epoch);
    }

    /** Pending work for a device: {@code approvals} open snapshot proposals. */
    void setPending(final String authorityId, final String deviceId, final long epoch, final int approvals) {
        final ObjectNode work = JSON.createObjectNode().put("deviceId", deviceId).put("identityEpoch", epoch);
        final ArrayNode list = work.putArray("snapshotApprovals");
        for (int i = 0; i < approvals; i++) {
            list.addObject().put("proposalId", "p" + i).put("targetEpoch", epoch).put("prefixDigest", "00".repeat(32));
        }
        work.putArray("upgradeReadiness");
        pending.put(authorityId + "/" + deviceId, work);
    }

    /** An upgrade of the authority names this artifact (as its proposal fact would). */
    void nameArtifact(final String authorityId, final String sha256Hex) {
        artifacts.computeIfAbsent(authorityId, k -> ConcurrentHashMap.newKeySet()).add(sha256Hex);
    }

    int artifactQueries(final String authorityId) {
        final AtomicInteger count = artifactQueries.get(authorityId);
        return count == null ? 0 : count.get();
    }

    int pendingQueries(final String authorityId, final String deviceId) {
        final AtomicInteger count = pendingQueries.get(authorityId + "/" + deviceId);
        return count == null ? 0 : count.get();
    }

    void setStatus(final String authorityId, final String factId, final String status, final String code, final String message) {
        statuses.put(authorityId + "/" + factId, JSON.createObjectNode().put("factId", factId).put("status", status).put("seq", 1)
                .put("code", code).put("message", message));
    }

    private ObjectNode status(final String authorityId, final String factId) {
        final ObjectNode known = statuses.get(authorityId + "/" + factId);
        return known != null ? known : JSON.createObjectNode().put("factId", factId).put("status", "UNKNOWN").putNull("seq")
                .putNull("code").putNull("message");
    }

    private static void answer(final Context ctx, final JsonNode body) {
        ctx.contentType("application/json");
        if (body == null) {
            ctx.status(404).result("{\"code\":\"UNKNOWN_AUTHORITY\",\"message\":\"nothing is known of it\"}");
        } else {
            ctx.status(200).result(body.toString());
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
