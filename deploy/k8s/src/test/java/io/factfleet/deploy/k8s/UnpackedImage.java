package io.factfleet.deploy.k8s;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An image's file system unpacked into a directory, and its entrypoint run from there as a process of this host, the
 * nearest thing to a container without a container runtime: the entrypoint's executable is the image's own (its Java
 * runtime) when the image holds it, the image's absolute paths in the arguments ({@code /app/...}) are rewritten to
 * the unpacked directory, the environment is the image's plus the given variables (nothing of this JVM's), and the
 * working directory is the image's. Not isolated: the process sees the host's file system, network and C libraries
 * (the dynamic loader the executable names is the host's).
 */
final class UnpackedImage {
    private final ImageTarball image;
    private final Path root;

    private UnpackedImage(final ImageTarball image, final Path root) {
        this.image = image;
        this.root = root;
    }

    /** Unpacks {@code image}'s layers into {@code root}. */
    static UnpackedImage unpack(final ImageTarball image, final Path root) {
        image.extractTo(root);
        return new UnpackedImage(image, root);
    }

    Path root() {
        return root;
    }

    /** Whether the image holds a file at its absolute path {@code path}. */
    boolean contains(final String path) {
        return Files.isRegularFile(inImage(path));
    }

    /** The host path of an absolute path in the image. */
    Path inImage(final String path) {
        return root.resolve(path.replaceFirst("^/+", ""));
    }

    /** The command that runs the entrypoint and command here, with {@code entrypoint} in place of the image's own. */
    List<String> command(final List<String> entrypoint) {
        return command(entrypoint, image.config().cmd());
    }

    /** As {@link #command(List)} with {@code args} in place of the image's command (as {@code docker run image args...}). */
    List<String> command(final List<String> entrypoint, final List<String> args) {
        final List<String> command = new ArrayList<>();
        final String executable = entrypoint.get(0);
        if (contains(executable)) {
            command.add(inImage(executable).toString());
        } else {
            // An image whose Java runtime is in a base layer this tarball does not carry: the host's.
            command.add(ProcessHandle.current().info().command().orElse("java"));
        }
        for (final String arg : entrypoint.subList(1, entrypoint.size())) {
            command.add(rewrite(arg));
        }
        for (final String arg : args) {
            command.add(rewrite(arg));
        }
        return command;
    }

    /**
     * Starts {@code entrypoint} (the image's, or another for a negative test) with the image's environment plus
     * {@code environment}, output to {@code log}.
     */
    Process start(final List<String> entrypoint, final Map<String, String> environment, final Path log) {
        return start(entrypoint, image.config().cmd(), environment, log);
    }

    /** As {@link #start(List, Map, Path)} with {@code args} in place of the image's command. */
    Process start(final List<String> entrypoint, final List<String> args, final Map<String, String> environment, final Path log) {
        final ProcessBuilder builder = new ProcessBuilder(command(entrypoint, args)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        final String workingDir = image.config().workingDir().isEmpty() ? "/" : image.config().workingDir();
        builder.directory(inImage(workingDir).toFile());
        builder.environment().clear();
        image.config().env().forEach((k, v) -> builder.environment().put(k, rewritePaths(v)));
        builder.environment().putAll(environment);
        try {
            Files.createDirectories(inImage(workingDir));
            Files.createDirectories(log.getParent());
            Files.writeString(log, "$ " + String.join(" ", builder.command()) + System.lineSeparator(), StandardCharsets.UTF_8);
            return builder.start();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start " + builder.command(), e);
        }
    }

    /** SIGTERM, then SIGKILL after {@code seconds}. */
    static void stop(final Process process, final int seconds) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(seconds, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** An argument that is an image path, or a class path of image paths, pointed at the unpacked directory. */
    private String rewrite(final String arg) {
        return arg.startsWith("/") ? rewritePaths(arg) : arg;
    }

    private String rewritePaths(final String value) {
        final List<String> parts = new ArrayList<>();
        for (final String part : value.split(":", -1)) {
            parts.add(part.startsWith("/") ? root.resolve(part.substring(1)).toString() : part);
        }
        return String.join(":", parts);
    }
}
