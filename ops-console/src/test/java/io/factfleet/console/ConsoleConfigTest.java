package io.factfleet.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ConsoleConfigTest {
    private static Properties props(final Map<String, String> given) {
        final Properties p = new Properties();
        p.setProperty("bootstrap.servers", "localhost:9092");
        p.putAll(given);
        return p;
    }

    @Test
    void defaultsAndKafkaClientPropertiesAreSeparated() {
        final ConsoleConfig c = ConsoleConfig.of(props(Map.of("security.protocol", "SSL", ConsoleConfig.REDUCER_URL, "http://r:8080/")));
        assertThat(c.httpPort()).isEqualTo(8070);
        assertThat(c.sampleInterval().toMillis()).isEqualTo(2_000);
        assertThat(c.window().toMillis()).isEqualTo(60_000);
        assertThat(c.kafkaClientConfig()).containsOnlyKeys("bootstrap.servers", "security.protocol");
        assertThat(c.reducerUrl()).contains(URI.create("http://r:8080"));
        assertThat(c.otaUrl()).isEmpty();
    }

    @Test
    void badValuesAreRefusedWithTheKeyAndWhatIsExpected() {
        assertThatThrownBy(() -> ConsoleConfig.of(new Properties())).isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.HTTP_PORT, "70000")))).hasMessageContaining(ConsoleConfig.HTTP_PORT)
                .hasMessageContaining("0 (any free port) to 65535");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.HTTP_PORT, "x")))).hasMessageContaining("whole number");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.SAMPLE_INTERVAL_MS, "10")))).hasMessageContaining("at least 100 ms");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.SAMPLE_INTERVAL_MS, "5000", ConsoleConfig.WINDOW_MS, "1000"))))
                .hasMessageContaining("at least the sample interval");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.MIN_SAMPLES, "1")))).hasMessageContaining("a trend needs two points");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.GROUP_PATTERN, "(")))).hasMessageContaining("not a regular expression");
        assertThatThrownBy(() -> ConsoleConfig.of(props(Map.of(ConsoleConfig.OTA_URL, "ftp://x")))).hasMessageContaining("http:// or https://");
    }
}
