package io.factfleet.deploy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Files holding private keys: readable and writable by their owner only (mode 600) where the file system knows modes. */
public final class SecretFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private SecretFiles() {
    }

    /**
     * Writes {@code text} to a new file created with mode 600, so the secret is never readable by others,
     * not even briefly.
     *
     * @throws FileAlreadyExistsException if the file exists
     */
    public static void createOwnerOnly(final Path file, final String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (supportsPosix(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(file);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Whether others can read or write the file (always false where the file system has no POSIX modes). */
    public static boolean isExposed(final Path file) throws IOException {
        if (!supportsPosix(file)) {
            return false;
        }
        final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        return permissions.stream().anyMatch(p -> !OWNER_ONLY.contains(p));
    }

    private static boolean supportsPosix(final Path file) {
        return file.toAbsolutePath().getParent().getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
