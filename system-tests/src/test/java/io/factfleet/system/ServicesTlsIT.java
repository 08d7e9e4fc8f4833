package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.auth.HttpTls;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.console.ConsoleConfig;
import io.factfleet.console.ConsoleService;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerService;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every operator-facing service serves HTTPS with {@code factfleet.http.tls.*} (the bridge's kind of configuration):
 * the registry (its clients trust it Confluent's way), fact-ingest's metrics, two reducers that forward to each other
 * over HTTPS, both coordinators and the console, which reads the others over HTTPS. Plain HTTP gets no answer.
 * Every service asks for client certificates ({@code factfleet.http.tls.client.auth=requested}): an operator known by
 * its certificate alone reads what its grants allow from either reducer (the one that forwards is known to the owner
 * by its own certificate), and every other caller still authenticates as before.
 */
class ServicesTlsIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final String PASSWORD = "services-tls-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final int PARTITIONS = 4;
    /** Authorities covering every partition, so that each of the two reducers owns some and forwards for the others. */
    private static final List<String> AUTHORITIES = coveringEveryPartition();

    private static List<String> coveringEveryPartition() {
        final List<String> ids = new ArrayList<>();
        final Set<Integer> covered = new HashSet<>();
        for (int i = 0; covered.size() < PARTITIONS; i++) {
            if (covered.add(io.factfleet.contracts.AuthorityPartitioner.partition("tls-" + i, PARTITIONS))) {
                ids.add("tls-" + i);
            }
        }
        return List.copyOf(ids);
    }

    @TempDir
    static Path dir;
    private static Path keystore;
    private static Path operatorCertificate;
    private static HttpClient alice;
    private static HttpClient https;
    private static InProcessSpine spine;
    private static SnapshotCoordinatorService snapshots;
    private static OtaCoordinatorService ota;
    private static ConsoleService console;

    @BeforeAll
    static void startEveryServiceWithTls() throws Exception {
        keystore = selfSignedKeystore(dir.resolve("services.p12"), "services", "CN=localhost");
        operatorCertificate = selfSignedKeystore(dir.resolve("ops-alice.p12"), "alice", "CN=ops-alice,O=Example");
        final Path truststore = dir.resolve("trusted.p12");
        trust(keystore, "services", truststore);
        trust(operatorCertificate, "alice", truststore);
        https = HttpClient.newBuilder().sslContext(HttpTls.sslContext(new HttpTls.Store(truststore, PASSWORD, "PKCS12"))).build();
        final TestOperators operators = TestOperators.create(dir.resolve("operators")).withTls(keystore, truststore, PASSWORD)
                .withServiceProperty(HttpTls.CLIENT_AUTH, HttpTls.ClientAuth.REQUESTED.label())
                .with(new OperatorEntry("ops-alice", List.of(), null, "CN=ops-alice,O=Example", null, Map.of(AUTHORITIES.get(0), List.of("viewer"))))
                .with(new OperatorEntry("svc-services", List.of(), null, "CN=localhost", null, Map.of("*", List.of("viewer"))));
        alice = HttpClient.newBuilder().sslContext(HttpTls.sslContext(Optional.of(new HttpTls.Store(operatorCertificate, PASSWORD, "PKCS12")),
                Optional.of(new HttpTls.Store(truststore, PASSWORD, "PKCS12")))).build();
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 2, PARTITIONS, 1, operators);
        for (final String id : AUTHORITIES) {
            spine.publish(AuthorityGenesis.generate(id, 3, 2).genesisFact(OPERATOR));
        }

        final Properties snapshotProps = operators.serviceProps();
        snapshotProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        snapshotProps.put("schema.registry.url", spine.registryUrl);
        snapshotProps.put("state.dir", dir.resolve("snapshot").toString());
        snapshotProps.put(SnapshotConfig.HTTP_PORT, "0");
        snapshotProps.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
        snapshotProps.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        snapshots = new SnapshotCoordinatorService(SnapshotConfig.of(snapshotProps)).start();

        final Properties otaProps = operators.serviceProps();
        otaProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        otaProps.put("schema.registry.url", spine.registryUrl);
        otaProps.put("state.dir", dir.resolve("ota").toString());
        otaProps.put(OtaConfig.HTTP_PORT_CONFIG, "0");
        otaProps.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        ota = new OtaCoordinatorService(OtaConfig.of(otaProps)).start();

        final Properties consoleProps = operators.bridgeProps();
        consoleProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        consoleProps.put(ConsoleConfig.HTTP_PORT, "0");
        consoleProps.put(ConsoleConfig.HTTP_BIND_HOST, "127.0.0.1");
        consoleProps.put(ConsoleConfig.REDUCER_URL, spine.reducer(0).httpUri().toString());
        consoleProps.put(ConsoleConfig.SNAPSHOT_URL, snapshots.httpUri().toString());
        consoleProps.put(ConsoleConfig.OTA_URL, ota.uri().toString());
        console = new ConsoleService(ConsoleConfig.of(consoleProps)).start();
        Await.until("the coordinators are RUNNING", Duration.ofSeconds(90), () -> snapshots.streamsState() == KafkaStreams.State.RUNNING
                && ota.streamsState() == KafkaStreams.State.RUNNING);
    }

    @AfterAll
    static void stopEveryService() {
        io.factfleet.testkit.Closeables.closeAll(console, ota, snapshots, spine);
    }

    private static HttpResponse<String> get(final URI uri) throws Exception {
        return https.send(TestOperators.get(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eachReducerAnswersForEveryAuthorityOverHttpsForwardingToTheOwnerOverHttps() throws Exception {
        final Set<String> servedBy = new HashSet<>();
        for (final ReducerService reducer : spine.reducers) {
            assertThat(reducer.httpUri().getScheme()).isEqualTo("https");
            for (final String id : AUTHORITIES) {
                final URI state = URI.create(reducer.httpUri() + "/authorities/" + id + "/state");
                Await.until(id + " is served by " + reducer.applicationServer(), Duration.ofSeconds(60), () -> get(state).statusCode() == 200);
                servedBy.add(JSON.readTree(get(state).body()).path("servedBy").asText());
            }
            final HttpResponse<String> listing = get(URI.create(reducer.httpUri() + "/authorities"));
            assertThat(listing.statusCode()).as(listing.body()).isEqualTo(200);
            assertThat(JSON.readTree(listing.body()).path("instances")).hasSize(2);
        }
        assertThat(servedBy).as("both instances own some authority, so each forwarded to the other").hasSize(2);
    }

    @Test
    void theRegistryIngestTheCoordinatorsAndTheConsoleServeHttpsAndTheConsoleReadsTheOthersOverHttps() throws Exception {
        assertThat(spine.registryUrl).startsWith("https://");
        assertThat(get(URI.create(spine.registryUrl + "/subjects")).statusCode()).isEqualTo(200);
        assertThat(get(URI.create("https://127.0.0.1:" + spine.ingest.httpPort().orElseThrow() + "/metrics")).statusCode()).isEqualTo(200);
        Await.until("the snapshot coordinator knows " + AUTHORITIES.get(0), Duration.ofSeconds(60),
                () -> get(URI.create(snapshots.httpUri() + "/authorities/" + AUTHORITIES.get(0) + "/snapshots/status")).statusCode() == 200);
        Await.until("the OTA coordinator knows " + AUTHORITIES.get(0), Duration.ofSeconds(60),
                () -> get(URI.create(ota.uri() + "/authorities/" + AUTHORITIES.get(0) + "/upgrades")).statusCode() == 200);
        Await.until("the console's fleet page lists every authority (read from the reducer over HTTPS)", Duration.ofSeconds(60), () -> {
            final HttpResponse<String> fleet = get(URI.create(console.uri() + "/api/fleet"));
            if (fleet.statusCode() != 200) {
                return false;
            }
            final List<String> listed = new ArrayList<>();
            JSON.readTree(fleet.body()).path("authorities").forEach(a -> listed.add(a.path("authorityId").asText()));
            return listed.containsAll(AUTHORITIES);
        });
        final JsonNode fleet = JSON.readTree(get(URI.create(console.uri() + "/api/fleet")).body());
        assertThat(fleet.toString()).doesNotContain("answered 401").doesNotContain("did not answer");
    }

    @Test
    void anOperatorKnownByItsClientCertificateReadsItsAuthorityFromEitherReducerAndNothingElse() throws Exception {
        final String own = AUTHORITIES.get(0);
        final Set<String> servedBy = new HashSet<>();
        for (final ReducerService reducer : spine.reducers) {
            final URI state = URI.create(reducer.httpUri() + "/authorities/" + own + "/state");
            Await.until(own + " is served to ops-alice by " + reducer.applicationServer(), Duration.ofSeconds(60),
                    () -> alice.send(HttpRequest.newBuilder(state).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200);
            final HttpResponse<String> r = alice.send(HttpRequest.newBuilder(state).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            servedBy.add(JSON.readTree(r.body()).path("servedBy").asText());
            for (final String other : AUTHORITIES.subList(1, AUTHORITIES.size())) {
                final HttpResponse<String> refused = alice.send(HttpRequest.newBuilder(URI.create(reducer.httpUri() + "/authorities/" + other
                        + "/state")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
                assertThat(JSON.readTree(refused.body()).path("code").asText()).isEqualTo("OTHER_AUTHORITY");
            }
        }
        assertThat(servedBy).as("one reducer answered itself, the other forwarded to it with its own certificate").hasSize(1);
        final HttpResponse<String> registryWrite = alice.send(HttpRequest.newBuilder(URI.create(spine.registryUrl + "/config"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"NONE\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(registryWrite.statusCode()).as(registryWrite.body()).isEqualTo(403);
    }

    @Test
    void plainHttpToAServiceThatServesTlsGetsNoAnswer() {
        final URI plain = URI.create(spine.reducer(0).httpUri().toString().replace("https://", "http://") + "/health");
        final Throwable failure = catchThrowable(() -> {
            final HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(plain).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("plain HTTP on the TLS port").isNotEqualTo(200);
        });
        if (failure != null) {
            assertThat(failure).isInstanceOf(java.io.IOException.class);
        }
    }

    private static Path selfSignedKeystore(final Path path, final String alias, final String subject) throws Exception {
        keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", subject, "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", path.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        return path;
    }

    /** Adds the certificate of {@code alias} in {@code keystore} to {@code truststore} (created if needed). */
    private static void trust(final Path keystore, final String alias, final Path truststore) throws Exception {
        final Path cert = keystore.resolveSibling(alias + ".crt");
        keytool("-exportcert", "-alias", alias, "-keystore", keystore.toString(), "-storepass", PASSWORD, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", PASSWORD);
    }

    private static void keytool(final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
