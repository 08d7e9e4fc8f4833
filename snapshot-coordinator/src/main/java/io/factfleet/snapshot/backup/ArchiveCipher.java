package io.factfleet.snapshot.backup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Authenticated encryption of backup archives with a passphrase (BouncyCastle): the key is derived
 * with Argon2id from the passphrase and a random salt, the contents are sealed with AES-256-GCM, and the
 * whole header (format, KDF parameters, salt, nonce) is authenticated too, so any flipped byte anywhere
 * in the archive, or a wrong passphrase, is refused.
 *
 * <pre>
 * "FFBACKUP1" | memoryKiB (int) | iterations (int) | parallelism (int) | salt (16) | nonce (12) | AES-GCM(contents) with a 128-bit tag
 * </pre>
 */
public final class ArchiveCipher {
    private static final byte[] MAGIC = "FFBACKUP1".getBytes(StandardCharsets.US_ASCII);
    private static final int SALT_BYTES = 16;
    private static final int NONCE_BYTES = 12;
    private static final int HEADER_BYTES = MAGIC.length + 12 + SALT_BYTES + NONCE_BYTES;
    /** OWASP's Argon2id minimum: 19 MiB, 2 iterations, 1 lane. */
    static final int MEMORY_KIB = 19 * 1024;
    static final int ITERATIONS = 2;
    static final int PARALLELISM = 1;
    /** The most memory an archive's header may ask of Argon2: 256 MiB. */
    static final int MAX_MEMORY_KIB = 256 * 1024;

    private ArchiveCipher() {
    }

    public static byte[] seal(final byte[] contents, final char[] passphrase, final SecureRandom random) {
        return seal(contents, passphrase, random, MEMORY_KIB, ITERATIONS, PARALLELISM);
    }

    /** Seals with other key derivation parameters: tests make cheap archives with it (the reader takes them from the header). */
    static byte[] seal(final byte[] contents, final char[] passphrase, final SecureRandom random, final int memoryKiB, final int iterations,
                       final int parallelism) {
        if (passphrase.length < 8) {
            throw new BackupException("WEAK_PASSPHRASE", "the passphrase must have at least 8 characters");
        }
        final byte[] salt = new byte[SALT_BYTES];
        final byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(salt);
        random.nextBytes(nonce);
        final byte[] header = ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(memoryKiB).putInt(iterations).putInt(parallelism)
                .put(salt).put(nonce).array();
        final GCMModeCipher gcm = gcm(true, key(passphrase, salt, memoryKiB, iterations, parallelism), nonce, header);
        final byte[] out = new byte[gcm.getOutputSize(contents.length)];
        final int n = gcm.processBytes(contents, 0, contents.length, out, 0);
        try {
            gcm.doFinal(out, n);
        } catch (final InvalidCipherTextException e) {
            throw new IllegalStateException(e);
        }
        return ByteBuffer.allocate(header.length + out.length).put(header).put(out).array();
    }

    /** @throws BackupException NOT_A_BACKUP, or BACKUP_TAMPERED when authentication fails (wrong passphrase or changed bytes) */
    public static byte[] open(final byte[] archive, final char[] passphrase) {
        if (archive.length < HEADER_BYTES + 16 || !Arrays.equals(Arrays.copyOf(archive, MAGIC.length), MAGIC)) {
            throw new BackupException("NOT_A_BACKUP", "the file is not a FactFleet backup archive (it does not start with FFBACKUP1)");
        }
        final ByteBuffer b = ByteBuffer.wrap(archive, MAGIC.length, HEADER_BYTES - MAGIC.length);
        final int memory = b.getInt();
        final int iterations = b.getInt();
        final int parallelism = b.getInt();
        // The header is read before anything is authenticated, so what it asks of Argon2 is bounded: at most 256 MiB, and
        // at most 4 passes' worth of it (the writer asks for 19 MiB and 2 passes). A forged header asking for 4 GiB was an
        // OutOfMemoryError (found by BackupArchiveFuzzTest), and one asking for many passes would keep a CPU busy for minutes.
        if (memory < 8 || memory > MAX_MEMORY_KIB || iterations < 1 || iterations > 10 || parallelism < 1 || parallelism > 16
                || (long) memory * iterations > MAX_MEMORY_KIB * 4L) {
            throw new BackupException("BACKUP_TAMPERED", "the archive's key derivation parameters are out of range; it was changed or damaged");
        }
        final byte[] salt = new byte[SALT_BYTES];
        final byte[] nonce = new byte[NONCE_BYTES];
        b.get(salt).get(nonce);
        final byte[] header = Arrays.copyOf(archive, HEADER_BYTES);
        final GCMModeCipher gcm = gcm(false, key(passphrase, salt, memory, iterations, parallelism), nonce, header);
        final byte[] out = new byte[gcm.getOutputSize(archive.length - HEADER_BYTES)];
        final int n = gcm.processBytes(archive, HEADER_BYTES, archive.length - HEADER_BYTES, out, 0);
        try {
            final int total = n + gcm.doFinal(out, n);
            return Arrays.copyOf(out, total);
        } catch (final InvalidCipherTextException e) {
            throw new BackupException("BACKUP_TAMPERED", "the archive failed authentication: the passphrase is wrong or the archive was "
                    + "changed or damaged; nothing was restored");
        }
    }

    private static byte[] key(final char[] passphrase, final byte[] salt, final int memory, final int iterations, final int parallelism) {
        final Argon2BytesGenerator argon2 = new Argon2BytesGenerator();
        argon2.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withSalt(salt).withMemoryAsKB(memory)
                .withIterations(iterations).withParallelism(parallelism).build());
        final byte[] key = new byte[32];
        argon2.generateBytes(passphrase, key);
        return key;
    }

    private static GCMModeCipher gcm(final boolean encrypt, final byte[] key, final byte[] nonce, final byte[] header) {
        final GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
        gcm.init(encrypt, new AEADParameters(new KeyParameter(key), 128, nonce, header));
        return gcm;
    }
}
