package io.factfleet.device;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.device.internal.DeviceStorageException;
import io.factfleet.device.internal.Sqlite;
import io.factfleet.schema.FactEnvelope;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A device: its key, its durable outbox, its local replica, and the loops that move facts to and
 * from the edge bridge. {@link #sign} signs a fact at the replica's identity epoch and stores it in
 * the outbox before returning; {@link #flush} sends what is due, with backoff, until the bridge
 * acknowledges it; {@link #sync} catches the replica up with the server's journal; {@link #pollPending}
 * asks what awaits this device. Call them from your own scheduler, or let {@link #runOnce} do one
 * round of each.
 */
public final class DeviceAgent implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BATCH = 200;

    private final String authorityId;
    private final String deviceId;
    private final DeviceSigner signer;
    private final Outbox outbox;
    private final LocalReplica replica;
    private final BridgeClient bridge;
    private final Backoff backoff;
    private final LongSupplier clock;
    private final Connection syncDb;
    private final Map<String, FactEnvelope> ownUnconfirmed = new LinkedHashMap<>();
    private final List<Consumer<io.factfleet.core.PendingWork>> pendingListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile io.factfleet.core.PendingWork lastPending;
    private java.util.concurrent.ScheduledExecutorService background;

    /** The anti-entropy figures of the last sync, for operators and the bench. */
    public record SyncReport(int roundTrips, long overheadBytes, int factsReceived, boolean inSync, String mode) {
    }

    private DeviceAgent(final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key, final Path dataDir,
                        final URI bridgeUri, final Backoff backoff, final LongSupplier clock) {
        this.authorityId = authorityId;
        this.deviceId = deviceId;
        this.clock = clock;
        this.signer = new DeviceSigner(authorityId, deviceId, key, clock);
        this.outbox = Outbox.open(dataDir.resolve("outbox.db"));
        this.replica = LocalReplica.open(dataDir.resolve("replica.db"), authorityId, Reducer.standard());
        this.bridge = new BridgeClient(bridgeUri, authorityId, deviceId, key, clock);
        this.backoff = backoff;
        this.syncDb = Sqlite.open(dataDir.resolve("sync.db"));
        try (Statement s = syncDb.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), index_id TEXT NOT NULL, after_seq INTEGER NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS own_unconfirmed (fact_id TEXT PRIMARY KEY, fact BLOB NOT NULL)");
            try (ResultSet rs = s.executeQuery("SELECT fact FROM own_unconfirmed")) {
                while (rs.next()) {
                    final FactEnvelope fact = io.factfleet.core.Canonical.decode(rs.getBytes(1), FactEnvelope.class);
                    ownUnconfirmed.put(Facts.idHex(fact), fact);
                }
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot open the sync state: " + e.getMessage(), e);
        }
    }

    /**
     * Opens a device whose key lives in {@code dataDir/device.key} (created on first use) and whose
     * outbox, replica and cursor live beside it.
     */
    public static DeviceAgent open(final String authorityId, final String deviceId, final Path dataDir, final URI bridgeUri) {
        return open(authorityId, deviceId, DeviceKeyStore.loadOrCreate(dataDir.resolve("device.key")), dataDir, bridgeUri,
                new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30)), System::currentTimeMillis);
    }

    public static DeviceAgent open(final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key, final Path dataDir,
                                   final URI bridgeUri, final Backoff backoff, final LongSupplier clock) {
        return new DeviceAgent(authorityId, deviceId, key, dataDir, bridgeUri, backoff, clock);
    }

    public String deviceId() {
        return deviceId;
    }

    public LocalReplica replica() {
        return replica;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** Signs {@code payload} at the replica's identity epoch and stores it durably in the outbox. */
    public FactEnvelope sign(final Object payload) {
        final long epoch = Math.max(0, replica.identityEpoch());
        final FactEnvelope fact = signer.sign(epoch, payload);
        outbox.enqueue(fact, clock.getAsLong());
        return fact;
    }

    /**
     * Approves a snapshot proposal after the caller checked {@code digest} against its own replica:
     * signs the approval statement and the fact, and stores the fact in the outbox.
     */
    public FactEnvelope approveSnapshot(final String proposalId, final long targetEpoch, final byte[] digest) {
        final FactEnvelope fact = signer.approveSnapshot(Math.max(0, replica.identityEpoch()), proposalId, targetEpoch, digest);
        outbox.enqueue(fact, clock.getAsLong());
        return fact;
    }

    /** What {@link #approveOpenSnapshots} did with one open proposal. */
    public record SnapshotDecision(String proposalId, boolean approved, String reason) {
    }

    /**
     * Answers every open snapshot proposal this device has not answered yet: recomputes the prefix
     * digest from its own replica ({@link io.factfleet.core.Snapshots#prefixDigest}: every fact it holds
     * except the proposal's own) and approves only when it equals the proposal's digest. Sync first, so
     * the replica holds the journal up to the proposal; the approvals go through the outbox.
     */
    public synchronized List<SnapshotDecision> approveOpenSnapshots() {
        final io.factfleet.schema.state.MaintenanceState state = replica.state();
        final java.util.Set<String> answered = new java.util.HashSet<>();
        state.getApprovals().forEach(a -> {
            if (a.getDeviceId().equals(deviceId)) {
                answered.add(a.getProposalId());
            }
        });
        answered.addAll(approvedHere);
        final List<SnapshotDecision> decisions = new ArrayList<>();
        for (final io.factfleet.schema.state.ProposalState p : state.getProposals()) {
            if (p.getStatus() != io.factfleet.schema.state.ProposalStatus.OPEN || answered.contains(p.getProposalId())) {
                continue;
            }
            final byte[] mine = io.factfleet.core.Snapshots.prefixDigest(REDUCER, authorityId, replica.base(), replica.facts(), p.getProposalId());
            if (Arrays.equals(mine, io.factfleet.core.Canonical.array(p.getPrefixDigest()))) {
                approveSnapshot(p.getProposalId(), p.getTargetEpoch(), mine);
                approvedHere.add(p.getProposalId());
                decisions.add(new SnapshotDecision(p.getProposalId(), true, "digest " + Hashing.hex(mine) + " matches this replica"));
            } else {
                decisions.add(new SnapshotDecision(p.getProposalId(), false, "DIGEST_MISMATCH: this replica's prefix digest is "
                        + Hashing.hex(mine) + "; sync and try again, or the proposal does not describe the journal this device holds"));
            }
        }
        return decisions;
    }

    /**
     * An online device's answer to snapshot proposals: waits up to {@code wait} in the bridge's pending-work long poll;
     * when work is pending, syncs, approves every open proposal whose digest matches this replica and sends the
     * approvals. Returns the decisions (none when nothing was pending).
     */
    public List<SnapshotDecision> answerSnapshotRequests(final Duration wait) {
        final List<SnapshotDecision> decisions = new ArrayList<>();
        pollPending(wait, pending -> {
            sync();
            decisions.addAll(approveOpenSnapshots());
            if (decisions.stream().anyMatch(SnapshotDecision::approved)) {
                flush();
            }
        });
        return decisions;
    }

    private static final Reducer REDUCER = Reducer.standard();
    /** Proposals this agent approved since it opened (their approvals may still be in the outbox). */
    private final java.util.Set<String> approvedHere = new java.util.HashSet<>();

    /** Reports readiness for an upgrade (READY, or NOT_READY / REJECTED with a reason) through the outbox. */
    public FactEnvelope reportReadiness(final String proposalId, final String packageId, final long version,
                                        final io.factfleet.schema.ReadinessStatus status, final String reason) {
        final FactEnvelope fact = signer.readiness(Math.max(0, replica.identityEpoch()), proposalId, packageId, version, status, reason);
        outbox.enqueue(fact, clock.getAsLong());
        return fact;
    }

    /**
     * Verifies an upgrade before reporting readiness ({@link UpgradeReadiness}): certificate, package,
     * expiry and version against the replica, then the downloaded artifact; reports READY or
     * REJECTED with the reason through the outbox. Empty, with nothing reported, when the replica
     * does not hold the proposal yet.
     */
    public java.util.Optional<UpgradeReadiness.Decision> verifyAndReportReadiness(final String proposalId, final String packageId,
                                                                              final long installedVersion, final java.io.InputStream artifact) {
        final java.util.Optional<UpgradeReadiness.Decision> decision = UpgradeReadiness.decide(replica.state(), replica.facts(), proposalId,
                packageId, installedVersion, artifact, clock.getAsLong(), io.factfleet.core.SignatureVerifier.bouncyCastle());
        decision.ifPresent(d -> reportReadiness(d.proposalId(), d.packageId(), d.version(), d.status(), d.reason()));
        return decision;
    }

    /** Whether a cache entry for {@code key} is valid at {@code epoch} by the replica: only when epoch exceeds its floor. */
    public boolean isCacheValid(final String key, final long epoch) {
        return replica.isCacheValid(key, epoch);
    }

    /** Stores an already signed fact (for example one signed by the authority's admin) in the outbox. */
    public void enqueue(final FactEnvelope fact) {
        outbox.enqueue(fact, clock.getAsLong());
    }

    /**
     * Sends every due fact in batches; returns how many the bridge acknowledged. A batch the bridge
     * could not take is retried later with backoff; nothing leaves the outbox unacknowledged.
     */
    public int flush() {
        int acknowledged = 0;
        while (true) {
            final int sent = flushOnce(BATCH);
            if (sent <= 0) {
                return acknowledged;
            }
            acknowledged += sent;
        }
    }

    /**
     * Sends one batch of at most {@code maxFacts} due facts. Returns how many the bridge
     * acknowledged, 0 when nothing was due, or -1 when the bridge could not take the batch (the
     * facts are rescheduled with backoff and stay in the outbox).
     */
    public int flushOnce(final int maxFacts) {
        final List<Outbox.PendingFact> due = outbox.due(clock.getAsLong(), maxFacts);
        if (due.isEmpty()) {
            return 0;
        }
        final List<BridgeClient.SubmitResult> results;
        try {
            results = bridge.submit(due.stream().map(Outbox.PendingFact::fact).toList());
        } catch (final BridgeException e) {
            for (final Outbox.PendingFact p : due) {
                final Duration wait = e.retryAfter().orElse(backoff.delay(p.attempts()));
                outbox.retryAt(p.factId(), clock.getAsLong() + wait.toMillis());
            }
            return -1;
        }
        final Map<String, Outbox.PendingFact> byId = new LinkedHashMap<>();
        due.forEach(p -> byId.put(p.factId(), p));
        int acknowledged = 0;
        for (final BridgeClient.SubmitResult r : results) {
            final Outbox.PendingFact p = byId.get(r.factId());
            if (p == null) {
                continue;
            }
            if (r.outcome() != Outbox.Outcome.REJECTED) {
                rememberOwn(p.fact());
            }
            outbox.acknowledge(r.factId(), r.outcome(), r.code(), r.message(), clock.getAsLong());
            acknowledged++;
        }
        return acknowledged;
    }

    /**
     * Catches the replica up with the server's journal (edge-bridge/PROTOCOL.md): by cursor when it
     * has one, else with a salted Bloom filter of what it holds; repeats until its Merkle root
     * equals the server's or a bounded number of rounds passed.
     */
    public SyncReport sync() {
        if (replica.isEmpty()) {
            hydrateFromSnapshot();
        }
        final SyncReport report = syncRounds();
        if (!report.inSync() && compactToSnapshot()) {
            // The server garbage-collected a snapshot's prefix: compacted, this replica's root can match again.
            final SyncReport again = syncRounds();
            return new SyncReport(report.roundTrips() + again.roundTrips() + 1, report.overheadBytes() + again.overheadBytes(),
                    report.factsReceived() + again.factsReceived(), again.inSync(), again.mode() + "+snapshot");
        }
        return report;
    }

    /**
     * Operator public keys (key id to key) this device trusts: with them a device that starts empty verifies the
     * authority's latest snapshot (its roster chain from an operator-signed genesis, then its certificate) and
     * hydrates from it instead of replaying a journal whose prefix was garbage collected.
     */
    public DeviceAgent trustOperatorKeys(final Map<String, byte[]> operatorKeys) {
        this.operatorKeys = Map.copyOf(operatorKeys);
        return this;
    }

    private Map<String, byte[]> operatorKeys = Map.of();

    /** An empty replica: restore from the latest snapshot, verified against the trusted operator keys. */
    private void hydrateFromSnapshot() {
        final java.util.Optional<BridgeClient.Snapshot> snapshot = bridge.snapshot();
        if (snapshot.isEmpty()) {
            return; // no snapshot: the journal still holds every fact
        }
        if (operatorKeys.isEmpty()) {
            throw new BridgeException(0, "SNAPSHOT_UNTRUSTED", "authority " + authorityId + " has snapshot " + snapshot.get().proposalId()
                    + " and its prefix may be garbage collected; give this device the operator's public key (trustOperatorKeys) "
                    + "so that it can verify the snapshot and start from it", null);
        }
        final Relayed relayed = Relayed.of(snapshot.get());
        final io.factfleet.core.Snapshots.Verified verified = relayed.verify(operatorKeys);
        replica.compactTo(relayed.proposalId(), verified.state(), verified.coveredFactIds());
    }

    /**
     * When the replica's state names a completed snapshot it is not compacted to, fetch the latest snapshot,
     * verify its certificate against this replica's own roster, and compact to it. Returns whether it did.
     */
    private boolean compactToSnapshot() {
        final io.factfleet.schema.state.SnapshotRef last = replica.header().getLastSnapshot();
        if (last == null || last.getProposalId().equals(replica.snapshotProposalId().orElse(null))) {
            return false;
        }
        final java.util.Optional<BridgeClient.Snapshot> snapshot = bridge.snapshot();
        if (snapshot.isEmpty() || snapshot.get().proposalId().equals(replica.snapshotProposalId().orElse(null))) {
            return false;
        }
        final Relayed relayed = Relayed.of(snapshot.get());
        final io.factfleet.schema.state.MaintenanceState state = relayed.verifyAgainst(replica.state());
        final List<byte[]> covered = new ArrayList<>();
        relayed.blob().getCoveredFactIds().forEach(b -> covered.add(io.factfleet.core.Canonical.array(b)));
        replica.compactTo(relayed.proposalId(), state, covered);
        return true;
    }

    /** Whether the replica's state names a completed snapshot the replica is not compacted to. */
    private boolean snapshotNewerThanReplica() {
        final io.factfleet.schema.state.SnapshotRef last = replica.header().getLastSnapshot();
        return last != null && !last.getProposalId().equals(replica.snapshotProposalId().orElse(null));
    }

    /** A snapshot as the bridge relays it, decoded (not yet verified); package-private for the fuzz test. */
    record Relayed(String proposalId, String cid, io.factfleet.schema.snapshot.SnapshotBlob blob, FactEnvelope completion) {
        /** @throws io.factfleet.core.Snapshots.SnapshotException SNAPSHOT_UNDECODABLE when the pointer, blob or completion does not decode */
        static Relayed of(final BridgeClient.Snapshot s) {
            try {
                final io.factfleet.schema.snapshot.SnapshotPointer pointer = io.factfleet.core.Canonical.decode(s.pointer(),
                        io.factfleet.schema.snapshot.SnapshotPointer.class);
                return new Relayed(pointer.getProposalId(), io.factfleet.core.Snapshots.cid(s.blob()),
                        io.factfleet.core.Canonical.decode(s.blob(), io.factfleet.schema.snapshot.SnapshotBlob.class),
                        io.factfleet.core.Canonical.decode(io.factfleet.core.Canonical.array(pointer.getCompletion()), FactEnvelope.class));
            } catch (final IllegalArgumentException e) {
                throw new io.factfleet.core.Snapshots.SnapshotException("SNAPSHOT_UNDECODABLE", "the snapshot " + s.proposalId()
                        + " the bridge relayed does not decode (" + e.getMessage() + "); it is not used");
            }
        }

        /** Verified from a genesis signed by one of {@code operatorKeys} (a device that starts empty). */
        io.factfleet.core.Snapshots.Verified verify(final Map<String, byte[]> operatorKeys) {
            final io.factfleet.core.SignatureVerifier verifier = io.factfleet.core.SignatureVerifier.bouncyCastle();
            return io.factfleet.core.Snapshots.verify(blob, cid, completion, new io.factfleet.core.FactAdmission(operatorKeys, verifier), verifier);
        }

        /** Verified against the roster of the replica's own {@code trusted} state; the state to compact to. */
        io.factfleet.schema.state.MaintenanceState verifyAgainst(final io.factfleet.schema.state.MaintenanceState trusted) {
            return io.factfleet.core.Snapshots.verifyAgainst(blob, cid, completion, trusted, io.factfleet.core.SignatureVerifier.bouncyCastle());
        }
    }

    private SyncReport syncRounds() {
        int rounds = 0;
        long overhead = 0;
        int received = 0;
        String mode = "cursor";
        Cursor cursor = cursor();
        boolean inSync = false;
        while (rounds < 8 && !inSync) {
            final SaltedBloomFilter bloom;
            if (cursor == null) {
                mode = "bloom";
                final byte[] salt = new byte[SaltedBloomFilter.SALT_BYTES];
                RANDOM.nextBytes(salt);
                final List<byte[]> ids = new ArrayList<>();
                replica.facts().forEach(f -> ids.add(Facts.id(f)));
                ownUnconfirmed.values().forEach(f -> ids.add(Facts.id(f)));
                bloom = SaltedBloomFilter.of(salt, Math.max(ids.size(), 16), 0.001, ids);
            } else {
                bloom = null;
            }
            final BridgeClient.SyncAnswer answer;
            try {
                answer = bridge.sync(cursor == null ? "" : cursor.indexId(), cursor == null ? 0 : cursor.afterSeq(),
                        replica.merkleRoot(), bloom, cursor == null);
            } catch (final BridgeException e) {
                if (!"INDEX_CHANGED".equals(e.code())) {
                    throw e;
                }
                rounds++;
                cursor = null; // the server renumbered its facts: this cursor means nothing, use the Bloom filter
                continue;
            }
            rounds++;
            overhead += answer.requestBytes() + answer.responseBytes();
            received += replica.addAll(answer.facts());
            answer.facts().forEach(fact -> forgetOwn(Facts.idHex(fact)));
            if (cursor != null && !cursor.indexId().equals(answer.indexId())) {
                cursor = null; // the server's numbering changed: fall back to the Bloom filter
                continue;
            }
            cursor = new Cursor(answer.indexId(), answer.upToSeq());
            saveCursor(cursor);
            if (!answer.complete()) {
                continue;
            }
            inSync = Arrays.equals(replica.merkleRoot(), answer.merkleRoot()) || confirmOwnByRoot(answer.merkleRoot());
            if (!inSync && bloom == null) {
                // A cursor round is exact: a mismatch means some of our own facts are not in the journal
                // (not ingested yet, or rejected). After a Bloom round it may be a false positive instead,
                // which another round with a new salt fixes without asking about every fact we signed.
                inSync = confirmOwnByStatus(answer.merkleRoot());
            }
            if (!inSync && snapshotNewerThanReplica()) {
                break; // the server may have pruned a snapshot's prefix: compact first (sync() does), then the roots can agree
            }
            if (!inSync && mode.equals("bloom")) {
                cursor = null; // a Bloom false positive hid a fact: another round with a new salt
            } else if (!inSync) {
                cursor = null;
            }
        }
        return new SyncReport(rounds, overhead, received, inSync, mode);
    }

    /**
     * The server does not send back facts this device signed; the device adds them to its replica
     * once the server's root shows they are in the journal. Returns whether the replica is in sync.
     */
    private boolean confirmOwnByRoot(final byte[] serverRoot) {
        if (ownUnconfirmed.isEmpty()) {
            return false;
        }
        final List<byte[]> ids = new ArrayList<>();
        replica.facts().forEach(f -> ids.add(Facts.id(f)));
        ownUnconfirmed.values().forEach(f -> ids.add(Facts.id(f)));
        if (Arrays.equals(MerkleRoot.of(ids), serverRoot)) {
            new ArrayList<>(ownUnconfirmed.values()).forEach(f -> {
                replica.add(f);
                forgetOwn(Facts.idHex(f));
            });
            return true;
        }
        return false;
    }

    /** Asks the server about our own unconfirmed facts (the rare path: some are not in the journal). */
    private boolean confirmOwnByStatus(final byte[] serverRoot) {
        if (ownUnconfirmed.isEmpty()) {
            return false;
        }
        for (final BridgeClient.FactStatus s : bridge.statuses(new ArrayList<>(ownUnconfirmed.keySet()))) {
            final FactEnvelope fact = ownUnconfirmed.get(s.factId());
            if (fact == null) {
                continue;
            }
            if ("IN_JOURNAL".equals(s.status())) {
                replica.add(fact);
                forgetOwn(s.factId());
            } else if ("REJECTED".equals(s.status())) {
                outbox.acknowledge(s.factId(), Outbox.Outcome.REJECTED, s.code(), s.message(), clock.getAsLong());
                forgetOwn(s.factId());
            }
        }
        return Arrays.equals(replica.merkleRoot(), serverRoot);
    }

    /** One long-poll for pending work; the listener hears about it when there is any. */
    public void pollPending(final Duration wait, final Consumer<JsonNode> listener) {
        bridge.pending(wait).filter(p -> p.path("snapshotApprovals").size() > 0 || p.path("upgradeReadiness").size() > 0)
                .ifPresent(listener);
    }

    /**
     * Registers a listener for what awaits this device (snapshot proposals to approve, upgrades to
     * report readiness on). It is told after a sync whenever the pending work computed from the
     * device's own replica ({@link io.factfleet.core.PendingWork#forDevice}, the same function the
     * server uses) changes and is not empty.
     */
    public void onPendingWork(final Consumer<io.factfleet.core.PendingWork> listener) {
        pendingListeners.add(listener);
    }

    /** What awaits this device according to its replica now. */
    public io.factfleet.core.PendingWork pendingWork() {
        return io.factfleet.core.PendingWork.forDevice(replica.state(), deviceId, clock.getAsLong());
    }

    private void notifyPending() {
        if (pendingListeners.isEmpty()) {
            return;
        }
        final io.factfleet.core.PendingWork now = pendingWork();
        final io.factfleet.core.PendingWork before = lastPending;
        lastPending = now;
        if (!now.isEmpty() && (before == null || !before.snapshotApprovals().equals(now.snapshotApprovals())
                || !before.upgradeReadiness().equals(now.upgradeReadiness()))) {
            pendingListeners.forEach(l -> l.accept(now));
        }
    }

    /** One round: send what is due, then catch up, then tell pending-work listeners. */
    public SyncReport runOnce() {
        flush();
        final SyncReport report = sync();
        notifyPending();
        return report;
    }

    /**
     * Runs {@link #runOnce} in the background every {@code interval}: what the device signs is sent
     * and resent with backoff until acknowledged, and its replica keeps catching up. Failures
     * (bridge unreachable, rate limits) only delay the next round; the outbox keeps everything.
     */
    public synchronized void startBackground(final Duration interval) {
        if (background != null) {
            return;
        }
        background = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "factfleet-device-" + deviceId);
            t.setDaemon(true);
            return t;
        });
        background.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
            } catch (final RuntimeException e) {
                // BridgeException or storage trouble: the next round retries; nothing leaves the outbox unacknowledged.
            }
        }, 0, interval.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Stops the background loop started by {@link #startBackground}. */
    public synchronized void stopBackground() {
        if (background != null) {
            background.shutdownNow();
            try {
                background.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            background = null;
        }
    }

    /** The facts this device signed that the bridge took but the replica does not hold yet. */
    public int unconfirmedOwnFacts() {
        return ownUnconfirmed.size();
    }

    private record Cursor(String indexId, long afterSeq) {
    }

    private Cursor cursor() {
        try (Statement s = syncDb.createStatement(); ResultSet rs = s.executeQuery("SELECT index_id, after_seq FROM cursor WHERE id = 1")) {
            return rs.next() ? new Cursor(rs.getString(1), rs.getLong(2)) : null;
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the sync cursor: " + e.getMessage(), e);
        }
    }

    private void saveCursor(final Cursor cursor) {
        try (PreparedStatement p = syncDb.prepareStatement("INSERT OR REPLACE INTO cursor (id, index_id, after_seq) VALUES (1, ?, ?)")) {
            p.setString(1, cursor.indexId());
            p.setLong(2, cursor.afterSeq());
            p.executeUpdate();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot save the sync cursor: " + e.getMessage(), e);
        }
    }

    private void rememberOwn(final FactEnvelope fact) {
        final String id = Facts.idHex(fact);
        if (replica.contains(id) || ownUnconfirmed.containsKey(id)) {
            return;
        }
        try (PreparedStatement p = syncDb.prepareStatement("INSERT OR IGNORE INTO own_unconfirmed (fact_id, fact) VALUES (?, ?)")) {
            p.setString(1, id);
            p.setBytes(2, io.factfleet.core.Canonical.bytes(fact));
            p.executeUpdate();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot remember fact " + id + ": " + e.getMessage(), e);
        }
        ownUnconfirmed.put(id, fact);
    }

    private void forgetOwn(final String factId) {
        if (ownUnconfirmed.remove(factId) == null) {
            return;
        }
        try (PreparedStatement p = syncDb.prepareStatement("DELETE FROM own_unconfirmed WHERE fact_id = ?")) {
            p.setString(1, factId);
            p.executeUpdate();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot forget fact " + factId + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stopBackground();
        outbox.close();
        replica.close();
        try {
            syncDb.close();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot close the sync state: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DeviceAgent[" + authorityId + "/" + deviceId + " key " + signer.key().keyId() + ", replica " + Hashing.hex(replica.merkleRoot()).substring(0, 12) + "]";
    }
}
