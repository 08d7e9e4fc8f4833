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
            try (ResultSet rs = s.executeQuery("SELECT fact FROM facts")) {
                while (rs.next()) {
                    final FactEnvelope fact = Canonical.decode(rs.getBytes(1), FactEnvelope.class);
                    replica.facts.put(Facts.idHex(fact), fact);
                }
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot open the replica " + file + ": " + e.getMessage(), e);
        }
        replica.state = reducer.reduce(authorityId, replica.facts.values());
        return replica;
    }

    /** Adds a fact of this authority; false when it was already known. Durable before the state changes. */
    public synchronized boolean add(final FactEnvelope fact) {
        if (!fact.getBody().getAuthorityId().equals(authorityId)) {
            throw new IllegalArgumentException("fact " + Facts.idHex(fact) + " belongs to authority " + fact.getBody().getAuthorityId()
                    + ", this replica holds " + authorityId);
        }
        final String id = Facts.idHex(fact);
        if (facts.containsKey(id)) {
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
        state = step instanceof Reducer.Step.Applied applied ? applied.state() : reducer.reduce(authorityId, facts.values());
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

    public synchronized boolean contains(final String factIdHex) {
        return facts.containsKey(factIdHex);
    }

    public synchronized Set<String> factIds() {
        return new TreeSet<>(facts.keySet());
    }

    public synchronized List<FactEnvelope> facts() {
        return new ArrayList<>(facts.values());
    }

    public synchronized int size() {
        return facts.size();
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
