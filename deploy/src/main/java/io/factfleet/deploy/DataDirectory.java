package io.factfleet.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the stack keeps everything between runs. Deleting the directory resets the stack.
 *
 * <pre>
 * &lt;data-dir&gt;/
 *   operator.key            the operator root key's seed (hex, mode 600), generated on first run
 *   broker/                 the local broker: server.properties, log4j2.xml, cluster.id
 *   broker/logs/            Kafka's log.dirs (topics, metadata log, meta.properties)
 *   state/ingest/           fact-ingest's Kafka Streams state.dir
 *   state/reducer/          the reducer's Kafka Streams state.dir (RocksDB stores)
 *   artifacts/              the artifact store (upgrade images by SHA-256) the edge bridge serves; filled by
 *                           {@code factfleet artifact upload}
 *   demo/authority.properties  the demo authority's keys (only with --demo)
 *   simulator/              the simulated fleet (only with --simulate): its authorities' and devices' keys,
 *                           outboxes, replicas and sync cursors
 *   logs/factfleet.log      the services' log
 *   logs/broker.log         the broker's output
 * </pre>
 *
 * @param root the data directory, absolute
 */
public record DataDirectory(Path root) {

    public DataDirectory {
        root = root.toAbsolutePath().normalize();
    }

    /** Creates the directories that must exist before anything starts. */
    public DataDirectory create() {
        try {
            Files.createDirectories(logs());
            Files.createDirectories(ingestState());
            Files.createDirectories(reducerState());
            Files.createDirectories(artifacts());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + root + ": " + e.getMessage(), e);
        }
        return this;
    }

    public Path operatorKey() {
        return root.resolve("operator.key");
    }

    /** Who may call the services (mode 600; created on first start, granting the local operator admin on every authority). */
    public Path operatorsFile() {
        return root.resolve("operators.json");
    }

    /** The local operator's basic-auth password (mode 600), for a browser on the console and for curl. */
    public Path operatorPassword() {
        return root.resolve("operator.password");
    }

    /** The services' own credentials for calling each other (mode 600 each). */
    public Path serviceKeys() {
        return root.resolve("keys");
    }

    public Path broker() {
        return root.resolve("broker");
    }

    public Path ingestState() {
        return root.resolve("state").resolve("ingest");
    }

    public Path reducerState() {
        return root.resolve("state").resolve("reducer");
    }

    /** The OTA coordinator's Streams state. */
    public Path otaState() {
        return root.resolve("state").resolve("ota");
    }

    /** The admin key ring the coordinators sign with (mode 600): demo and simulated authorities add their admin keys. */
    public Path adminKeys() {
        return root.resolve("admin-keys.properties");
    }

    public Path snapshotState() {
        return root.resolve("snapshot-coordinator");
    }

    public Path demoAuthority() {
        return root.resolve("demo").resolve("authority.properties");
    }

    /** The artifact store: upgrade artifacts by SHA-256 ({@code FileArtifactStore}), served by the edge bridge. */
    public Path artifacts() {
        return root.resolve("artifacts");
    }

    public Path simulator() {
        return root.resolve("simulator");
    }

    public Path logs() {
        return root.resolve("logs");
    }

    public Path serviceLog() {
        return logs().resolve("factfleet.log");
    }

    public Path brokerLog() {
        return logs().resolve("broker.log");
    }
}
