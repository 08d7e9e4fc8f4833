package io.factfleet.device;

import io.factfleet.core.Canonical;
import io.factfleet.core.Facts;
import io.factfleet.device.internal.DeviceStorageException;
import io.factfleet.device.internal.Sqlite;
import io.factfleet.schema.FactEnvelope;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The device's durable outbox: facts the device signed and has not yet seen acknowledged by the
 * bridge. {@link #enqueue} returns only once the fact is on disk (SQLite, WAL, synchronous=FULL),
 * so a fact survives a process kill or power loss between signing and acknowledgement; a fact
 * leaves the outbox only on an acknowledgement (accepted, duplicate, or rejected with a reason,
 * which is kept for the application to read). Thread-safe.
 */
public final class Outbox implements AutoCloseable {
    /** What the bridge said about a fact. */
    public enum Outcome { ACCEPTED, DUPLICATE, REJECTED }

    /** A fact waiting to be sent, with its delivery history. */
    public record PendingFact(long sequence, String factId, FactEnvelope fact, int attempts, long nextAttemptAtMillis) {
    }

    /** A fact's final outcome. */
    public record Delivery(String factId, Outcome outcome, String reasonCode, String message, long atMillis) {
    }

    private final Connection db;

    private Outbox(final Connection db) {
        this.db = db;
    }

    public static Outbox open(final Path file) {
        final Connection db = Sqlite.open(file);
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, fact_id TEXT NOT NULL UNIQUE, "
                    + "fact BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0, enqueued_ms INTEGER NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS delivered (fact_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, reason_code TEXT, "
                    + "message TEXT, at_ms INTEGER NOT NULL)");
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot create the outbox in " + file + ": " + e.getMessage(), e);
        }
        return new Outbox(db);
    }

    /** Stores the fact durably; a fact already pending or delivered is not stored twice. */
    public synchronized void enqueue(final FactEnvelope fact, final long nowMillis) {
        final String id = Facts.idHex(fact);
        try (PreparedStatement delivered = db.prepareStatement("SELECT 1 FROM delivered WHERE fact_id = ?")) {
            delivered.setString(1, id);
            try (ResultSet rs = delivered.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (PreparedStatement insert = db.prepareStatement(
                    "INSERT OR IGNORE INTO pending (fact_id, fact, enqueued_ms) VALUES (?, ?, ?)")) {
                insert.setString(1, id);
                insert.setBytes(2, Canonical.bytes(fact));
                insert.setLong(3, nowMillis);
                insert.executeUpdate();
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot store fact " + id + " in the outbox: " + e.getMessage(), e);
        }
    }

    /** Facts due at {@code nowMillis}, in the order they were enqueued. */
    public synchronized List<PendingFact> due(final long nowMillis, final int limit) {
        final List<PendingFact> out = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement(
                "SELECT seq, fact_id, fact, attempts, next_attempt_ms FROM pending WHERE next_attempt_ms <= ? ORDER BY seq LIMIT ?")) {
            q.setLong(1, nowMillis);
            q.setInt(2, limit);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new PendingFact(rs.getLong(1), rs.getString(2), Canonical.decode(rs.getBytes(3), FactEnvelope.class),
                            rs.getInt(4), rs.getLong(5)));
                }
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the outbox: " + e.getMessage(), e);
        }
        return out;
    }

    /** Records the bridge's answer and removes the fact from the pending set, in one transaction. */
    public synchronized void acknowledge(final String factId, final Outcome outcome, final String reasonCode, final String message,
                                         final long nowMillis) {
        try {
            db.setAutoCommit(false);
            try (PreparedStatement ins = db.prepareStatement(
                    "INSERT OR REPLACE INTO delivered (fact_id, outcome, reason_code, message, at_ms) VALUES (?, ?, ?, ?, ?)");
                 PreparedStatement del = db.prepareStatement("DELETE FROM pending WHERE fact_id = ?")) {
                ins.setString(1, factId);
                ins.setString(2, outcome.name());
                ins.setString(3, reasonCode);
                ins.setString(4, message);
                ins.setLong(5, nowMillis);
                ins.executeUpdate();
                del.setString(1, factId);
                del.executeUpdate();
            }
            db.commit();
        } catch (final SQLException e) {
            rollback();
            throw new DeviceStorageException("cannot record the acknowledgement of " + factId + ": " + e.getMessage(), e);
        } finally {
            autoCommit();
        }
    }

    /** Counts a failed attempt and schedules the next one. */
    public synchronized void retryAt(final String factId, final long nextAttemptAtMillis) {
        try (PreparedStatement u = db.prepareStatement("UPDATE pending SET attempts = attempts + 1, next_attempt_ms = ? WHERE fact_id = ?")) {
            u.setLong(1, nextAttemptAtMillis);
            u.setString(2, factId);
            u.executeUpdate();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot reschedule " + factId + ": " + e.getMessage(), e);
        }
    }

    public synchronized int pendingCount() {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM pending")) {
            return rs.next() ? rs.getInt(1) : 0;
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot count the outbox: " + e.getMessage(), e);
        }
    }

    public synchronized Optional<Delivery> delivery(final String factId) {
        try (PreparedStatement q = db.prepareStatement("SELECT outcome, reason_code, message, at_ms FROM delivered WHERE fact_id = ?")) {
            q.setString(1, factId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(new Delivery(factId, Outcome.valueOf(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getLong(4)))
                        : Optional.empty();
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the delivery of " + factId + ": " + e.getMessage(), e);
        }
    }

    /** Every fact the bridge has acknowledged, with its outcome. */
    public synchronized List<Delivery> deliveries() {
        final List<Delivery> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT fact_id, outcome, reason_code, message, at_ms FROM delivered ORDER BY at_ms")) {
            while (rs.next()) {
                out.add(new Delivery(rs.getString(1), Outcome.valueOf(rs.getString(2)), rs.getString(3), rs.getString(4), rs.getLong(5)));
            }
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot read the deliveries: " + e.getMessage(), e);
        }
        return out;
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (final SQLException ignored) {
            // the original failure is what the caller needs to see
        }
    }

    private void autoCommit() {
        try {
            db.setAutoCommit(true);
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot restore auto-commit: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (final SQLException e) {
            throw new DeviceStorageException("cannot close the outbox: " + e.getMessage(), e);
        }
    }
}
