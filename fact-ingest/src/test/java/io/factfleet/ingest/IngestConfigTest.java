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
}
