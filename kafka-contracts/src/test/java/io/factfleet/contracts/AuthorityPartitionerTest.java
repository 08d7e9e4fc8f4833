package io.factfleet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class AuthorityPartitionerTest {
    @Test
    void journalKeysLandWhereKafkaPutsTheAuthorityKeyedInboundRecord() {
        for (int i = 0; i < 500; i++) {
            final String authority = "authority-" + i;
            final int inbound = BuiltInPartitioner.partitionForKey(authority.getBytes(StandardCharsets.UTF_8), 12);
            assertThat(AuthorityPartitioner.partitionOfKey(JournalKey.of(authority, "ab12"), 12)).isEqualTo(inbound);
        }
    }

    @Test
    void journalKeysRoundTrip() {
        final String key = JournalKey.of("site-9", "00ff");
        assertThat(JournalKey.authorityOf(key)).isEqualTo("site-9");
        assertThat(JournalKey.factIdOf(key)).isEqualTo("00ff");
        assertThat(JournalKey.isValidAuthorityId("a/b")).isFalse();
        assertThat(JournalKey.isValidAuthorityId("")).isFalse();
    }
}
