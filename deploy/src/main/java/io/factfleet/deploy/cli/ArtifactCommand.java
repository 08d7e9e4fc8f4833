package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.artifacts.ArtifactTooLargeException;
import io.factfleet.artifacts.FileArtifactStore;
import io.factfleet.artifacts.StoredArtifact;
import io.factfleet.deploy.DataDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code factfleet artifact upload FILE}: streams an upgrade artifact into the artifact store (the directory the
 * local stack's edge bridge serves at {@code GET /v1/authorities/{authorityId}/artifacts/{sha256}} to the devices of an
 * authority whose upgrade names it) and prints its SHA-256 and length, the
 * values of {@code UpgradeMetadata.artifactSha256} and {@code artifactLength}.
 */
@Command(name = "artifact", mixinStandardHelpOptions = true,
        description = "Upgrade artifacts: upload one into the artifact store the edge bridge serves to devices.",
        subcommands = {ArtifactCommand.Upload.class})
public final class ArtifactCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code factfleet artifact upload FILE}. */
    @Command(name = "upload", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Stream FILE into the artifact store (content-addressed by SHA-256; never held in memory) and print its SHA-256 "
                    + "and length, to put into the upgrade metadata (artifactSha256, artifactLength). Uploading the same bytes again "
                    + "changes nothing."},
            footer = {"", "Exit codes: 0 stored (or already stored), 1 the store could not be written, 2 bad usage or FILE unreadable, "
                    + "7 refused: FILE is larger than --max-bytes (nothing was stored)."})
    public static final class Upload implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The artifact (a firmware image, a package).")
        Path file;

        @Option(names = "--store", paramLabel = "DIR",
                description = "The artifact store's directory (default: <data-dir>/artifacts, what `factfleet run` serves).")
        Path store;

        @Option(names = "--data-dir", defaultValue = "./.factfleet", paramLabel = "DIR",
                description = "The local stack's data directory, for the default --store (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--max-bytes", paramLabel = "BYTES",
                description = "Refuse an artifact larger than this (default: 4 GiB, " + FileArtifactStore.DEFAULT_MAX_LENGTH + ").")
        long maxBytes = FileArtifactStore.DEFAULT_MAX_LENGTH;

        @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
                description = "text (a progress bar and a summary) or json (one document: sha256, length, alreadyStored, store, file) "
                        + "(default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            final boolean json = output == OutputFormat.json;
            final Path dir = store != null ? store : new DataDirectory(dataDir).artifacts();
            if (maxBytes < 0) {
                return fail(err, ExitCodes.USAGE, "--max-bytes must not be negative");
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                return fail(err, ExitCodes.USAGE, file + (Files.exists(file) ? " is not a readable file" : " does not exist"));
            }
            final StoredArtifact stored;
            try (InputStream in = Files.newInputStream(file)) {
                final long size = Files.size(file);
                if (size > maxBytes) {
                    throw new ArtifactTooLargeException(maxBytes); // the store would refuse it too, after reading it all
                }
                final FileArtifactStore artifacts = new FileArtifactStore(dir, maxBytes);
                try (Progress progress = json ? null : Progress.start(err, "Uploading", size)) {
                    stored = artifacts.put(in, read -> {
                        if (progress != null) {
                            progress.stepTo(read);
                        }
                    });
                    if (progress != null) {
                        progress.finish();
                    }
                }
            } catch (final ArtifactTooLargeException e) {
                return fail(err, ExitCodes.REFUSED, file + " is larger than " + e.maxLength() + " bytes (--max-bytes); nothing was stored");
            } catch (final NoSuchFileException e) {
                return fail(err, ExitCodes.USAGE, file + " does not exist");
            } catch (final IOException e) {
                return fail(err, ExitCodes.FAILURE, "cannot store " + file + " in " + dir + ": " + e);
            }
            final Path where = dir.toAbsolutePath().normalize();
            if (json) {
                final ObjectNode outcome = OperatorHttp.JSON.createObjectNode();
                outcome.put("sha256", stored.hash().hex());
                outcome.put("length", stored.length());
                outcome.put("alreadyStored", stored.alreadyStored());
                outcome.put("store", where.toString());
                outcome.put("file", file.toString());
                out.println(outcome);
            } else {
                out.printf("%s %s: %d bytes, SHA-256 %s, in %s%n", stored.alreadyStored() ? "Already stored" : "Stored", file, stored.length(),
                        stored.hash().hex(), where);
                out.printf("Upgrade metadata: artifactSha256=%s artifactLength=%d%n", stored.hash().hex(), stored.length());
                out.printf("Once an upgrade of their authority names it, devices download it from the edge bridge: "
                        + "GET /v1/authorities/<authorityId>/artifacts/%s%n", stored.hash().hex());
            }
            out.flush();
            return ExitCodes.OK;
        }

        private static int fail(final PrintWriter err, final int code, final String message) {
            err.println("factfleet artifact upload: " + message);
            err.flush();
            return code;
        }
    }
}
