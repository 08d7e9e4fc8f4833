package io.factfleet.device;

import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The device's replica of its authority's journal, on disk, reduced with the same core
 * {@link Reducer} the server uses: for the same set of facts its {@link #digest()} equals the
 * server's state digest and its {@link #merkleRoot()} the server's Merkle root. Thread-safe.
 */
public final class LocalReplica implements AutoCloseable {
    private final Connection db;
    private final String authorityId;
    private final Reducer reducer;
    private final Map<String, FactEnvelope> facts = new HashMap<>();
    /** The snapshot this replica was compacted to (null: it holds every fact): its state and the ids it covers. */
    private MaintenanceState base;
    private String baseProposalId;
    private final Set<String> covered = new java.util.HashSet<>();
    private MaintenanceState state;

    private LocalReplica(final Connection db, final String authorityId, final Reducer reducer) {
        this.db = db;
        this.authorityId = authorityId;
        this.reducer = reducer;
    }

    /** Opens (or creates) the replica and reduces what it holds. */
    public static LocalReplica open(final Path file, final String authorityId, final Reducer reducer) {
        final LocalReplica replica = new LocalReplica(Sqlite.open(file), authorityId, reducer);
        try (Statement s = replica.db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS facts (fact_id TEXT PRIMARY KEY, fact BLOB NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), proposal_id TEXT NOT NULL, "
                    + "state BLOB NOT NULL, covered BLOB NOT NULL)");
            try (ResultSet rs = s.executeQuery("SELECT proposal_id, state, covered FROM snapshot WHERE id = 1")) {
                if (rs.next()) {
                    replica.baseProposalId = rs.getString(1);
                    replica.base = Canonical.decode(rs.getBytes(2), MaintenanceState.class);
                    final byte[] ids = rs.getBytes(3);
                    for (int i = 0; i + 32 <= ids.length; i += 32) {
                        replica.covered.add(io.factfleet.core.Hashing.hex(java.util.Arrays.copyOfRange(ids, i, i + 32)));
                    }
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT fact FROM facts")) {
                while (rs.next()) {
                    final FactEnvelope fact = Canonical.decode(rs.getBytes(1), FactEnvelope.class);
                    replica.facts.put(Facts.idHex(fact), fact);
                }
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot open the replica " + file + ": " + e.getMessage(), e);
        }
        replica.state = replica.refold();
        return replica;
    }

    /** The state of every fact: the snapshot's state with the facts held since folded on top, or all facts reduced. */
    private MaintenanceState refold() {
        return base == null ? reducer.reduce(authorityId, facts.values())
                : reducer.reduceFrom(MaintenanceState.newBuilder(base).build(), Long.MIN_VALUE, facts.values());
    }

    /**
     * Compacts the replica to a verified snapshot: its state becomes the replica's base, the facts it covers
     * are dropped (durably, in one transaction) and remembered by id only, and the state is the base with the
     * remaining facts folded on top. The Merkle root then covers the facts held since, as the server's does
     * once the snapshot's prefix was garbage collected.
     */
    public synchronized void compactTo(final String proposalId, final MaintenanceState snapshotState, final List<byte[]> coveredIds) {
        final java.io.ByteArrayOutputStream ids = new java.io.ByteArrayOutputStream();
        coveredIds.forEach(ids::writeBytes);
        try {
            db.setAutoCommit(false);
            try (PreparedStatement upsert = db.prepareStatement("INSERT OR REPLACE INTO snapshot (id, proposal_id, state, covered) VALUES (1, ?, ?, ?)");
                 PreparedStatement delete = db.prepareStatement("DELETE FROM facts WHERE fact_id = ?")) {
                upsert.setString(1, proposalId);
                upsert.setBytes(2, Canonical.bytes(snapshotState));
                upsert.setBytes(3, ids.toByteArray());
                upsert.executeUpdate();
                for (final byte[] id : coveredIds) {
                    delete.setString(1, io.factfleet.core.Hashing.hex(id));
                    delete.addBatch();
                }
                delete.executeBatch();
            }
            db.commit();
        } catch (final SQLException e) {
            try {
                db.rollback();
            } catch (final SQLException ignored) {
                // the original failure is what matters
            }
            throw new DeviceStorageException("cannot compact the replica to snapshot " + proposalId + ": " + e.getMessage(), e);
        } finally {
            try {
                db.setAutoCommit(true);
            } catch (final SQLException ignored) {
                // next statement will tell
            }
        }
        covered.clear();
        for (final byte[] id : coveredIds) {
            final String hex = io.factfleet.core.Hashing.hex(id);
            covered.add(hex);
            facts.remove(hex);
        }
        base = MaintenanceState.newBuilder(snapshotState).build();
        baseProposalId = proposalId;
        state = refold();
    }

    /** The snapshot this replica was compacted to, if any. */
    public synchronized java.util.Optional<String> snapshotProposalId() {
        return java.util.Optional.ofNullable(baseProposalId);
    }

    /** The snapshot state this replica was compacted to (a copy), or null. */
    public synchronized MaintenanceState base() {
        return base == null ? null : MaintenanceState.newBuilder(base).build();
    }

    /** Adds a fact of this authority; false when it was already known. Durable before the state changes. */
    public synchronized boolean add(final FactEnvelope fact) {
        if (!fact.getBody().getAuthorityId().equals(authorityId)) {
            throw new IllegalArgumentException("fact " + Facts.idHex(fact) + " belongs to authority " + fact.getBody().getAuthorityId()
                    + ", this replica holds " + authorityId);
        }
        final String id = Facts.idHex(fact);
        if (facts.containsKey(id) || covered.contains(id)) {
            return false;
        }
        try (PreparedStatement insert = db.prepareStatement("INSERT OR IGNORE INTO facts (fact_id, fact) VALUES (?, ?)")) {
            insert.setString(1, id);
            insert.setBytes(2, Canonical.bytes(fact));
            insert.executeUpdate();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot store fact " + id + ": " + e.getMessage(), e);
        }
        facts.put(id, fact);
        final Reducer.Step step = reducer.apply(MaintenanceState.newBuilder(state).build(), fact);
        state = step instanceof Reducer.Step.Applied applied ? applied.state() : refold();
        return true;
    }

    public String authorityId() {
        return authorityId;
    }

    /** A copy of the current state. */
    public synchronized MaintenanceState state() {
        return MaintenanceState.newBuilder(state).build();
    }

    /**
     * Whether a cache entry for {@code key} is valid at identity epoch {@code epoch}: only when epoch
     * exceeds the key's invalidation floor (floors only rise; a key never invalidated is valid).
     */
    public synchronized boolean isCacheValid(final String key, final long epoch) {
        return io.factfleet.core.UpgradeChecks.cacheValid(state, key, epoch);
    }

    public synchronized byte[] digest() {
        return StateDigest.of(state);
    }

    public synchronized byte[] merkleRoot() {
        final List<byte[]> ids = new ArrayList<>();
        facts.values().forEach(f -> ids.add(Facts.id(f)));
        return MerkleRoot.of(ids);
    }

    /** Whether the replica holds the fact or a snapshot it was compacted to covers it. */
    public synchronized boolean contains(final String factIdHex) {
        return facts.containsKey(factIdHex) || covered.contains(factIdHex);
    }

    public synchronized Set<String> factIds() {
        return new TreeSet<>(facts.keySet());
    }

    public synchronized List<FactEnvelope> facts() {
        return new ArrayList<>(facts.values());
    }

    /** The facts held (those a snapshot covers are not held). */
    public synchronized int size() {
        return facts.size();
    }

    /** Whether the replica is empty: no fact and no snapshot. */
    public synchronized boolean isEmpty() {
        return facts.isEmpty() && base == null;
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot close the replica: " + e.getMessage(), e);
        }
    }
}
