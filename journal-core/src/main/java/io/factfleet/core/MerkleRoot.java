package io.factfleet.core;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * A Merkle root over a set of fact ids: the ids are deduplicated and sorted (unsigned bytes),
 * leaves are SHA-256(0x00 || id), inner nodes SHA-256(0x01 || left || right), and an odd node
 * is carried up unchanged. The empty set's root is SHA-256 of nothing. Two replicas holding the
 * same facts have the same root, whatever order they saw them in.
 */
public final class MerkleRoot {
    private MerkleRoot() {
    }

    public static byte[] of(final Collection<byte[]> factIds) {
        final TreeSet<byte[]> sorted = new TreeSet<>(Arrays::compareUnsigned);
        sorted.addAll(factIds);
        List<byte[]> level = new ArrayList<>(sorted.size());
        for (final byte[] id : sorted) {
            final MessageDigest digest = Hashing.sha256();
            digest.update((byte) 0);
            digest.update(id);
            level.add(digest.digest());
        }
        if (level.isEmpty()) {
            return Hashing.sha256(new byte[0]);
        }
        while (level.size() > 1) {
            final List<byte[]> up = new ArrayList<>((level.size() + 1) / 2);
            for (int i = 0; i < level.size(); i += 2) {
                if (i + 1 == level.size()) {
                    up.add(level.get(i));
                } else {
                    final MessageDigest digest = Hashing.sha256();
                    digest.update((byte) 1);
                    digest.update(level.get(i));
                    digest.update(level.get(i + 1));
                    up.add(digest.digest());
                }
            }
            level = up;
        }
        return level.get(0);
    }
}
