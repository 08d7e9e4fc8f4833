package io.factfleet.reducer.internal;

import io.factfleet.contracts.AuthorityEntries;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.core.Canonical;
import io.factfleet.core.Hashing;
import io.factfleet.core.PendingWork;
import io.factfleet.reducer.ReducerStores;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterEntry;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The edge bridge's endpoints (edge-bridge/PROTOCOL.md, reducer side), answered from this
 * instance's active stores for an authority it owns; {@link AuthorityRouter} gets the request here.
 * The JSON is documented in the module README; every field is always present (null when empty).
 */
public final class ProtocolViews {
    private final Supplier<KafkaStreams> streams;
    private final LongSupplier clock;
    private final int retryAfterSeconds;
    /**
     * Pending work is asked for by every device of an authority, each from the same state: the state materialized
     * for it is kept per authority while its header (which counts every fact folded, so any new fact changes it) is
     * the same, for at most a second, within a heap budget. A fleet's polls then cost one materialization per
     * change of the authority, not one per device.
     */
    private final com.github.benmanes.caffeine.cache.Cache<String, Materialized> pendingStates = com.github.benmanes.caffeine.cache.Caffeine
            .newBuilder().expireAfterWrite(java.time.Duration.ofSeconds(1)).maximumWeight(256L << 20)
            .weigher((String authority, Materialized m) -> m.weight()).build();

    /** A materialized state, the header it was materialized at, and its pending work indexed by device. */
    private record Materialized(byte[] header, MaintenanceState state, PendingWork.Index pending, int weight) {
    }

    /**
     * @param streams           the running application (a supplier: the HTTP server starts before Streams)
     * @param clock             wall-clock millis, for which upgrades have expired in pending work
     * @param retryAfterSeconds {@code Retry-After} of a 503 while an authority's arrival sequence is being built
     */
    public ProtocolViews(final Supplier<KafkaStreams> streams, final LongSupplier clock, final int retryAfterSeconds) {
        this.streams = streams;
        this.clock = clock;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** {@code {factId, status, seq, code, message}}. */
    public HttpAnswer status(final String authorityId, final int partition, final String factIdHex) {
        final ProtocolQueries.StoreSource stores = stores(partition);
        if (!ProtocolQueries.isKnown(stores, authorityId)) {
            return unknown(authorityId);
        }
        return HttpAnswer.ok(statusJson(ProtocolQueries.status(stores, authorityId, factIdHex)));
    }

    /** {@code {statuses: [{factId, status, seq, code, message}, ...]}}, in the order asked. */
    public HttpAnswer statuses(final String authorityId, final int partition, final List<String> factIds) {
        final ProtocolQueries.StoreSource stores = stores(partition);
        if (!ProtocolQueries.isKnown(stores, authorityId)) {
            return unknown(authorityId);
        }
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        final ArrayNode statuses = body.putArray("statuses");
        for (final String factId : factIds) {
            statuses.add(statusJson(ProtocolQueries.status(stores, authorityId, factId)));
        }
        return HttpAnswer.ok(body);
    }

    /** {@code {authorityId, indexId, upToSeq, complete, merkleRoot, factCount, facts: ["<base64>", ...]}}. */
    public HttpAnswer sync(final String authorityId, final int partition, final ProtocolQueries.SyncRequest request) {
        final ProtocolQueries.StoreSource stores = stores(partition);
        if (!ProtocolQueries.hasState(stores, authorityId)) {
            return unknown(authorityId);
        }
        final Optional<ProtocolQueries.SyncResult> answer = ProtocolQueries.sync(stores, authorityId, request);
        if (answer.isEmpty()) {
            return HttpAnswer.rebalancing("the arrival sequence of authority " + authorityId + " is being built (stores from before it existed)",
                    retryAfterSeconds);
        }
        final ProtocolQueries.SyncResult result = answer.get();
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("authorityId", authorityId);
        body.put("indexId", result.indexId());
        body.put("upToSeq", result.upToSeq());
        body.put("complete", result.complete());
        body.put("merkleRoot", Hashing.hex(result.merkleRoot()));
        body.put("factCount", result.factCount());
        final ArrayNode facts = body.putArray("facts");
        final Base64.Encoder base64 = Base64.getEncoder();
        result.facts().forEach(fact -> facts.add(base64.encodeToString(fact)));
        return HttpAnswer.ok(body);
    }

    /**
     * {@code {deviceId, identityEpoch, snapshotApprovals: [{proposalId, targetEpoch, prefixDigest}],
     * upgradeReadiness: [{proposalId, packageId, version, kind, expiresAtMillis}]}}: {@link PendingWork#forDevice}
     * now. A device not on the current roster has nothing pending.
     */
    public HttpAnswer pending(final String authorityId, final int partition, final String deviceId) {
        final Materialized state = pendingState(partition, authorityId);
        if (state == null) {
            return unknown(authorityId);
        }
        final PendingWork work = state.pending().forDevice(deviceId, clock.getAsLong());
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("deviceId", work.deviceId());
        body.put("identityEpoch", work.identityEpoch());
        final ArrayNode approvals = body.putArray("snapshotApprovals");
        for (final PendingWork.SnapshotApprovalRequest request : work.snapshotApprovals()) {
            final ObjectNode a = approvals.addObject();
            a.put("proposalId", request.proposalId());
            a.put("targetEpoch", request.targetEpoch());
            a.put("prefixDigest", request.prefixDigestHex());
        }
        final ArrayNode readiness = body.putArray("upgradeReadiness");
        for (final PendingWork.ReadinessRequest request : work.upgradeReadiness()) {
            final ObjectNode r = readiness.addObject();
            r.put("proposalId", request.proposalId());
            r.put("packageId", request.packageId());
            r.put("version", request.version());
            r.put("kind", request.kind());
            r.put("expiresAtMillis", request.expiresAtMillis());
        }
        return HttpAnswer.ok(body);
    }

    /**
     * {@code {authorityId, identityEpoch, threshold, memberCount, adminKeyId, adminPublicKey, members: [{deviceId, keyId, publicKey, installed:
     * {packageId: version}}], requiredPackages: [{packageId, version, proposalId, activationFence}]}}: the current roster, keys
     * as hex, each member's installed packages from its latest DeviceMetadata fact, and the hard forks in force (the edge
     * bridge refuses sessions of devices below them). Before the genesis is folded: epoch -1, no members, empty admin.
     */
    public HttpAnswer roster(final String authorityId, final int partition) {
        final MaintenanceState state = state(partition, authorityId);
        if (state == null) {
            return unknown(authorityId);
        }
        final java.util.Map<String, io.factfleet.schema.state.DeviceState> devices = new java.util.HashMap<>();
        state.getDevices().forEach(d -> devices.put(d.getDeviceId(), d));
        return rosterAnswer(authorityId, state, state.getRoster(), devices::get, io.factfleet.core.UpgradeChecks.requiredPackages(state));
    }

    /**
     * The same answer with only {@code deviceId} in {@code members} (none when it is not rostered), read
     * from the authority's header and that device's entries: O(1) in the roster's size, what the edge
     * bridge asks per device it authenticates.
     */
    public HttpAnswer rosterOf(final String authorityId, final int partition, final String deviceId) {
        final io.factfleet.core.KeyedState.Entries entries =
                AuthorityEntries.readOnly(stores(partition).<byte[]>store(ReducerStores.AUTHORITY_ENTRIES.name()), authorityId);
        final MaintenanceState header = io.factfleet.core.KeyedState.headerOf(entries);
        if (header == null) {
            return unknown(authorityId);
        }
        final RosterEntry member = io.factfleet.core.KeyedState.member(entries, deviceId);
        return rosterAnswer(authorityId, header, member == null ? List.of() : List.of(member),
                id -> io.factfleet.core.KeyedState.device(entries, id), io.factfleet.core.KeyedState.hardForksInForce(entries));
    }

    private static HttpAnswer rosterAnswer(final String authorityId, final MaintenanceState state, final List<RosterEntry> roster,
                                           final java.util.function.Function<String, io.factfleet.schema.state.DeviceState> deviceOf,
                                           final List<io.factfleet.core.UpgradeChecks.RequiredPackage> requiredPackages) {
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("authorityId", authorityId);
        body.put("identityEpoch", state.getIdentityEpoch());
        body.put("threshold", state.getThreshold());
        // From the epoch's header: the size of the whole roster, also in an answer that lists one device.
        body.put("memberCount", io.factfleet.core.Rosters.header(state, state.getIdentityEpoch())
                .map(io.factfleet.schema.state.RosterEpoch::getMemberCount).orElse(0));
        body.put("adminKeyId", state.getAdminKeyId());
        body.put("adminPublicKey", Hashing.hex(Canonical.array(state.getAdminPublicKey())));
        final ArrayNode members = body.putArray("members");
        for (final RosterEntry entry : roster) {
            final ObjectNode m = members.addObject();
            m.put("deviceId", entry.getDeviceId());
            m.put("keyId", entry.getKeyId());
            m.put("publicKey", Hashing.hex(Canonical.array(entry.getPublicKey())));
            final ObjectNode installed = m.putObject("installed");
            final io.factfleet.schema.state.DeviceState device = deviceOf.apply(entry.getDeviceId());
            if (device != null) {
                device.getInstalled().forEach(p -> installed.put(p.getPackageId(), p.getVersion()));
            }
        }
        final ArrayNode required = body.putArray("requiredPackages");
        for (final io.factfleet.core.UpgradeChecks.RequiredPackage r : requiredPackages) {
            final ObjectNode p = required.addObject();
            p.put("packageId", r.packageId());
            p.put("version", r.version());
            p.put("proposalId", r.proposalId());
            p.put("activationFence", r.activationFence());
        }
        return HttpAnswer.ok(body);
    }

    /**
     * {@code {authorityId, artifacts: [{proposalId, packageId, version, sha256, length}]}}: the artifacts the
     * authority's upgrades name ({@link ProtocolQueries#artifacts}), what the edge bridge lets the authority's
     * devices download.
     */
    public HttpAnswer artifacts(final String authorityId, final int partition) {
        final Optional<List<ProtocolQueries.ProposedArtifact>> artifacts = ProtocolQueries.artifacts(stores(partition), authorityId);
        if (artifacts.isEmpty()) {
            return unknown(authorityId);
        }
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("authorityId", authorityId);
        final ArrayNode list = body.putArray("artifacts");
        for (final ProtocolQueries.ProposedArtifact a : artifacts.get()) {
            list.addObject().put("proposalId", a.proposalId()).put("packageId", a.packageId()).put("version", a.version())
                    .put("sha256", a.sha256()).put("length", a.length());
        }
        return HttpAnswer.ok(body);
    }

    /**
     * {@code {key, epoch, floor, valid}}: whether a cache entry for {@code key} is valid at {@code epoch}
     * (valid only when epoch exceeds the key's invalidation floor; floor -1 when never invalidated).
     */
    public HttpAnswer cacheValidity(final String authorityId, final int partition, final String key, final long epoch) {
        final MaintenanceState state = state(partition, authorityId);
        if (state == null) {
            return unknown(authorityId);
        }
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("key", key);
        body.put("epoch", epoch);
        body.put("floor", io.factfleet.core.UpgradeChecks.cacheFloor(state, key));
        body.put("valid", io.factfleet.core.UpgradeChecks.cacheValid(state, key, epoch));
        return HttpAnswer.ok(body);
    }

    static ObjectNode statusJson(final ProtocolQueries.FactStatus status) {
        final ObjectNode node = HttpAnswer.JSON.createObjectNode();
        node.put("factId", status.factId());
        node.put("status", status.status().name());
        if (status.seq() == null) {
            node.putNull("seq");
        } else {
            node.put("seq", status.seq());
        }
        node.put("code", status.code());
        node.put("message", status.message());
        return node;
    }

    /**
     * The authority's state for pending work, with its index: the cached one while the header is unchanged, else
     * materialized again (O(state) once per change; each device's answer is then O(upgrades + proposals)).
     */
    private Materialized pendingState(final int partition, final String authorityId) {
        final ReadOnlyKeyValueStore<String, byte[]> store = stores(partition).store(ReducerStores.AUTHORITY_ENTRIES.name());
        final byte[] header = AuthorityEntries.readOnly(store, authorityId).get(io.factfleet.core.KeyedState.HEADER);
        if (header == null) {
            return null;
        }
        final Materialized cached = pendingStates.getIfPresent(authorityId);
        if (cached != null && java.util.Arrays.equals(cached.header(), header)) {
            return cached;
        }
        final MaintenanceState state = AuthorityEntries.state(store, authorityId);
        if (state == null) {
            return null;
        }
        // The weight, estimated without encoding the state again: a decoded entry takes a few hundred bytes of heap.
        final long entries = (long) state.getRoster().size() + state.getDevices().size() + state.getReadiness().size()
                + state.getReadyReports().size() + state.getApprovals().size() + state.getIgnored().size();
        final int weight = (int) Math.min(Integer.MAX_VALUE, 4L * header.length + 1_000L * entries);
        final Materialized materialized = new Materialized(header, state, PendingWork.index(state), weight);
        pendingStates.put(authorityId, materialized);
        return materialized;
    }

    private MaintenanceState state(final int partition, final String authorityId) {
        return AuthorityEntries.state(stores(partition).<byte[]>store(ReducerStores.AUTHORITY_ENTRIES.name()), authorityId);
    }

    private static HttpAnswer unknown(final String authorityId) {
        return HttpAnswer.error(404, HttpAnswer.ErrorCode.UNKNOWN_AUTHORITY, "nothing is known of authority " + authorityId);
    }

    private ProtocolQueries.StoreSource stores(final int partition) {
        final KafkaStreams app = streams.get();
        return new ProtocolQueries.StoreSource() {
            @Override
            public <V> ReadOnlyKeyValueStore<String, V> store(final String name) {
                return app.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()).withPartition(partition));
            }
        };
    }
}
