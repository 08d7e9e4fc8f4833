package io.factfleet.deploy.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An overlay as Kustomize renders it: {@code kubectl kustomize <overlay>} (Kustomize built into kubectl; local files
 * only, no cluster and no network), parsed like the files themselves.
 */
final class RenderedOverlay {
    private RenderedOverlay() {
    }

    /** kubectl on the PATH, if there is one. */
    static Optional<Path> kubectl() {
        final String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (final String dir : path.split(File.pathSeparator)) {
            final Path candidate = Path.of(dir, "kubectl");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The resources {@code kubectl kustomize} renders for {@code overlay}. */
    static List<HasMetadata> render(final Path kubectl, final Path overlay) {
        try {
            final Path out = Files.createTempFile("kustomize", ".yaml");
            final Path err = Files.createTempFile("kustomize", ".err");
            try {
                final Process process = new ProcessBuilder(kubectl.toString(), "kustomize", overlay.toString())
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("kubectl kustomize " + overlay + " did not finish in 120 s");
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("kubectl kustomize " + overlay + " failed: " + Files.readString(err, StandardCharsets.UTF_8));
                }
                return ManifestTree.parse(ManifestTree.serialization(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
