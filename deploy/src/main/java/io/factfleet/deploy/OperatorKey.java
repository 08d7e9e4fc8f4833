package io.factfleet.deploy;

import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.internal.SecretFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's operator root key: the key fact-ingest trusts to sign an authority's genesis
 * ({@code AuthorityCreated}). Generated on first run and stored as its 32-byte seed in hex in a file
 * of mode 600 (a file with a wider mode is refused); its public key is configured into fact-ingest as
 * {@code factfleet.operator.public.keys}, and the operators file grants it admin on every authority.
 */
public final class OperatorKey {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorKey.class);

    private OperatorKey() {
    }

    /** The key stored in {@code file}, generating and storing one if the file does not exist. */
    public static Ed25519Keys.SigningKey loadOrCreate(final Path file) {
        try {
            if (Files.exists(file)) {
                if (SecretFiles.isExposed(file)) {
                    // It signs every authority's genesis and is admin everywhere: refused, not merely warned about.
                    throw new IllegalStateException(file + " holds the operator key and can be read or written by other users; run: chmod 600 " + file);
                }
                final Ed25519Keys.SigningKey key = Ed25519Keys.fromSeed(Hashing.unhex(Files.readString(file, StandardCharsets.UTF_8).strip()));
                LOG.info("Operator key {} loaded from {}", key.keyId(), file);
                return key;
            }
            final Ed25519Keys.SigningKey key = Ed25519Keys.generate();
            SecretFiles.createOwnerOnly(file, Hashing.hex(key.seed()) + "\n");
            LOG.info("Operator key {} generated and stored in {}", key.keyId(), file);
            return key;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read or create the operator key " + file + ": " + e.getMessage(), e);
        } catch (final IllegalArgumentException e) {
            throw new IllegalStateException(file + " does not hold an Ed25519 seed (64 hex digits): " + e.getMessage(), e);
        }
    }
}
