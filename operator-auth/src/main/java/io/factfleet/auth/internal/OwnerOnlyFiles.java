package io.factfleet.auth.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Secret files: readable and writable by their owner only (mode 600), where the file system knows modes. */
public final class OwnerOnlyFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private OwnerOnlyFiles() {
    }

    /**
     * The file's text, refusing a file others may read or write.
     *
     * @throws IOException with a message saying which {@code chmod} fixes it
     */
    public static String read(final Path file, final String what) throws IOException {
        if (supportsPosix(file)) {
            final Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(p -> !OWNER_ONLY.contains(p))) {
                throw new IOException(what + " " + file + " has mode " + PosixFilePermissions.toString(mode)
                        + ": it holds secrets or grants, so it must be readable by its owner only; run: chmod 600 " + file);
            }
        }
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** Writes {@code text} to {@code file} (replacing it atomically) through a temporary file created with mode 600. */
    public static void write(final Path file, final String text) throws IOException {
        final Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        final Path tmp = supportsPosix(file)
                ? Files.createTempFile(dir, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static boolean supportsPosix(final Path file) {
        return file.toAbsolutePath().getParent().getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
