package io.factfleet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.deploy.Simulation;
import io.factfleet.deploy.Stack;
import io.factfleet.deploy.StackMain;
import io.factfleet.simulator.FleetPlan;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code factfleet devices ...} against a real stack ({@code factfleet run} on an in-process cluster) with a simulated
 * fleet whose devices keep their keys on disk, as the README's example does: the CLI co-signs with those key files,
 * the snapshot coordinator signs with the admin key, ingest admits the batch and the reducer shows it.
 */
class DevicesCommandIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Stack stack;
    private static Simulation simulation;
    private static String authority;

    @BeforeAll
    static void startTheStackWithASimulatedFleet() throws Exception {
        final Path data = dir.resolve("data");
        final CommandLine.ParseResult parsed = StackMain.commandLine().parseArgs("run", "--data-dir", data.toString(),
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--registry-port", "0", "--reducer-port", "0", "--bridge-port", "0",
                "--snapshot-port", "0", "--ota-port", "0", "--console-port", "0", "--partitions", "2");
        stack = new Stack(((StackMain.Run) parsed.subcommand().commandSpec().userObject()).settings(Map.of())).start();
        // One authority of 3 devices, threshold 2, its keys under <data>/simulator as --simulate keeps them.
        simulation = Simulation.start(stack, new FleetPlan(1, 3, 2, 1, Duration.ofMillis(500), 0.0, Duration.ofSeconds(2)), Duration.ofSeconds(60));
        authority = simulation.authorityIds().get(0);
        // The coordinator acts once it has folded the authority and re-read the key ring the simulation added its admin key to.
        Await.until("the coordinator can prepare batches of " + authority, Duration.ofSeconds(60),
                () -> run("devices", "enrol", "--authority", authority, "--manifest", manifest("warmup", 1).toString(),
                        "--statement-out", dir.resolve("warmup.hex").toString(), "--output", "json").exit() == 0);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.stop();
        }
    }

    private record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (final Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
            }
        }
    }

    /** Runs the CLI against the stack's services, signing as its local operator. */
    private static Run run(final String... args) {
        final List<String> all = new ArrayList<>(List.of(args));
        if (args[0].equals("devices") && (args[1].equals("enrol") || args[1].equals("remove"))) {
            all.addAll(List.of("--url", stack.snapshotUrl().toString(), "--reducer-url", stack.reducerUrl().toString(),
                    "--key", stack.dataDirectory().operatorKey().toString()));
        }
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cli = StackMain.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        final int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private static Path manifest(final String prefix, final int devices) throws Exception {
        final StringBuilder text = new StringBuilder("device_id,public_key\n");
        for (int i = 0; i < devices; i++) {
            text.append(prefix).append('-').append(i).append(',').append(Hashing.hex(Ed25519Keys.generate().publicKey())).append('\n');
        }
        final Path file = dir.resolve(prefix + ".csv");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static String deviceKey(final int device) {
        return stack.dataDirectory().simulator().resolve(authority).resolve(authority + "-d" + device).resolve("device.key").toString();
    }

    private static JsonNode roster() throws Exception {
        final Run state = run("state", authority, "--reducer-url", stack.reducerUrl().toString(), "--key", stack.dataDirectory().operatorKey().toString(),
                "--output", "json");
        assertThat(state.exit()).as(state.err()).isZero();
        return state.json().path("state");
    }

    @Test
    void enrolCoSignsWithTheSimulatedDevicesKeyFilesAndWaitsUntilTheReducerShowsTheNewEpoch() throws Exception {
        final long epochBefore = roster().path("identityEpoch").asLong();
        final int membersBefore = roster().path("roster").size();
        final Run r = run("devices", "enrol", "--authority", authority, "--manifest", manifest("json", 500).toString(),
                "--cosigner", deviceKey(0), "--cosigner", deviceKey(2), "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        final JsonNode outcome = r.json();
        assertThat(outcome.path("status").asText()).isEqualTo("APPLIED");
        assertThat(outcome.path("enrolled").asInt()).isEqualTo(500);
        assertThat(outcome.path("fromEpoch").asLong()).isEqualTo(epochBefore);
        assertThat(outcome.path("toEpoch").asLong()).isEqualTo(epochBefore + 1);
        assertThat(outcome.path("memberCount").asInt()).isEqualTo(membersBefore + 500);
        assertThat(outcome.path("factId").asText()).hasSize(64);
        assertThat(outcome.path("signers")).extracting(JsonNode::asText).containsExactly(authority + "-d0", authority + "-d2");
        assertThat(outcome.path("seconds").asDouble()).isPositive();
        assertThat(r.err()).as("no progress bar with --output json").isEmpty();
        assertThat(roster().path("roster").findValuesAsText("deviceId")).contains("json-0", "json-499");
    }

    @Test
    void asTextItDrawsAProgressBarAndSummarisesTheOutcome() throws Exception {
        final Run r = run("devices", "enrol", "--authority", authority, "--manifest", manifest("text", 3).toString(),
                "--cosigner", deviceKey(1), "--cosigner", deviceKey(0));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("Roster batch").contains("%");
        assertThat(r.out()).contains("Applied a roster batch of " + authority + ": 3 enrolled, 0 removed, epoch ").contains(" members; co-signed by ");
    }

    @Test
    void aBadManifestIsRefusedRowByRowWithItsLineNumbersAndNothingIsApplied() throws Exception {
        final long epochBefore = roster().path("identityEpoch").asLong();
        final Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, String.join("\n", "device_id,public_key", "ok-1," + Hashing.hex(Ed25519Keys.generate().publicKey()),
                "short-key,abcd", authority + "-d1," + Hashing.hex(Ed25519Keys.generate().publicKey()), "no key here"), StandardCharsets.UTF_8);
        final Run text = run("devices", "enrol", "--authority", authority, "--manifest", bad.toString(), "--cosigner", deviceKey(0),
                "--cosigner", deviceKey(1));
        assertThat(text.exit()).isEqualTo(ExitCodes.REFUSED);
        assertThat(text.err()).contains("MANIFEST_REFUSED").contains("line 3: INVALID_PUBLIC_KEY").contains("line 4: ALREADY_ENROLLED")
                .contains("line 5: MALFORMED_ROW").contains("Nothing was applied.");
        final Run json = run("devices", "enrol", "--authority", authority, "--manifest", bad.toString(), "--cosigner", deviceKey(0),
                "--cosigner", deviceKey(1), "--output", "json");
        assertThat(json.exit()).isEqualTo(ExitCodes.REFUSED);
        assertThat(json.json().path("refusals")).extracting(n -> n.path("line").asInt()).containsExactly(3, 4, 5);
        assertThat(roster().path("identityEpoch").asLong()).isEqualTo(epochBefore);
    }

    @Test
    void tooFewCoSignersAreRefusedWithHowManyMoreAreNeeded() throws Exception {
        final Run r = run("devices", "enrol", "--authority", authority, "--manifest", manifest("few", 2).toString(), "--cosigner", deviceKey(0));
        assertThat(r.exit()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.err()).contains("TOO_FEW_SIGNATURES").contains("1 valid co-signature of 2").contains("Nothing was applied.");
    }

    @Test
    void theOfflineCeremonyPreparesAStatementDevicesCoSignAndASignaturesFileSubmits() throws Exception {
        final Path manifest = manifest("offline", 4);
        final Path statement = dir.resolve("offline.statement.hex");
        final Run prepared = run("devices", "enrol", "--authority", authority, "--manifest", manifest.toString(), "--statement-out", statement.toString());
        assertThat(prepared.exit()).as(prepared.err()).isZero();
        assertThat(prepared.out()).contains("It needs 2 co-signatures").contains("factfleet devices cosign --statement " + statement);
        assertThat(statement).exists();

        final StringBuilder signatures = new StringBuilder();
        for (final int device : new int[] {1, 2}) {
            final Run cosigned = run("devices", "cosign", "--statement", statement.toString(), "--key", deviceKey(device), "--device-id",
                    authority + "-d" + device);
            assertThat(cosigned.exit()).as(cosigned.err()).isZero();
            assertThat(cosigned.err()).contains("Co-signing a roster batch of " + authority).contains("4 to enrol, 0 to remove");
            assertThat(cosigned.json().path("deviceId").asText()).isEqualTo(authority + "-d" + device);
            assertThat(cosigned.json().path("keyId").asText()).hasSize(32);
            signatures.append(cosigned.out());
        }
        final Path file = dir.resolve("signatures.jsonl");
        Files.writeString(file, signatures, StandardCharsets.UTF_8);
        final Run submitted = run("devices", "enrol", "--authority", authority, "--manifest", manifest.toString(), "--signatures", file.toString(),
                "--output", "json");
        assertThat(submitted.exit()).as(submitted.err()).isZero();
        assertThat(submitted.json().path("status").asText()).isEqualTo("APPLIED");
        assertThat(submitted.json().path("signers")).extracting(JsonNode::asText).containsExactly(authority + "-d1", authority + "-d2");
    }

    @Test
    void aDeviceKeyRefusesToCoSignAFileThatIsNotARosterBatchStatement() throws Exception {
        final Path notAStatement = dir.resolve("not-a-statement.hex");
        Files.writeString(notAStatement, Hashing.hex("factfleet/cert/v1\0io.factfleet.schema.SnapshotStatement\0...".getBytes(StandardCharsets.UTF_8)));
        final Run r = run("devices", "cosign", "--statement", notAStatement.toString(), "--key", deviceKey(0));
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("not a roster batch statement").contains("nothing was signed");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void removeTakesDevicesOffTheRosterInOneBatch() throws Exception {
        assertThat(run("devices", "enrol", "--authority", authority, "--manifest", manifest("leaving", 2).toString(), "--cosigner", deviceKey(0),
                "--cosigner", deviceKey(1), "--output", "json").exit()).isZero();
        final Run r = run("devices", "remove", "--authority", authority, "--device", "leaving-0", "--device", "leaving-1", "--cosigner", deviceKey(0),
                "--cosigner", deviceKey(2), "--output", "json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.json().path("removed").asInt()).isEqualTo(2);
        assertThat(r.json().path("status").asText()).isEqualTo("APPLIED");
        assertThat(roster().path("roster").findValuesAsText("deviceId")).doesNotContain("leaving-0", "leaving-1");
    }

    @Test
    void keygenWritesDeviceKeysAndPrintsTheirManifest() throws Exception {
        final Path keys = dir.resolve("keys");
        final Run r = run("devices", "keygen", "--prefix", "gen-", "--count", "3", "--dir", keys.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(4).first().isEqualTo("device_id,public_key");
        assertThat(keys.resolve("gen-2.key")).exists();
        assertThat(Files.getPosixFilePermissions(keys.resolve("gen-2.key"))).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }
}
