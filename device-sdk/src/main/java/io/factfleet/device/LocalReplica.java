package io.factfleet.device;

import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
import io.factfleet.core.KeyedState;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.device.internal.DeviceStorageException;
import io.factfleet.device.internal.Sqlite;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The device's replica of its authority's journal, on disk, reduced with the same core
 * {@link Reducer} the server uses: for the same set of facts its {@link #digest()} equals the
 * server's state digest and its {@link #merkleRoot()} the server's Merkle root. Thread-safe.
 *
 * <p>Nothing grows on the heap with the authority: the facts, the ids a snapshot covers and the
 * reduced state live in SQLite, the state as {@link KeyedState} entries (the reducer's layout), so
 * folding a fact reads and writes a handful of rows, whatever the roster's size. {@link #state()}
 * assembles the whole state on demand (a transient copy); {@link #header()}, {@link #identityEpoch()}
 * and {@link #isCacheValid} read single entries. Each fact is stored with the entries it changes in
 * one transaction. The entries carry the state schema's fingerprint: a replica written by an SDK
 * whose state layout differs is refolded from its facts when opened.
 */
public final class LocalReplica implements AutoCloseable {
    private static final String LAYOUT = Long.toHexString(org.apache.avro.SchemaNormalization.parsingFingerprint64(MaintenanceState.getClassSchema()));
    private final Connection db;
    private final String authorityId;
    private final Reducer reducer;
    private final KeyedState.Entries entries;
    /** The snapshot this replica was compacted to (null: it holds every fact). */
    private String baseProposalId;
    private int size;
    /** Cached until the next change. */
    private byte[] digest;
    private byte[] merkleRoot;

    private LocalReplica(final Connection db, final String authorityId, final Reducer reducer) {
        this.db = db;
        this.authorityId = authorityId;
        this.reducer = reducer;
        this.entries = new SqliteEntries(db);
    }

    /** Opens (or creates) the replica; refolds its facts when its state entries are missing or of another layout. */
    public static LocalReplica open(final Path file, final String authorityId, final Reducer reducer) {
        final LocalReplica replica = new LocalReplica(Sqlite.open(file), authorityId, reducer);
        try (Statement s = replica.db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS facts (fact_id TEXT PRIMARY KEY, fact BLOB NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), proposal_id TEXT NOT NULL, "
                    + "state BLOB NOT NULL, covered BLOB NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS covered (fact_id TEXT PRIMARY KEY)");
            s.execute("CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, value BLOB NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
            try (ResultSet rs = s.executeQuery("SELECT proposal_id, covered FROM snapshot WHERE id = 1")) {
                if (rs.next()) {
                    replica.baseProposalId = rs.getString(1);
                    replica.migrateCovered(rs.getBytes(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM facts")) {
                replica.size = rs.next() ? rs.getInt(1) : 0;
            }
            String layout = null;
            try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE name = 'layout'")) {
                if (rs.next()) {
                    layout = rs.getString(1);
                }
            }
            if (!LAYOUT.equals(layout)) {
                replica.inTransaction("rebuild the replica's state", () -> {
                    if (replica.size > 0 || replica.baseProposalId != null) {
                        replica.writeState(replica.refold());
                    } else {
                        try (Statement clear = replica.db.createStatement()) {
                            clear.execute("DELETE FROM entries");
                        }
                    }
                    try (PreparedStatement meta = replica.db.prepareStatement("INSERT OR REPLACE INTO meta (name, value) VALUES ('layout', ?)")) {
                        meta.setString(1, LAYOUT);
                        meta.executeUpdate();
                    }
                });
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot open the replica " + file + ": " + e.getMessage(), e);
        }
        return replica;
    }

    /** A replica written before the covered ids had a table of their own kept them in one blob. */
    private void migrateCovered(final byte[] ids) throws SQLException {
        if (ids == null || ids.length < 32) {
            return;
        }
        inTransaction("move the covered fact ids into their table", () -> {
            try (PreparedStatement insert = db.prepareStatement("INSERT OR IGNORE INTO covered (fact_id) VALUES (?)");
                 PreparedStatement clear = db.prepareStatement("UPDATE snapshot SET covered = ? WHERE id = 1")) {
                for (int i = 0; i + 32 <= ids.length; i += 32) {
                    insert.setString(1, io.factfleet.core.Hashing.hex(java.util.Arrays.copyOfRange(ids, i, i + 32)));
                    insert.addBatch();
                }
                insert.executeBatch();
                clear.setBytes(1, new byte[0]);
                clear.executeUpdate();
            }
        });
    }

    /** The state of every fact, reduced from scratch: the snapshot's state with the facts held since folded on top, or all facts. */
    private MaintenanceState refold() {
        final MaintenanceState base = base();
        final List<FactEnvelope> all = facts();
        return base == null ? reducer.reduce(authorityId, all) : reducer.reduceFrom(base, Long.MIN_VALUE, all);
    }

    private void writeState(final MaintenanceState state) {
        KeyedState.replace(entries, state);
        digest = null;
        merkleRoot = null;
    }

    /**
     * Compacts the replica to a verified snapshot: its state becomes the replica's base, the facts it covers
     * are dropped and remembered by id only, and the state is the base with the remaining facts folded on
     * top, all in one transaction. The Merkle root then covers the facts held since, as the server's does
     * once the snapshot's prefix was garbage collected.
     */
    public synchronized void compactTo(final String proposalId, final MaintenanceState snapshotState, final List<byte[]> coveredIds) {
        try {
            inTransaction("compact the replica to snapshot " + proposalId, () -> {
                try (PreparedStatement upsert = db.prepareStatement("INSERT OR REPLACE INTO snapshot (id, proposal_id, state, covered) VALUES (1, ?, ?, ?)");
                     PreparedStatement clear = db.prepareStatement("DELETE FROM covered");
                     PreparedStatement cover = db.prepareStatement("INSERT OR IGNORE INTO covered (fact_id) VALUES (?)");
                     PreparedStatement delete = db.prepareStatement("DELETE FROM facts WHERE fact_id = ?")) {
                    upsert.setString(1, proposalId);
                    upsert.setBytes(2, Canonical.bytes(snapshotState));
                    upsert.setBytes(3, new byte[0]);
                    upsert.executeUpdate();
                    clear.executeUpdate();
                    for (final byte[] id : coveredIds) {
                        final String hex = io.factfleet.core.Hashing.hex(id);
                        cover.setString(1, hex);
                        cover.addBatch();
                        delete.setString(1, hex);
                        delete.addBatch();
                    }
                    cover.executeBatch();
                    delete.executeBatch();
                }
                writeState(refold());
            });
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM facts")) {
                size = rs.next() ? rs.getInt(1) : 0;
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot compact the replica to snapshot " + proposalId + ": " + e.getMessage(), e);
        }
        baseProposalId = proposalId;
    }

    /** The snapshot this replica was compacted to, if any. */
    public synchronized java.util.Optional<String> snapshotProposalId() {
        return java.util.Optional.ofNullable(baseProposalId);
    }

    /** The snapshot state this replica was compacted to (read from disk), or null. */
    public synchronized MaintenanceState base() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT state FROM snapshot WHERE id = 1")) {
            return rs.next() ? Canonical.decode(rs.getBytes(1), MaintenanceState.class) : null;
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the replica's snapshot: " + e.getMessage(), e);
        }
    }

    /** Adds a fact of this authority; false when it was already known. The fact and the state it changes are stored in one transaction. */
    public synchronized boolean add(final FactEnvelope fact) {
        if (!fact.getBody().getAuthorityId().equals(authorityId)) {
            throw new IllegalArgumentException("fact " + Facts.idHex(fact) + " belongs to authority " + fact.getBody().getAuthorityId()
                    + ", this replica holds " + authorityId);
        }
        final String id = Facts.idHex(fact);
        if (contains(id)) {
            return false;
        }
        try {
            inTransaction("store fact " + id, () -> {
                try (PreparedStatement insert = db.prepareStatement("INSERT OR IGNORE INTO facts (fact_id, fact) VALUES (?, ?)")) {
                    insert.setString(1, id);
                    insert.setBytes(2, Canonical.bytes(fact));
                    insert.executeUpdate();
                }
                if (KeyedState.apply(reducer, entries, authorityId, fact) instanceof Reducer.Step.NeedsRefold) {
                    writeState(refold());
                }
            });
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot store fact " + id + ": " + e.getMessage(), e);
        }
        size++;
        digest = null;
        merkleRoot = null;
        return true;
    }

    /**
     * Adds facts of this authority in one transaction (a sync page: one disk flush, not one per fact); the
     * number that were new. All or nothing on a storage failure.
     */
    public synchronized int addAll(final java.util.Collection<FactEnvelope> batch) {
        final java.util.Map<String, FactEnvelope> fresh = new java.util.LinkedHashMap<>();
        for (final FactEnvelope fact : batch) {
            if (!fact.getBody().getAuthorityId().equals(authorityId)) {
                throw new IllegalArgumentException("fact " + Facts.idHex(fact) + " belongs to authority " + fact.getBody().getAuthorityId()
                        + ", this replica holds " + authorityId);
            }
            final String id = Facts.idHex(fact);
            if (!fresh.containsKey(id) && !contains(id)) {
                fresh.put(id, fact);
            }
        }
        if (fresh.isEmpty()) {
            return 0;
        }
        try {
            inTransaction("store " + fresh.size() + " facts", () -> {
                try (PreparedStatement insert = db.prepareStatement("INSERT OR IGNORE INTO facts (fact_id, fact) VALUES (?, ?)")) {
                    for (final java.util.Map.Entry<String, FactEnvelope> e : fresh.entrySet()) {
                        insert.setString(1, e.getKey());
                        insert.setBytes(2, Canonical.bytes(e.getValue()));
                        insert.executeUpdate();
                        if (KeyedState.apply(reducer, entries, authorityId, e.getValue()) instanceof Reducer.Step.NeedsRefold) {
                            writeState(refold());
                        }
                    }
                }
            });
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot store " + fresh.size() + " facts: " + e.getMessage(), e);
        }
        size += fresh.size();
        digest = null;
        merkleRoot = null;
        return fresh.size();
    }

    public String authorityId() {
        return authorityId;
    }

    /** The whole current state, assembled from its entries (a transient copy: O(devices) while it is held). */
    public synchronized MaintenanceState state() {
        final MaintenanceState state = KeyedState.materialize(entries);
        return state != null ? state : reducer.reduce(authorityId, List.of());
    }

    /** The state without its per-device sets (roster, devices, readiness, approvals, cache floors, ignored facts): one entry. */
    public synchronized MaintenanceState header() {
        final MaintenanceState header = KeyedState.headerOf(entries);
        return header != null ? Reducer.finished(header) : KeyedState.header(reducer.reduce(authorityId, List.of()));
    }

    /** The authority's current identity epoch (-1 before its genesis), from the header. */
    public synchronized long identityEpoch() {
        return header().getIdentityEpoch();
    }

    /**
     * Whether a cache entry for {@code key} is valid at identity epoch {@code epoch}: only when epoch
     * exceeds the key's invalidation floor (floors only rise; a key never invalidated is valid). One entry.
     */
    public synchronized boolean isCacheValid(final String key, final long epoch) {
        return epoch > KeyedState.cacheFloor(entries, key);
    }

    public synchronized byte[] digest() {
        if (digest == null) {
            digest = StateDigest.of(state());
        }
        return digest.clone();
    }

    public synchronized byte[] merkleRoot() {
        if (merkleRoot == null) {
            final List<byte[]> ids = new ArrayList<>();
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT fact_id FROM facts")) {
                while (rs.next()) {
                    ids.add(io.factfleet.core.Hashing.unhex(rs.getString(1)));
                }
            } catch (final SQLException e) {
                throw new DeviceStorageException("cannot read the replica's fact ids: " + e.getMessage(), e);
            }
            merkleRoot = MerkleRoot.of(ids);
        }
        return merkleRoot.clone();
    }

    /** Whether the replica holds the fact or a snapshot it was compacted to covers it. */
    public synchronized boolean contains(final String factIdHex) {
        try (PreparedStatement q = db.prepareStatement("SELECT 1 FROM facts WHERE fact_id = ? UNION ALL SELECT 1 FROM covered WHERE fact_id = ?")) {
            q.setString(1, factIdHex);
            q.setString(2, factIdHex);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next();
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot look up fact " + factIdHex + ": " + e.getMessage(), e);
        }
    }

    public synchronized Set<String> factIds() {
        final Set<String> ids = new TreeSet<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT fact_id FROM facts")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the replica's fact ids: " + e.getMessage(), e);
        }
        return ids;
    }

    /** The facts held (read from disk, in fact-id order). */
    public synchronized List<FactEnvelope> facts() {
        final List<FactEnvelope> all = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT fact FROM facts ORDER BY fact_id")) {
            while (rs.next()) {
                all.add(Canonical.decode(rs.getBytes(1), FactEnvelope.class));
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the replica's facts: " + e.getMessage(), e);
        }
        return all;
    }

    /** The facts held (those a snapshot covers are not held). */
    public synchronized int size() {
        return size;
    }

    /** Whether the replica is empty: no fact and no snapshot. */
    public synchronized boolean isEmpty() {
        return size == 0 && baseProposalId == null;
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot close the replica: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface Work {
        void run() throws SQLException;
    }

    /** Runs {@code work} in one transaction: all of it is on disk, or none of it (and the cached figures are dropped). */
    private void inTransaction(final String what, final Work work) throws SQLException {
        db.setAutoCommit(false);
        try {
            work.run();
            db.commit();
        } catch (final SQLException | RuntimeException e) {
            try {
                db.rollback();
            } catch (final SQLException ignored) {
                // the original failure is what matters
            }
            digest = null;
            merkleRoot = null;
            throw e;
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (final SQLException ignored) {
                // the next statement will tell
            }
        }
    }

    /** {@link KeyedState.Entries} in the replica's {@code entries} table (keys as UTF-8 bytes: SQLite compares blobs bytewise, as RocksDB does). */
    private static final class SqliteEntries implements KeyedState.Entries {
        private final Connection db;

        SqliteEntries(final Connection db) {
            this.db = db;
        }

        private static byte[] key(final String key) {
            return key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public byte[] get(final String key) {
            try (PreparedStatement q = db.prepareStatement("SELECT value FROM entries WHERE key = ?")) {
                q.setBytes(1, key(key));
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            } catch (final SQLException e) {
                throw new DeviceStorageException("cannot read the replica's state: " + e.getMessage(), e);
            }
        }

        @Override
        public void put(final String key, final byte[] value) {
            try (PreparedStatement q = db.prepareStatement("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)")) {
                q.setBytes(1, key(key));
                q.setBytes(2, value);
                q.executeUpdate();
            } catch (final SQLException e) {
                throw new DeviceStorageException("cannot write the replica's state: " + e.getMessage(), e);
            }
        }

        @Override
        public void delete(final String key) {
            try (PreparedStatement q = db.prepareStatement("DELETE FROM entries WHERE key = ?")) {
                q.setBytes(1, key(key));
                q.executeUpdate();
            } catch (final SQLException e) {
                throw new DeviceStorageException("cannot write the replica's state: " + e.getMessage(), e);
            }
        }

        @Override
        public void scan(final String prefix, final java.util.function.BiConsumer<String, byte[]> visitor) {
            final byte[] low = key(prefix);
            final String sql = low.length == 0 ? "SELECT key, value FROM entries ORDER BY key"
                    : "SELECT key, value FROM entries WHERE key >= ? AND substr(key, 1, ?) = ? ORDER BY key";
            try (PreparedStatement q = db.prepareStatement(sql)) {
                if (low.length > 0) {
                    q.setBytes(1, low);
                    q.setInt(2, low.length);
                    q.setBytes(3, low);
                }
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        visitor.accept(new String(rs.getBytes(1), java.nio.charset.StandardCharsets.UTF_8), rs.getBytes(2));
                    }
                }
            } catch (final SQLException e) {
                throw new DeviceStorageException("cannot read the replica's state: " + e.getMessage(), e);
            }
        }
    }
}
