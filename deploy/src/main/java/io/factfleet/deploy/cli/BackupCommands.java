package io.factfleet.deploy.cli;

import io.factfleet.contracts.ServiceProperties;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Hashing;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.Snapshots;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.schema.snapshot.BackupContents;
import io.factfleet.snapshot.backup.ArchiveCipher;
import io.factfleet.snapshot.backup.BackupException;
import io.factfleet.snapshot.backup.BackupTool;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code factfleet backup} and {@code factfleet restore}: encrypted archives of one authority (see
 * snapshot-coordinator's README). The passphrase comes from {@code --passphrase-file} or the
 * {@code FACTFLEET_BACKUP_PASSPHRASE} environment variable, never from the command line.
 *
 * <p>Exit codes ({@link ExitCodes}): 0 done, 2 bad usage, 7 refused (tampered archive, wrong passphrase, untrusted roster,
 * authority already in the target, an existing output file), 3 Kafka or the registry cannot be reached.
 */
public final class BackupCommands {
    public static final String PASSPHRASE_ENV = "FACTFLEET_BACKUP_PASSPHRASE";

    private BackupCommands() {
    }

    /** Where the cluster is and how to read the passphrase. */
    static class Connection {
        @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", paramLabel = "HOST:PORT[,...]",
                description = "Kafka of the cluster (default: ${DEFAULT-VALUE}).")
        String bootstrapServers;

        @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (security settings and the like).")
        Path kafkaConfig;

        @Option(names = "--registry-url", defaultValue = "http://localhost:8081", paramLabel = "URL",
                description = "The cluster's schema registry (default: ${DEFAULT-VALUE}).")
        String registryUrl;

        @Option(names = "--passphrase-file", paramLabel = "FILE", description = "File whose first line is the passphrase (else $" + PASSPHRASE_ENV + ").")
        Path passphraseFile;

        @Option(names = "--registry-user", defaultValue = "local-operator", paramLabel = "USER",
                description = "The registry login's user (default: ${DEFAULT-VALUE}, as ./factfleet run creates it).")
        String registryUser;

        @Option(names = "--registry-password-file", defaultValue = "./.factfleet/operator.password", paramLabel = "FILE",
                description = "File holding the registry login's password, mode 600; used when it exists (default: ${DEFAULT-VALUE}). "
                        + "basic.auth.user.info in --kafka-config takes precedence.")
        Path registryPasswordFile;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        Map<String, Object> clientConfig() {
            final Properties p = ServiceProperties.load(Map.of(), kafkaConfig, Map.of(), Map.of("bootstrap.servers", bootstrapServers));
            final Map<String, Object> config = new HashMap<>();
            p.stringPropertyNames().forEach(k -> config.put(k, p.getProperty(k)));
            return config;
        }

        /** The registry client: a basic login (Confluent's way) from --kafka-config, else from the password file when it exists. */
        HttpSchemaRegistryClient registry() throws Exception {
            final Map<String, Object> config = new HashMap<>(clientConfig());
            config.put("schema.registry.url", registryUrl);
            if (!config.containsKey("basic.auth.user.info") && registryPasswordFile != null && Files.exists(registryPasswordFile)) {
                if (io.factfleet.deploy.internal.SecretFiles.isExposed(registryPasswordFile)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), registryPasswordFile
                            + " holds a password and can be read by other users; run: chmod 600 " + registryPasswordFile);
                }
                config.put("basic.auth.credentials.source", "USER_INFO");
                config.put("basic.auth.user.info", registryUser + ":" + Files.readString(registryPasswordFile, StandardCharsets.UTF_8).strip());
            }
            return new HttpSchemaRegistryClient(config);
        }

        char[] passphrase() throws Exception {
            if (passphraseFile != null) {
                if (io.factfleet.deploy.internal.SecretFiles.isExposed(passphraseFile)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), passphraseFile
                            + " holds the backup passphrase and can be read by other users; run: chmod 600 " + passphraseFile);
                }
                return Files.readAllLines(passphraseFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip().toCharArray();
            }
            final String env = System.getenv(PASSPHRASE_ENV);
            if (env != null && !env.isBlank()) {
                return env.toCharArray();
            }
            throw new CommandLine.ParameterException(spec.commandLine(), "give the passphrase with --passphrase-file or $" + PASSPHRASE_ENV);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        int refused(final RuntimeException e) {
            err().println("factfleet: " + e.getMessage());
            return e instanceof BackupException b && (b.code().equals("KAFKA_UNAVAILABLE") || b.code().equals("MISSING_TOPIC"))
                    ? ExitCodes.UNREACHABLE : ExitCodes.REFUSED;
        }

        void progress(final String what, final long done, final long total) {
            if (total > 0) {
                final int width = 30;
                final int filled = (int) Math.min(width, done * width / total);
                out().printf("\r%s [%s%s] %d/%d", what, "#".repeat(filled), ".".repeat(width - filled), done, total);
            } else {
                out().printf("\r%s %d facts read", what, done);
            }
            out().flush();
        }
    }

    @Command(name = "backup", mixinStandardHelpOptions = true,
            description = "Export an authority (latest snapshot + journal tail + roster chain) to an encrypted archive.")
    public static final class Backup extends Connection implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "AUTHORITY")
        String authority;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The archive to write (refuses to overwrite).")
        Path out;

        @Override
        public Integer call() throws Exception {
            final char[] passphrase = passphrase();
            if (Files.exists(out)) {
                err().println("factfleet: " + out + " exists; choose another --out");
                return ExitCodes.REFUSED;
            }
            final BackupContents contents;
            try {
                contents = BackupTool.export(clientConfig(), registry(), authority, (n, t) -> progress("Reading the journal", n, t));
            } catch (final BackupException | Snapshots.SnapshotException e) {
                return refused(e);
            }
            final byte[] archive = ArchiveCipher.seal(Canonical.bytes(contents), passphrase, new SecureRandom());
            Files.write(out, archive);
            out().println();
            out().printf("Backed up %s to %s: %s, %d tail facts, %d bytes (Argon2id + AES-256-GCM)%n", authority, out,
                    contents.getPointer() == null ? "no snapshot yet" : "snapshot " + contents.getPointer().getProposalId() + " covering "
                            + contents.getPointer().getCoveredFacts() + " facts", contents.getTail().size(), archive.length);
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = "Verify an encrypted archive (every certificate, every fact) and restore it into a cluster that does not know the authority.")
    public static final class Restore extends Connection implements Callable<Integer> {
        @Option(names = "--in", required = true, paramLabel = "FILE", description = "The archive.")
        Path in;

        @Option(names = "--operator-key", required = true, split = ",", paramLabel = "HEX",
                description = "Operator public key(s) the target cluster trusts (hex); the archive's genesis must be signed by one.")
        String[] operatorKeys;

        @Option(names = "--verify-only", description = "Verify the archive and stop; write nothing.")
        boolean verifyOnly;

        @Override
        public Integer call() throws Exception {
            final char[] passphrase = passphrase();
            final Map<String, byte[]> trusted = new HashMap<>();
            for (final String hex : operatorKeys) {
                final byte[] key = Hashing.unhex(hex.strip());
                trusted.put(Ed25519Keys.keyId(key), key);
            }
            final FactAdmission admission = new FactAdmission(trusted, SignatureVerifier.bouncyCastle());
            try {
                final BackupContents contents = BackupTool.read(Files.readAllBytes(in), passphrase);
                if (verifyOnly) {
                    final int tail = BackupTool.verify(contents, admission);
                    out().printf("%s verifies: authority %s, %s, %d tail facts%n", in, contents.getAuthorityId(),
                            contents.getPointer() == null ? "no snapshot" : "snapshot " + contents.getPointer().getProposalId(), tail);
                    return 0;
                }
                final BackupTool.Restored restored = BackupTool.restore(clientConfig(), registry(), contents, admission, Duration.ofSeconds(3),
                        (n, t) -> progress("Restoring the tail", n, t));
                out().println();
                out().printf("Restored %s: snapshot %s covering %d facts, %d tail facts sent to ingest%n", restored.authorityId(),
                        restored.snapshotProposalId(), restored.coveredFacts(), restored.tailFacts());
                return 0;
            } catch (final BackupException | Snapshots.SnapshotException e) {
                return refused(e);
            }
        }
    }
}
