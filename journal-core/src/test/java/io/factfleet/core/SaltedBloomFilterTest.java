package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SaltedBloomFilterTest {
    private static byte[] salt(final int seed) {
        final byte[] salt = new byte[SaltedBloomFilter.SALT_BYTES];
        new Random(seed).nextBytes(salt);
        return salt;
    }

    private static List<byte[]> ids(final int from, final int to) {
        final List<byte[]> ids = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ids.add(Hashing.sha256(Integer.toString(i).getBytes()));
        }
        return ids;
    }

    @Test
    void everyAddedIdIsReportedPresent() {
        final SaltedBloomFilter filter = SaltedBloomFilter.of(salt(1), 1000, 0.01, ids(0, 1000));
        assertThat(ids(0, 1000)).allMatch(filter::mightContain);
    }

    @Test
    void theFalsePositiveRateIsNearTheOneItWasSizedFor() {
        final SaltedBloomFilter filter = SaltedBloomFilter.of(salt(2), 1000, 0.01, ids(0, 1000));
        final long falsePositives = ids(1000, 21_000).stream().filter(filter::mightContain).count();
        assertThat(falsePositives / 20_000.0).isLessThan(0.02);
    }

    @Test
    void aFilterSurvivesTheWireAndAnotherSaltGivesOtherBits() {
        final SaltedBloomFilter filter = SaltedBloomFilter.of(salt(3), 100, 0.01, ids(0, 100));
        final SaltedBloomFilter received = SaltedBloomFilter.of(filter.salt(), filter.hashes(), filter.bitBytes());
        assertThat(ids(0, 100)).allMatch(received::mightContain);
        assertThat(SaltedBloomFilter.of(salt(4), 100, 0.01, ids(0, 100)).bitBytes()).isNotEqualTo(filter.bitBytes());
    }
}
