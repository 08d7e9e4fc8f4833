package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.bridge.BridgeState;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.simulator.FleetPlan;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code factfleet run --kafka-config FILE} against a cluster and a registry the stack did not start. */
class ExistingClusterIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    @TempDir
    Path dataDir;

    @Test
    void theStackUsesTheClusterAndRegistryNamedInTheClientFileAndStartsNeither() throws Exception {
        final Properties registryProps = new Properties();
        registryProps.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.setProperty("listeners", "http://127.0.0.1:0");
        // Someone else's registry without authentication: the stack sends it no credentials of its own.
        registryProps.setProperty("factfleet.auth.enabled", "false");
        try (SchemaRegistryService existingRegistry = new SchemaRegistryService(registryProps)) {
            existingRegistry.start();
            runAgainst(existingRegistry.url());
        }
    }

    private void runAgainst(final String registryUrl) throws Exception {
        final Path clientFile = dataDir.resolve("client.properties");
        Files.writeString(clientFile, "bootstrap.servers=" + KAFKA.bootstrapServers() + "\nsecurity.protocol=PLAINTEXT\n"
                + "schema.registry.url=" + registryUrl + "\n");
        final CommandLine.ParseResult parsed = StackMain.commandLine().parseArgs("run",
                "--data-dir", dataDir.resolve("data").toString(),
                "--kafka-config", clientFile.toString(),
                "--registry-port", "0",
                "--reducer-port", "0",
                "--bridge-port", "0",
                "--snapshot-port", "0",
                "--ota-port", "0",
                "--console-port", "0",
                "--partitions", "2");
        final Stack.Settings settings = ((StackMain.Run) parsed.subcommand().commandSpec().userObject()).settings(Map.of());

        final Stack stack = new Stack(settings).start();
        try {
            assertThat(stack.localBroker()).isEmpty();
            assertThat(stack.startedRegistry()).isFalse();
            assertThat(stack.registryUrl()).isEqualTo(registryUrl);
            assertThat(dataDir.resolve("data/broker")).doesNotExist();
            assertThat(stack.bootstrapServers()).isEqualTo(KAFKA.bootstrapServers());
            try (Admin admin = KAFKA.admin()) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .contains(FactFleetTopics.INBOUND.name(), FactFleetTopics.JOURNAL.name(), "_schemas");
            }

            assertThat(stack.bridge().state()).isEqualTo(BridgeState.RUNNING);
            assertThat(stack.bridge().config().asProperties().getProperty("bootstrap.servers")).isEqualTo(KAFKA.bootstrapServers());
            assertThat(stack.bridge().config().asProperties().getProperty("schema.registry.url")).isEqualTo(registryUrl);

            final Demo.Result demo = Demo.run(stack, Duration.ofSeconds(60));
            assertThat(demo.factCount()).isEqualTo(5);
            assertThat(demo.authorityId()).startsWith(DemoAuthority.AUTHORITY_ID + "-");

            // A simulated fleet on a shared cluster gets authority ids of its own.
            final Simulation simulation = Simulation.start(stack, new FleetPlan(1, 2, 1, 1, Duration.ofMillis(200), 0.0, Duration.ofSeconds(2)),
                    Duration.ofSeconds(60));
            assertThat(simulation.created()).hasSize(1);
            final String authorityId = simulation.authorityIds().get(0);
            assertThat(authorityId).matches("sim-[0-9a-f]{8}-0");
            Await.until(authorityId + " holds device facts", Duration.ofSeconds(60), () -> simulation.status().serverFactCounts().get(authorityId) > 2);
        } finally {
            stack.stop();
        }
    }
}
