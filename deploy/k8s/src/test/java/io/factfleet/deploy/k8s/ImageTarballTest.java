package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.factfleet.bridge.EdgeBridgeMain;
import io.factfleet.bridge.BridgeConfig;
import io.factfleet.console.ConsoleConfig;
import io.factfleet.console.ConsoleMain;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ota.OtaConfig;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.ingest.IngestMain;
import io.factfleet.ota.OtaMain;
import io.factfleet.reducer.ReducerMain;
import io.factfleet.registry.SchemaRegistryMain;
import io.factfleet.snapshot.SnapshotMain;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The services' image tarballs (issue 14; README "Images"), as Jib's {@code buildTar} made them in this build: each is
 * the image the manifests name, runs the service's main class as the manifests' non-root user, and exposes the port
 * the manifests probe; and the schema registry's, unpacked, starts from its own entrypoint and Java runtime and
 * answers 200 on {@code /health} (it needs only Kafka: an in-process broker here).
 *
 * <p>The registry's tarball is built in every build; the other six with {@code -Pimages}, which sets
 * {@code images.all} and so makes this test check all seven. A tarball that is missing fails the test: build it with
 * {@code mvn -pl schema-registry -am package} (or run the tests with {@code -am}).
 */
class ImageTarballTest {
    /** The project's root directory (the tests run in deploy/k8s). */
    private static final Path PROJECT = ManifestTree.ROOT.resolve("../..").normalize();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** The services' output, kept after the test (the unpacked images are not). */
    private static final Path LOGS = ManifestTree.ROOT.resolve("target/image-logs");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Small and quick to start: the test JVM and an in-process broker share the machine with it. */
    private static final String JAVA_TOOL_OPTIONS = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    @TempDir
    static Path work;

    private static ImageTarball registryImage;
    private static UnpackedImage registry;
    private Process process;

    @BeforeAll
    static void unpackTheRegistryImage() {
        registryImage = ImageTarball.read(tarball(FactFleetWorkload.SCHEMA_REGISTRY));
        registry = UnpackedImage.unpack(registryImage, work.resolve("schema-registry"));
    }

    /** The registry the other services' images are started against ({@code -Pimages}), started once. */
    private static Process sharedRegistry;
    private static String sharedRegistryUrl;

    @AfterEach
    void stopTheService() {
        UnpackedImage.stop(process, 30);
    }

    @AfterAll
    static void stopTheSharedRegistry() {
        UnpackedImage.stop(sharedRegistry, 30);
    }

    static Stream<FactFleetWorkload> images() {
        return Boolean.getBoolean("images.all") ? Stream.of(FactFleetWorkload.values()) : Stream.of(FactFleetWorkload.SCHEMA_REGISTRY);
    }

    @ParameterizedTest
    @MethodSource("images")
    void theImageIsTheOneTheManifestsNameAndRunsItsMainAsTheirNonRootUser(final FactFleetWorkload service) {
        final ImageTarball image = ImageTarball.read(tarball(service));
        final Container container = container(service);
        final ImageTarball.Config config = image.config();

        assertThat(image.repoTags()).containsExactly(container.getImage());
        assertThat(config.uid()).as("the image's user (%s) is a non-root uid", config.user()).isPositive();
        assertThat(config.user()).isEqualTo(runAsUser(service) + ":" + runAsUser(service));
        assertThat(config.entrypoint()).last().isEqualTo(mainClass(service).getName());
        assertThat(config.ports()).contains(httpPort(container) + "/tcp");
        assertThat(config.labels()).containsEntry("org.opencontainers.image.version", WorkloadChecksTest.version())
                .containsEntry("org.opencontainers.image.title", service.imageName());
    }

    @Test
    void theRegistryImageHoldsItsJavaRuntimeAndItsMainClass() {
        final List<String> entrypoint = registry.command(registryImage.config().entrypoint());
        assertThat(registry.inImage(registryImage.config().entrypoint().get(0))).as("the entrypoint's executable, in the image").isExecutable();
        assertThat(entrypoint.get(0)).startsWith(registry.root().toString());
        assertThat(registry.contains("/app/classes/" + SchemaRegistryMain.class.getName().replace('.', '/') + ".class")).isTrue();
    }

    @Test
    void theRegistryImageStartsFromItsEntrypointAndAnswersOnHealth() {
        final Path log = LOGS.resolve("schema-registry.log");
        final URI health = startRegistry(registryImage.config().entrypoint(), log);
        awaitHealthy(health, log);
    }

    @Test
    void anEntrypointNamingAnotherClassThanTheServiceMainNeverAnswers() {
        // The check above can fail: the same image and settings, its entrypoint's class not a main.
        final List<String> entrypoint = new ArrayList<>(registryImage.config().entrypoint());
        entrypoint.set(entrypoint.size() - 1, "io.factfleet.registry.SchemaRegistryConfig");
        final Path log = LOGS.resolve("schema-registry-not-its-main.log");
        final URI health = startRegistry(entrypoint, log);
        assertThatThrownBy(() -> awaitHealthy(health, log))
                .hasMessageContaining("exited before answering");
    }

    static Stream<FactFleetWorkload> servicesBesideTheRegistry() {
        return Stream.of(FactFleetWorkload.values()).filter(s -> s != FactFleetWorkload.SCHEMA_REGISTRY);
    }

    /**
     * With {@code -Pimages}: every other service's image, unpacked, starts from its own entrypoint and Java runtime,
     * with a properties file as its argument (the container's command), against the in-process broker (FactFleet's
     * topics created) and the registry's image, and answers 200 on {@code /health} (a Kafka Streams application once it
     * is RUNNING). Operator authentication is off: nobody calls them but the probe.
     */
    @ParameterizedTest
    @MethodSource("servicesBesideTheRegistry")
    @EnabledIfSystemProperty(named = "images.all", matches = "true")
    void everyServiceImageStartsFromItsEntrypointAndAnswersOnHealth(final FactFleetWorkload service) throws IOException {
        final String registryUrl = sharedRegistry();
        final ImageTarball image = ImageTarball.read(tarball(service));
        final UnpackedImage unpacked = UnpackedImage.unpack(image, work.resolve(service.imageName()));
        final int port = freePort();
        final Properties settings = settings(service, port, registryUrl);
        final String file = "/tmp/" + service.imageName() + ".properties";
        try (OutputStream out = Files.newOutputStream(unpacked.inImage(file))) {
            settings.store(out, "ImageTarballTest: " + service.imageName());
        }
        final Path log = LOGS.resolve(service.imageName() + ".log");
        process = unpacked.start(image.config().entrypoint(), List.of(file), Map.of("JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS), log);
        awaitHealthy(service.imageName(), process, URI.create("http://127.0.0.1:" + port + "/health"), log);
    }

    /** Starts the registry's image for the other services, once, and creates FactFleet's topics; its URL. */
    private static synchronized String sharedRegistry() {
        if (sharedRegistry == null) {
            for (final var topic : FactFleetTopics.all()) {
                KAFKA.createTopic(topic.name(), 1, 1, topic.configs());
            }
            final int port = freePort();
            sharedRegistryUrl = "http://127.0.0.1:" + port;
            final Path log = LOGS.resolve("schema-registry-shared.log");
            sharedRegistry = registry.start(registryImage.config().entrypoint(), registryEnvironment(port), log);
            awaitHealthy("the registry", sharedRegistry, URI.create(sharedRegistryUrl + "/health"), log);
        }
        return sharedRegistryUrl;
    }

    /** What each service needs to start here; everything else is its default. */
    private static Properties settings(final FactFleetWorkload service, final int port, final String registryUrl) {
        final Properties p = new Properties();
        p.setProperty("bootstrap.servers", KAFKA.bootstrapServers());
        p.setProperty("schema.registry.url", registryUrl);
        p.setProperty("factfleet.auth.enabled", "false");
        // Relative to the working directory, the image's /tmp (the process is not in a chroot: /tmp would be the host's).
        p.setProperty("state.dir", "state");
        p.setProperty("num.stream.threads", "1");
        p.setProperty("replication.factor", "1");
        p.setProperty("commit.interval.ms", "100");
        final String operatorKey = "ab".repeat(32);
        switch (service) {
            case INGEST -> {
                p.setProperty(IngestConfig.HTTP_PORT, Integer.toString(port));
                p.setProperty(IngestConfig.HTTP_BIND_HOST, "127.0.0.1");
                p.setProperty(IngestConfig.OPERATOR_KEYS, operatorKey);
            }
            case REDUCER -> {
                p.setProperty(ReducerConfig.HTTP_PORT_CONFIG, Integer.toString(port));
                p.setProperty(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
                p.setProperty(ReducerConfig.OPERATOR_KEYS_CONFIG, operatorKey);
                p.setProperty("application.server", "127.0.0.1:" + port);
            }
            case SNAPSHOT_COORDINATOR -> {
                p.setProperty(SnapshotConfig.HTTP_PORT, Integer.toString(port));
                p.setProperty(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
                p.setProperty(SnapshotConfig.OPERATOR_KEYS, operatorKey);
                p.setProperty("application.server", "127.0.0.1:" + port);
            }
            case OTA_COORDINATOR -> {
                p.setProperty(OtaConfig.HTTP_PORT_CONFIG, Integer.toString(port));
                p.setProperty(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
                p.setProperty("application.server", "127.0.0.1:" + port);
            }
            case EDGE_BRIDGE -> {
                p.setProperty(BridgeConfig.HTTP_PORT, Integer.toString(port));
                p.setProperty(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
                p.setProperty(BridgeConfig.REDUCER_URL, "http://127.0.0.1:" + freePort());
            }
            case CONSOLE -> {
                p.setProperty(ConsoleConfig.HTTP_PORT, Integer.toString(port));
                p.setProperty(ConsoleConfig.HTTP_BIND_HOST, "127.0.0.1");
            }
            case SCHEMA_REGISTRY -> throw new IllegalArgumentException("the registry reads SCHEMA_REGISTRY_* variables");
        }
        return p;
    }

    private static Map<String, String> registryEnvironment(final int port) {
        return Map.of(
                "SCHEMA_REGISTRY_BOOTSTRAP_SERVERS", KAFKA.bootstrapServers(),
                "SCHEMA_REGISTRY_LISTENERS", "http://127.0.0.1:" + port,
                "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR", "1",
                // Nobody calls it but the probe and the services, which need no login (in the pods, the operators file is mounted).
                "SCHEMA_REGISTRY_FACTFLEET_AUTH_ENABLED", "false",
                "JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS);
    }

    private URI startRegistry(final List<String> entrypoint, final Path log) {
        final int port = freePort();
        process = registry.start(entrypoint, registryEnvironment(port), log);
        return URI.create("http://127.0.0.1:" + port + "/health");
    }

    private void awaitHealthy(final URI health, final Path log) {
        awaitHealthy("the registry", process, health, log);
    }

    private static void awaitHealthy(final String name, final Process p, final URI health, final Path log) {
        Await.until(name + " answers 200 on " + health + " (log: " + log + ")", START_TIMEOUT, () -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited before answering on " + health + " (code " + p.exitValue() + "); its log:\n"
                        + tail(log));
            }
            return status(health) == 200;
        });
    }

    static Path tarball(final FactFleetWorkload service) {
        final Path file = PROJECT.resolve(service.imageName()).resolve("target")
                .resolve(service.imageName() + "-" + WorkloadChecksTest.version() + "-image.tar");
        assertThat(file).as("the image tarball of %s (mvn -pl %s -am package%s)", service.imageName(), service.imageName(),
                service == FactFleetWorkload.SCHEMA_REGISTRY ? "" : " -Pimages").exists();
        return file;
    }

    static Class<?> mainClass(final FactFleetWorkload service) {
        return switch (service) {
            case SCHEMA_REGISTRY -> SchemaRegistryMain.class;
            case INGEST -> IngestMain.class;
            case REDUCER -> ReducerMain.class;
            case SNAPSHOT_COORDINATOR -> SnapshotMain.class;
            case OTA_COORDINATOR -> OtaMain.class;
            case EDGE_BRIDGE -> EdgeBridgeMain.class;
            case CONSOLE -> ConsoleMain.class;
        };
    }

    private static PodSpec pod(final FactFleetWorkload service) {
        final List<HasMetadata> base = ManifestTree.base();
        return ManifestTree.named(base, StatefulSet.class, service.workloadName()).map(s -> s.getSpec().getTemplate().getSpec())
                .or(() -> ManifestTree.named(base, Deployment.class, service.workloadName()).map(d -> d.getSpec().getTemplate().getSpec()))
                .orElseThrow(() -> new AssertionError("no workload " + service.workloadName() + " in deploy/k8s/base"));
    }

    private static Container container(final FactFleetWorkload service) {
        return pod(service).getContainers().stream().filter(c -> c.getName().equals(service.containerName())).findFirst()
                .orElseThrow(() -> new AssertionError(service.workloadName() + " has no container " + service.containerName()));
    }

    private static long runAsUser(final FactFleetWorkload service) {
        return pod(service).getSecurityContext().getRunAsUser();
    }

    private static int httpPort(final Container container) {
        return container.getPorts().stream().filter(p -> "http".equals(p.getName())).map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow();
    }

    private static int status(final URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (final IOException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(final Path log) {
        try {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
