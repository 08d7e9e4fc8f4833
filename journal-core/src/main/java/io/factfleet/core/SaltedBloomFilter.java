package io.factfleet.core;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import org.bouncycastle.crypto.macs.SipHash;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * A Bloom filter over fact ids whose element hashes are keyed by a per-request salt
 * (SipHash-2-4, key = the 16-byte salt), so a peer that does not know the salt cannot craft fact
 * ids that collide in the filter and hide facts. Used by anti-entropy when a device has no valid
 * cursor (edge-bridge/PROTOCOL.md). Index i of element x is {@code (h1 + i * h2) mod bits}, with
 * h1, h2 the two halves of SipHash-2-4 over x under the salt and under the salt with its bytes
 * reversed (Kirsch-Mitzenmacher double hashing).
 */
public final class SaltedBloomFilter {
    public static final int SALT_BYTES = 16;

    private final byte[] salt;
    private final int hashes;
    private final int bits;
    private final BitSet set;

    private SaltedBloomFilter(final byte[] salt, final int hashes, final int bits, final BitSet set) {
        if (salt.length != SALT_BYTES) {
            throw new IllegalArgumentException("the salt is " + SALT_BYTES + " bytes, got " + salt.length);
        }
        if (hashes < 1 || hashes > 32 || bits < 8 || bits % 8 != 0) {
            throw new IllegalArgumentException("a filter needs 1-32 hashes and a whole number of bytes of bits");
        }
        this.salt = salt.clone();
        this.hashes = hashes;
        this.bits = bits;
        this.set = set;
    }

    /** An empty filter sized for {@code expected} elements at false-positive rate {@code fpr}. */
    public static SaltedBloomFilter sized(final byte[] salt, final int expected, final double fpr) {
        final int n = Math.max(1, expected);
        // Whole bytes, so the receiver's bit count (bytes * 8) is the sender's and indexes agree.
        final int m = (Math.max(64, (int) Math.ceil(-n * Math.log(fpr) / (Math.log(2) * Math.log(2)))) + 7) / 8 * 8;
        final int k = Math.max(1, Math.min(32, (int) Math.round((double) m / n * Math.log(2))));
        return new SaltedBloomFilter(salt, k, m, new BitSet(m));
    }

    /** A filter received from a peer. */
    public static SaltedBloomFilter of(final byte[] salt, final int hashes, final byte[] bitBytes) {
        return new SaltedBloomFilter(salt, hashes, bitBytes.length * 8, BitSet.valueOf(bitBytes));
    }

    public static SaltedBloomFilter of(final byte[] salt, final int expected, final double fpr, final Collection<byte[]> ids) {
        final SaltedBloomFilter filter = sized(salt, expected, fpr);
        ids.forEach(filter::add);
        return filter;
    }

    public void add(final byte[] factId) {
        final long[] h = hash(factId);
        for (int i = 0; i < hashes; i++) {
            set.set(index(h, i));
        }
    }

    /** False means certainly absent; true means present or a false positive. */
    public boolean mightContain(final byte[] factId) {
        final long[] h = hash(factId);
        for (int i = 0; i < hashes; i++) {
            if (!set.get(index(h, i))) {
                return false;
            }
        }
        return true;
    }

    public byte[] salt() {
        return salt.clone();
    }

    public int hashes() {
        return hashes;
    }

    /** The bits, padded to whole bytes (the wire form). */
    public byte[] bitBytes() {
        return Arrays.copyOf(set.toByteArray(), (bits + 7) / 8);
    }

    private int index(final long[] h, final int i) {
        return (int) Long.remainderUnsigned(h[0] + i * h[1], bits);
    }

    private long[] hash(final byte[] element) {
        final byte[] reversed = salt.clone();
        for (int i = 0; i < reversed.length / 2; i++) {
            final byte t = reversed[i];
            reversed[i] = reversed[reversed.length - 1 - i];
            reversed[reversed.length - 1 - i] = t;
        }
        return new long[] {sip(salt, element), sip(reversed, element) | 1L};
    }

    private static long sip(final byte[] key, final byte[] element) {
        final SipHash mac = new SipHash(2, 4);
        mac.init(new KeyParameter(key));
        mac.update(element, 0, element.length);
        return mac.doFinal();
    }
}
