package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.simulator.FleetPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** How the options of {@code factfleet run}, a --kafka-config file and FACTFLEET_* variables become the stack's settings. */
class RunOptionsTest {
    @TempDir
    Path dir;

    @Test
    void withoutOptionsTheStackStartsALocalBrokerOnTheDocumentedPorts() {
        final Stack.Settings s = settings(Map.of(), "run");

        assertThat(s.usesLocalBroker()).isTrue();
        assertThat(s.externalRegistryUrl()).isEmpty();
        assertThat(s.dataDirectory().root()).isEqualTo(Path.of(".factfleet").toAbsolutePath());
        assertThat(s.kafkaPort()).isEqualTo(9092);
        assertThat(s.registryPort()).isEqualTo(8081);
        assertThat(s.reducerPort()).isEqualTo(8080);
        assertThat(s.bridgePort()).isEqualTo(8090);
        assertThat(s.partitions()).isEqualTo(6);
        assertThat(s.kafkaClientConfig()).isEmpty();
    }

    @Test
    void bootstrapServersAndAClientFilePointEveryServiceAtAnExistingCluster() throws IOException {
        final Path file = clientFile("security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nssl.truststore.location=/etc/kafka/truststore.jks\n"
                + "schema.registry.url=https://registry.example.com\n");

        final Stack.Settings s = settings(Map.of(), "run", "--bootstrap-servers", "kafka-1:9093,kafka-2:9093", "--kafka-config", file.toString());

        assertThat(s.usesLocalBroker()).isFalse();
        assertThat(s.externalRegistryUrl()).contains("https://registry.example.com");
        assertThat(s.kafkaClientConfig()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "schema.registry.url", "https://registry.example.com",
                "bootstrap.servers", "kafka-1:9093,kafka-2:9093",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN",
                "ssl.truststore.location", "/etc/kafka/truststore.jks"));
    }

    @Test
    void environmentOverridesTheFileAndTheBootstrapOptionOverridesBoth() throws IOException {
        final Path file = clientFile("bootstrap.servers=from-file:9092\nsecurity.protocol=SSL\n");

        final Stack.Settings s = settings(Map.of("FACTFLEET_SECURITY_PROTOCOL", "SASL_SSL", "FACTFLEET_BOOTSTRAP_SERVERS", "from-env:9092"),
                "run", "--kafka-config", file.toString(), "--bootstrap-servers", "from-option:9092");

        assertThat(s.kafkaClientConfig()).containsEntry("security.protocol", "SASL_SSL").containsEntry("bootstrap.servers", "from-option:9092");
    }

    @Test
    void aClientFileWithoutAClusterToUseItForIsRefused() throws IOException {
        final Path file = clientFile("security.protocol=SASL_SSL\n");

        assertThatThrownBy(() -> settings(Map.of(), "run", "--kafka-config", file.toString()))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("also give --bootstrap-servers");
    }

    @Test
    void settingsThatNameOneServiceAreNotSharedByAll() throws IOException {
        final Path file = clientFile("bootstrap.servers=b:9092\napplication.id=mine\nstate.dir=/tmp/x\nclient.id=me\nsasl.mechanism=PLAIN\n");

        final Stack.Settings s = settings(Map.of(), "run", "--kafka-config", file.toString());

        assertThat(s.kafkaClientConfig()).containsOnlyKeys("bootstrap.servers", "sasl.mechanism");
    }

    @Test
    void simulateRunsTheDemoFleetUnlessItsOptionsSayOtherwise() {
        assertThat(run("run").simulation()).isEmpty();
        assertThat(run("run", "--simulate").simulation()).contains(FleetPlan.demo());

        final FleetPlan plan = run("run", "--simulate-authorities", "5", "--simulate-devices", "1", "--simulate-offline", "0.5",
                "--simulate-tick-ms", "500").simulation().orElseThrow();
        assertThat(plan.authorities()).isEqualTo(5);
        assertThat(plan.devicesPerAuthority()).isEqualTo(1);
        assertThat(plan.threshold()).isEqualTo(1);
        assertThat(plan.offlineFraction()).isEqualTo(0.5);
        assertThat(plan.tick()).isEqualTo(Duration.ofMillis(500));
        assertThat(plan.offlinePeriod()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void simulationOptionsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> run("run", "--simulate", "--simulate-offline", "1.5").simulation())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> run("run", "--simulate-devices", "0").simulation())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--simulate-devices");
    }

    @Test
    void theBridgePortIsAnOption() {
        assertThat(settings(Map.of(), "run", "--bridge-port", "0").bridgePort()).isZero();
    }

    private Path clientFile(final String text) throws IOException {
        final Path file = dir.resolve("client.properties");
        Files.writeString(file, text);
        return file;
    }

    private static Stack.Settings settings(final Map<String, String> environment, final String... args) {
        return run(args).settings(environment);
    }

    private static StackMain.Run run(final String... args) {
        final CommandLine.ParseResult parsed = StackMain.commandLine().parseArgs(args);
        return (StackMain.Run) parsed.subcommand().commandSpec().userObject();
    }
}
