package io.factfleet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.StackMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code factfleet artifact upload}: what it stores, what it prints, and its refusals. */
class ArtifactCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... args) {
        final CommandLine cli = StackMain.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private Path artifact(final int length) throws Exception {
        final byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        final Path file = dir.resolve("firmware-" + length + ".bin");
        Files.write(file, bytes);
        return file;
    }

    private static long files(final Path root) throws Exception {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void anUploadPrintsTheHashAndLengthAsJsonAndStoresTheFileUnderItsHash() throws Exception {
        final Path file = artifact(3 * 1024 * 1024 + 5);
        final String sha256 = Hashing.hex(Hashing.sha256(Files.readAllBytes(file)));
        final Path store = dir.resolve("store");

        final int exit = run("artifact", "upload", file.toString(), "--store", store.toString(), "--output", "json");

        assertThat(exit).as(err.toString()).isEqualTo(ExitCodes.OK);
        final JsonNode outcome = JSON.readTree(out.toString());
        assertThat(outcome.path("sha256").asText()).isEqualTo(sha256);
        assertThat(outcome.path("length").asLong()).isEqualTo(3 * 1024 * 1024 + 5);
        assertThat(outcome.path("alreadyStored").asBoolean()).isFalse();
        assertThat(outcome.path("store").asText()).isEqualTo(store.toAbsolutePath().normalize().toString());
        assertThat(store.resolve(sha256.substring(0, 2)).resolve(sha256)).hasSameBinaryContentAs(file);
        assertThat(err.toString()).isEmpty(); // no progress bar with --output json
    }

    @Test
    void theSameFileTwiceIsAlreadyStored() throws Exception {
        final Path file = artifact(1000);
        final Path store = dir.resolve("store");
        run("artifact", "upload", file.toString(), "--store", store.toString(), "-o", "json");
        out.getBuffer().setLength(0);

        run("artifact", "upload", file.toString(), "--store", store.toString(), "-o", "json");

        assertThat(JSON.readTree(out.toString()).path("alreadyStored").asBoolean()).isTrue();
        assertThat(files(store)).isEqualTo(1);
    }

    @Test
    void withoutStoreTheArtifactGoesToTheDataDirectoryTheStackServes() throws Exception {
        final Path file = artifact(2000);
        final String sha256 = Hashing.hex(Hashing.sha256(Files.readAllBytes(file)));

        final int exit = run("artifact", "upload", file.toString(), "--data-dir", dir.resolve("data").toString());

        assertThat(exit).isEqualTo(ExitCodes.OK);
        assertThat(dir.resolve("data/artifacts").resolve(sha256.substring(0, 2)).resolve(sha256)).exists();
        assertThat(out.toString()).contains("artifactSha256=" + sha256).contains("artifactLength=2000");
    }

    @Test
    void aMissingFileIsBadUsage() {
        final int exit = run("artifact", "upload", dir.resolve("nope.bin").toString(), "--store", dir.resolve("store").toString());

        assertThat(exit).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("nope.bin does not exist");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void aFileAboveTheLimitIsRefusedAndNothingIsStored() throws Exception {
        final Path file = artifact(4097);
        final Path store = dir.resolve("store");

        final int exit = run("artifact", "upload", file.toString(), "--store", store.toString(), "--max-bytes", "4096", "-o", "json");

        assertThat(exit).isEqualTo(ExitCodes.REFUSED);
        assertThat(err.toString()).contains("larger than 4096 bytes").contains("nothing was stored");
        assertThat(out.toString()).isEmpty();
        assertThat(files(store)).isZero();
    }
}
