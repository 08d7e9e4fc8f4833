package io.factfleet.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.factfleet.auth.internal.OperatorDirectory;
import io.factfleet.auth.internal.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators file: JSON {@code {"operators": [OperatorEntry, ...]}}, mode 600 (a wider mode is refused: it
 * decides who may act on every authority). A running service re-reads it when it changes, so operators are added,
 * removed and their keys rotated without a restart; an edit that does not parse keeps the previous version in force
 * and is logged.
 */
public final class OperatorsFile {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorsFile.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .setSerializationInclusion(JsonInclude.Include.NON_EMPTY)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final int BCRYPT_COST = 10;

    /** The document's shape. */
    record Document(List<OperatorEntry> operators) {
        Document {
            operators = operators == null ? List.of() : List.copyOf(operators);
        }
    }

    private final Path file;
    private final io.factfleet.auth.internal.CheckThrottle throttle;
    private volatile OperatorDirectory directory;
    private volatile FileTime loadedModified;
    private volatile long loadedSize;

    private OperatorsFile(final Path file, final Duration checkEvery, final LongSupplier clock, final OperatorDirectory first,
                          final FileTime modified, final long size) {
        this.file = file;
        this.throttle = new io.factfleet.auth.internal.CheckThrottle(checkEvery, clock);
        this.directory = first;
        this.loadedModified = modified;
        this.loadedSize = size;
    }

    /**
     * Reads {@code file} and follows it: {@link #directory()} re-reads it at most every {@code checkEvery} when its
     * modification time or size changed.
     *
     * @throws IllegalArgumentException when the file is missing, readable by others, or not a valid operators document
     */
    public static OperatorsFile follow(final Path file, final Duration checkEvery) {
        return follow(file, checkEvery, System::currentTimeMillis);
    }

    static OperatorsFile follow(final Path file, final Duration checkEvery, final LongSupplier clock) {
        Objects.requireNonNull(file, "file");
        try {
            final FileTime modified = Files.getLastModifiedTime(file);
            final long size = Files.size(file);
            return new OperatorsFile(file, checkEvery, clock, new OperatorDirectory(read(file)), modified, size);
        } catch (final IOException e) {
            throw new IllegalArgumentException("cannot read the operators file: " + e.getMessage(), e);
        }
    }

    /**
     * The entries of an operators file.
     *
     * @throws IOException when it is missing, readable by others or does not parse
     */
    public static List<OperatorEntry> read(final Path file) throws IOException {
        final String text = OwnerOnlyFiles.read(file, "the operators file");
        final Document document;
        try {
            document = JSON.readValue(text, Document.class);
        } catch (final IOException e) {
            throw new IOException("the operators file " + file + " is not {\"operators\": [{\"id\": ..., \"ed25519\": [...], "
                    + "\"grants\": {\"<authority or *>\": [\"<role>\"]}}]}: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        try {
            new OperatorDirectory(document.operators());
        } catch (final IllegalArgumentException e) {
            throw new IOException("the operators file " + file + " is invalid: " + e.getMessage(), e);
        }
        return document.operators();
    }

    /** Writes (or atomically replaces) an operators file with mode 600. */
    public static void write(final Path file, final List<OperatorEntry> operators) throws IOException {
        new OperatorDirectory(operators);
        OwnerOnlyFiles.write(file, JSON.writeValueAsString(new Document(operators)) + "\n");
    }

    /** Adds or replaces (by id) one operator in an operators file, creating the file if needed. */
    public static void put(final Path file, final OperatorEntry operator) throws IOException {
        final List<OperatorEntry> entries = new ArrayList<>(Files.exists(file) ? read(file) : List.of());
        entries.removeIf(e -> e.id().equals(operator.id()));
        entries.add(operator);
        write(file, entries);
    }

    /** A bcrypt hash of {@code password} for an {@link OperatorEntry.BasicLogin} (BouncyCastle's OpenBSD bcrypt, cost 10). */
    public static String bcrypt(final char[] password) {
        final byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password, salt, BCRYPT_COST);
    }

    /** The file followed. */
    public Path path() {
        return file;
    }

    /** The operators now in force, re-reading the file first if it changed and was not checked for {@code checkEvery}. */
    public OperatorDirectory directory() {
        throttle.runIfDue(this::reloadIfChanged);
        return directory;
    }

    private void reloadIfChanged() {
        try {
            final FileTime modified = Files.getLastModifiedTime(file);
            final long size = Files.size(file);
            if (modified.equals(loadedModified) && size == loadedSize) {
                return;
            }
            final OperatorDirectory next = new OperatorDirectory(read(file));
            directory = next;
            loadedModified = modified;
            loadedSize = size;
            LOG.info("Operators file {} re-read: {} operator(s)", file, next.size());
        } catch (final IOException | UncheckedIOException | IllegalArgumentException e) {
            LOG.error("Keeping the previous operators: {}", e.getMessage());
        }
    }
}
