package io.factfleet.device;

import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The device's Ed25519 key, kept as a hex seed in one file readable only by its owner. Generated
 * on first use; the same key on every later start.
 */
public final class DeviceKeyStore {
    private DeviceKeyStore() {
    }

    public static Ed25519Keys.SigningKey loadOrCreate(final Path file) {
        try {
            if (Files.exists(file)) {
                return load(file);
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
            final Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(temporary);
            try {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (final UnsupportedOperationException e) {
                Files.createFile(temporary); // not a POSIX file system
            }
            Files.writeString(temporary, Hashing.hex(key.seed()) + "\n", StandardCharsets.US_ASCII, StandardOpenOption.SYNC);
            try {
                Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (final FileAlreadyExistsException raced) {
                return load(file);
            }
            return key;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create the device key " + file + ": " + e.getMessage(), e);
        }
    }

    private static Ed25519Keys.SigningKey load(final Path file) throws IOException {
        final String hex = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            return Ed25519Keys.fromSeed(Hashing.unhex(hex));
        } catch (final IllegalArgumentException e) {
            throw new IllegalStateException("the device key file " + file + " does not hold a 32-byte hex seed: " + e.getMessage(), e);
        }
    }
}
