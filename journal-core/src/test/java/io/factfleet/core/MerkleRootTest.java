package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MerkleRootTest {
    private static List<byte[]> ids(final int n) {
        final List<byte[]> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(Hashing.sha256(new byte[] {(byte) i, (byte) (i >> 8)}));
        }
        return ids;
    }

    @Test
    void rootIsIndependentOfOrderAndDuplicates() {
        final List<byte[]> ids = ids(37);
        final List<byte[]> shuffled = new ArrayList<>(ids);
        shuffled.addAll(ids.subList(0, 5));
        Collections.shuffle(shuffled, new Random(7));
        assertThat(MerkleRoot.of(shuffled)).isEqualTo(MerkleRoot.of(ids));
    }

    @Test
    void oneMoreFactChangesTheRoot() {
        assertThat(MerkleRoot.of(ids(10))).isNotEqualTo(MerkleRoot.of(ids(11)));
    }

    @Test
    void twoLeavesHashAsDocumented() {
        final List<byte[]> ids = ids(2);
        ids.sort(java.util.Arrays::compareUnsigned);
        final byte[] left = Hashing.sha256(concat(new byte[] {0}, ids.get(0)));
        final byte[] right = Hashing.sha256(concat(new byte[] {0}, ids.get(1)));
        assertThat(MerkleRoot.of(ids)).isEqualTo(Hashing.sha256(concat(new byte[] {1}, concat(left, right))));
    }

    @Test
    void emptySetHasTheHashOfNothing() {
        assertThat(MerkleRoot.of(List.of())).isEqualTo(Hashing.sha256(new byte[0]));
    }

    private static byte[] concat(final byte[] a, final byte[] b) {
        final byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
