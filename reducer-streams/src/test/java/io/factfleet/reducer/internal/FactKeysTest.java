package io.factfleet.reducer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FactKeysTest {

    @Test
    void sortableEpochsSortLikeTheLongs() {
        final List<Long> epochs = List.of(Long.MIN_VALUE, -5L, -1L, 0L, 1L, 9L, 10L, 123_456L, Long.MAX_VALUE);
        final List<String> encoded = new ArrayList<>();
        for (final long e : epochs) {
            encoded.add(FactKeys.sortableEpoch(e));
        }
        assertThat(encoded).allMatch(s -> s.length() == FactKeys.EPOCH_LENGTH).isSorted();
        assertThat(FactKeys.sortableEpoch(7)).isEqualTo("00000000000000000007");
    }

    @Test
    void aJournalKeySplitsIntoAuthorityAndFactId() {
        final String id = "ab".repeat(32);
        assertThat(FactKeys.parseJournalKey("site-7/" + id)).containsExactly("site-7", id);
    }

    @Test
    void aJournalKeyWithoutAValidAuthorityAndFactIdIsRefused() {
        assertThatThrownBy(() -> FactKeys.parseJournalKey("site/xyz")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FactKeys.parseJournalKey("/" + "ab".repeat(32))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FactKeys.parseJournalKey("a/b/" + "ab".repeat(32))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FactKeys.parseJournalKey("site")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FactKeys.parseJournalKey(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
