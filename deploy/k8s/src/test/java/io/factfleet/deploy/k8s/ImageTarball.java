package io.factfleet.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An image tarball in the format {@code docker save} writes and {@code docker load} reads, as Jib's {@code buildTar}
 * makes it: {@code manifest.json} names the image's tags, its config file and its layers (tar files, gzip-compressed or
 * not) in order; the config holds what a container runtime starts (entrypoint, command, environment, user, working
 * directory) and the image's exposed ports and labels.
 *
 * @param file     the tarball
 * @param repoTags the names the image is loaded under, e.g. {@code ghcr.io/factfleet/schema-registry:0.1.0-SNAPSHOT}
 * @param config   the image's run configuration
 * @param layers   the layer files inside the tarball, base first
 */
record ImageTarball(Path file, List<String> repoTags, Config config, List<String> layers) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The run configuration of an image ({@code config} in the image config JSON), the fields a runtime reads.
     *
     * @param user       {@code uid[:gid]} or a name, empty for root
     * @param ports      exposed ports, e.g. {@code 8081/tcp}
     */
    record Config(List<String> entrypoint, List<String> cmd, Map<String, String> env, String user, String workingDir,
                  Set<String> ports, Map<String, String> labels) {
        /** The numeric user id, or -1 when the user is a name (which only the image's /etc/passwd resolves). */
        int uid() {
            final String id = user.split(":", 2)[0];
            if (id.isEmpty()) {
                return 0;
            }
            try {
                return Integer.parseInt(id);
            } catch (final NumberFormatException e) {
                return id.equals("root") ? 0 : -1;
            }
        }
    }

    /** Reads the manifest and the config of a tarball (not the layers). */
    static ImageTarball read(final Path file) {
        final Map<String, byte[]> small = new HashMap<>();
        final List<String> entries = new ArrayList<>();
        forEachEntry(file, (entry, in) -> {
            entries.add(entry.getName());
            if (entry.getName().endsWith(".json")) {
                small.put(entry.getName(), in.readAllBytes());
            }
        });
        try {
            final byte[] manifestBytes = small.get("manifest.json");
            if (manifestBytes == null) {
                throw new IllegalArgumentException(file + " has no manifest.json (entries: " + entries + ")");
            }
            final JsonNode manifest = JSON.readTree(manifestBytes);
            if (!manifest.isArray() || manifest.size() != 1) {
                throw new IllegalArgumentException(file + ": manifest.json should name one image, got " + manifest);
            }
            final JsonNode image = manifest.get(0);
            final String configName = image.path("Config").asText();
            final byte[] configBytes = small.get(configName);
            if (configBytes == null) {
                throw new IllegalArgumentException(file + ": the config " + configName + " named by manifest.json is missing");
            }
            final JsonNode c = JSON.readTree(configBytes).path("config");
            final Map<String, String> env = new LinkedHashMap<>();
            for (final String kv : strings(c.path("Env"))) {
                final int eq = kv.indexOf('=');
                env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
            final Map<String, String> labels = new LinkedHashMap<>();
            c.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            final Set<String> ports = new TreeSet<>();
            c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
            final Config config = new Config(strings(c.path("Entrypoint")), strings(c.path("Cmd")), env, c.path("User").asText(""),
                    c.path("WorkingDir").asText(""), ports, labels);
            final List<String> layers = strings(image.path("Layers"));
            for (final String layer : layers) {
                if (!entries.contains(layer)) {
                    throw new IllegalArgumentException(file + ": layer " + layer + " named by manifest.json is missing");
                }
            }
            return new ImageTarball(file, strings(image.path("RepoTags")), config, layers);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the image tarball " + file, e);
        }
    }

    /**
     * Unpacks every layer, base first, into {@code root}, as a container runtime lays out the image's file system:
     * later layers overwrite earlier ones, whiteout files ({@code .wh.<name>}) delete, modes are kept (the owner's,
     * group's and others' read, write and execute bits). Refuses an entry that would land outside {@code root}.
     */
    void extractTo(final Path root) {
        final Path base = root.toAbsolutePath().normalize();
        forEachEntry(file, (entry, in) -> {
            if (!layers.contains(entry.getName())) {
                return;
            }
            final InputStream layer = gunzipIfCompressed(in);
            final TarArchiveInputStream tar = new TarArchiveInputStream(layer);
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                final Path target = base.resolve(e.getName()).normalize();
                if (!target.startsWith(base)) {
                    throw new IllegalArgumentException(entry.getName() + ": entry " + e.getName() + " points outside the image's root");
                }
                final String name = target.getFileName() == null ? "" : target.getFileName().toString();
                if (name.startsWith(".wh.")) {
                    deleteRecursively(target.resolveSibling(name.substring(4)));
                    continue;
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(target.getParent());
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                    continue;
                } else if (e.isLink()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(base.resolve(e.getLinkName()).normalize(), target, StandardCopyOption.REPLACE_EXISTING);
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    continue; // devices and fifos: none in these images
                }
                Files.setPosixFilePermissions(target, permissions(e.getMode()));
            }
        });
    }

    /** Bytes of the whole tarball. */
    long size() {
        try {
            return Files.size(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    private interface EntryReader {
        void read(TarArchiveEntry entry, InputStream content) throws IOException;
    }

    private static void forEachEntry(final Path file, final EntryReader reader) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file)); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isFile()) {
                    reader.read(entry, tar);
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read the image tarball " + file, e);
        }
    }

    private static InputStream gunzipIfCompressed(final InputStream in) throws IOException {
        final BufferedInputStream buffered = new BufferedInputStream(in);
        buffered.mark(2);
        final int b1 = buffered.read();
        final int b2 = buffered.read();
        buffered.reset();
        return b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(buffered) : buffered;
    }

    private static Set<PosixFilePermission> permissions(final int mode) {
        final Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
        final PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                p.add(bits[i]);
            }
        }
        return p;
    }

    private static List<String> strings(final JsonNode array) {
        final List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static void deleteRecursively(final Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            for (final Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (final FileSystemException e) {
            throw new IOException("cannot delete " + path + " (a whiteout)", e);
        }
    }
}
