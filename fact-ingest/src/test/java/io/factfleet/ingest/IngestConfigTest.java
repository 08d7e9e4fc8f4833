package io.factfleet.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
    private static IngestConfig with(final String port) {
        final Properties p = new Properties();
        if (port != null) {
            p.setProperty(IngestConfig.HTTP_PORT, port);
        }
        return new IngestConfig(p);
    }

    @Test
    void theHttpEndpointIsOffUnlessItsPortIsSetAndTheMainDefaultsItTo8060() {
        assertThat(with(null).httpPort()).isEmpty();
        assertThat(with("0").httpPort()).hasValue(0);
        assertThat(IngestMain.mainDefaults()).containsEntry(IngestConfig.HTTP_PORT, "8060");
        assertThat(with(null).streamsProperties()).doesNotContainKey(IngestConfig.HTTP_PORT);
    }

    @Test
    void aBadPortIsRefusedWithTheKeyAndTheRange() {
        assertThatThrownBy(() -> with("eighty").httpPort()).hasMessageContaining(IngestConfig.HTTP_PORT).hasMessageContaining("0 (any free port) to 65535");
        assertThatThrownBy(() -> with("-1").httpPort()).hasMessageContaining("got '-1'");
    }

    @Test
    void rosterBatchesHaveTheirOwnSizeLimitOf2MiBBesideTheFactLimitOf64KiB() {
        assertThat(with(null).factSizeLimits()).isEqualTo(new FactSizeLimits(64 * 1024, 2 * 1024 * 1024));
        final Properties p = new Properties();
        p.setProperty(IngestConfig.MAX_ROSTER_BATCH_BYTES, "1000000");
        assertThat(new IngestConfig(p).factSizeLimits().maxRosterBatchBytes()).isEqualTo(1_000_000);
        assertThat(new IngestConfig(p).streamsProperties()).doesNotContainKey(IngestConfig.MAX_ROSTER_BATCH_BYTES);
    }
}
