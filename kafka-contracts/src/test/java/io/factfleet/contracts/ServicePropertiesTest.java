package io.factfleet.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServicePropertiesTest {
    @Test
    void fileOverridesDefaultsEnvironmentOverridesFileAndOverridesWin(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("ingest.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nnum.stream.threads=3\n");
        final Properties props = ServiceProperties.load(Map.of("bootstrap.servers", "default:9092", "application.id", "x"), file,
                Map.of("FACTFLEET_BOOTSTRAP_SERVERS", "env:9092", "PATH", "/bin"), Map.of("application.id", "y"));
        assertThat(props).containsEntry("bootstrap.servers", "env:9092").containsEntry("num.stream.threads", "3")
                .containsEntry("application.id", "y").doesNotContainKey("path");
    }
}
