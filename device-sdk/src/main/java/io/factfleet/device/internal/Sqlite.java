package io.factfleet.device.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Opens the SQLite databases the SDK keeps on the device. WAL journal with synchronous=FULL: a
 * transaction that returned is on disk (fsync'd), so it survives a process kill and a power loss.
 */
public final class Sqlite {
    private Sqlite() {
    }

    public static Connection open(final Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            final Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = connection.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
            }
            return connection;
        } catch (final SQLException | java.io.IOException e) {
            throw new DeviceStorageException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }
}
