package io.factfleet.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistryConfigTest {

    @Test
    void environmentVariablesOverrideTheFile(@TempDir final Path dir) throws IOException {
        final Path file = dir.resolve("registry.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\nkafkastore.topic=from-file\nlisteners=http://0.0.0.0:9999\n");

        final Properties loaded = SchemaRegistryConfig.load(Optional.of(file), Map.of(
            "SCHEMA_REGISTRY_KAFKASTORE_TOPIC", "from-env",
            "SCHEMA_REGISTRY_KAFKASTORE_SASL_MECHANISM", "PLAIN",
            "SCHEMA_REGISTRY_SOME__UNDERSCORED_NAME", "x",
            "PATH", "/usr/bin"));
        final SchemaRegistryConfig config = new SchemaRegistryConfig(loaded);

        assertThat(config.topic()).isEqualTo("from-env");
        assertThat(config.bootstrapServers()).isEqualTo("file:9092");
        assertThat(config.listener().getPort()).isEqualTo(9999);
        assertThat(loaded).containsEntry("some_underscored.name", "x").doesNotContainKey("path");
        assertThat(config.kafkaClientProperties())
            .containsEntry("sasl.mechanism", "PLAIN")
            .containsEntry("bootstrap.servers", "file:9092")
            .doesNotContainKey("topic");
    }

    @Test
    void defaultsAreConfluentsAndMissingBootstrapServersIsReported() {
        final SchemaRegistryConfig config = new SchemaRegistryConfig(new Properties());

        assertThat(config.topic()).isEqualTo("_schemas");
        assertThat(config.listener().getPort()).isEqualTo(8081);
        assertThat(config.defaultCompatibility().name()).isEqualTo("BACKWARD");
        assertThatThrownBy(config::bootstrapServers).hasMessageContaining("bootstrap.servers");
    }

    @Test
    void kafkastoreBootstrapServersIsAcceptedAsConfluentNamesIt() {
        final Properties props = new Properties();
        props.setProperty("kafkastore.bootstrap.servers", "PLAINTEXT://broker:9092");

        assertThat(new SchemaRegistryConfig(props).bootstrapServers()).isEqualTo("PLAINTEXT://broker:9092");
        assertThat(new SchemaRegistryConfig(props).kafkaClientProperties())
            .containsOnlyKeys("bootstrap.servers");
    }
}
