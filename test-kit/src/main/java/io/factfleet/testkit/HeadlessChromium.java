package io.factfleet.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (Debian's {@code chromium} package) run as a command: {@code --dump-dom} prints the DOM after the
 * page loaded and ran its scripts, {@code --screenshot} writes a PNG. Tests that need it skip, through a JUnit assumption,
 * when {@link #find} finds none ({@code .ci/run} installs it).
 *
 * <pre>{@code
 * HeadlessChromium chromium = HeadlessChromium.find(tempDir).orElse(null);
 * Assumptions.assumeTrue(chromium != null, "chromium is not installed ...");
 * String dom = chromium.dumpDom("http://localhost:8070/lag");
 * }</pre>
 */
public final class HeadlessChromium {
    private static final long TIMEOUT_SECONDS = 60;
    private final Path binary;
    private final Path profile;

    private HeadlessChromium(final Path binary, final Path profile) {
        this.binary = binary;
        this.profile = profile;
    }

    /** The {@code chromium} (or {@code chromium-browser}) on the PATH, if any, with its profile in {@code profile}. */
    public static Optional<HeadlessChromium> find(final Path profile) {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            for (final String name : List.of("chromium", "chromium-browser")) {
                final Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(new HeadlessChromium(candidate, profile));
                }
            }
        }
        return Optional.empty();
    }

    public String dumpDom(final String url) throws IOException, InterruptedException {
        return run(List.of("--dump-dom", url));
    }

    /**
     * The DOM after the page ran for {@code virtualMillis} of virtual time (timers fire, fetches complete): what a page that
     * refreshes itself shows after a while.
     */
    public String dumpDomAfter(final String url, final long virtualMillis) throws IOException, InterruptedException {
        return run(List.of("--virtual-time-budget=" + virtualMillis, "--dump-dom", url));
    }

    public void screenshot(final String url, final Path png) throws IOException, InterruptedException {
        Files.createDirectories(png.getParent());
        Files.deleteIfExists(png);
        run(List.of("--window-size=1400,900", "--screenshot=" + png.toAbsolutePath(), url));
        if (!Files.exists(png)) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(final List<String> args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--disable-gpu", "--no-sandbox",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(), "--no-first-run"));
        command.addAll(args);
        final Path err = Files.createTempFile("chromium", ".err");
        final Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
        final byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("chromium did not finish within " + TIMEOUT_SECONDS + " s: " + command);
        }
        if (process.exitValue() != 0) {
            throw new IOException("chromium exited with " + process.exitValue() + ": " + Files.readString(err));
        }
        Files.deleteIfExists(err);
        return new String(out, StandardCharsets.UTF_8);
    }
}
