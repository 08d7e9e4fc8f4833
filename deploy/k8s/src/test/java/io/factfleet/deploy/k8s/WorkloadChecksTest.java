package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The base's workloads have the shape and settings {@link WorkloadChecks} asks for, and the checks do find what is wrong. */
class WorkloadChecksTest {
    static String version() {
        return System.getProperty("project.version", "0.1.0-SNAPSHOT");
    }

    @Test
    void theBaseWorkloadsPassEveryCheck() {
        assertThat(WorkloadChecks.problems(ManifestTree.base(), version())).isEmpty();
    }

    @Test
    void aWorkloadWithoutItsReadinessProbeIsFound() {
        final List<HasMetadata> resources = copyOfBase();
        reducer(resources).getSpec().getTemplate().getSpec().getContainers().get(0).setReadinessProbe(null);
        assertThat(WorkloadChecks.problems(resources, version())).containsExactly(
                "StatefulSet factfleet-reducer container reducer: readinessProbe must GET /health on the http port");
    }

    @Test
    void aVariableTheServiceDoesNotReadIsFound() {
        final List<HasMetadata> resources = copyOfBase();
        final Deployment bridge = ManifestTree.named(resources, Deployment.class, "factfleet-edge-bridge").orElseThrow();
        bridge.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().add(new EnvVar("FACTFLEET_BRIDGE_RATE_LIMIT", "100", null));
        assertThat(WorkloadChecks.problems(resources, version())).containsExactly(
                "Deployment factfleet-edge-bridge: FACTFLEET_BRIDGE_RATE_LIMIT sets bridge.rate.limit, which edge-bridge does not read");
    }

    @Test
    void aValueTheServiceRefusesIsFound() {
        final List<HasMetadata> resources = copyOfBase();
        final Deployment bridge = ManifestTree.named(resources, Deployment.class, "factfleet-edge-bridge").orElseThrow();
        bridge.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().add(new EnvVar("FACTFLEET_BRIDGE_SHED_LOAD_FRACTION", "2", null));
        assertThat(WorkloadChecks.problems(resources, version())).singleElement().asString()
                .startsWith("Deployment factfleet-edge-bridge: edge-bridge refuses its settings: ").contains("bridge.shed.load.fraction");
    }

    @Test
    void anApplicationServerOutsideTheHeadlessServiceIsFound() {
        final List<HasMetadata> resources = copyOfBase();
        reducer(resources).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(v -> v.getName().equals("FACTFLEET_APPLICATION_SERVER")).findFirst().orElseThrow().setValue("localhost:8080");
        assertThat(WorkloadChecks.problems(resources, version())).containsExactly(
                "StatefulSet factfleet-reducer: application.server of its pod 0 is localhost:8080, expected "
                        + "factfleet-reducer-0.factfleet-reducer-headless.ns.svc:8080 (the pod's name under its headless Service, the HTTP port)");
    }

    @Test
    void anotherServicesKafkaLoginIsFound() {
        final List<HasMetadata> resources = copyOfBase();
        reducer(resources).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(v -> v.getName().equals("FACTFLEET_SASL_JAAS_CONFIG")).findFirst().orElseThrow()
                .getValueFrom().getSecretKeyRef().setName("factfleet-ingest");
        assertThat(WorkloadChecks.problems(resources, version())).containsExactly(
                "StatefulSet factfleet-reducer: its sasl.jaas.config must come from the Secret of KafkaUser factfleet-reducer; got factfleet-ingest/sasl.jaas.config");
    }

    private static StatefulSet reducer(final List<HasMetadata> resources) {
        return ManifestTree.named(resources, StatefulSet.class, "factfleet-reducer").orElseThrow();
    }

    private static List<HasMetadata> copyOfBase() {
        final var serialization = ManifestTree.serialization();
        final List<HasMetadata> copy = new ArrayList<>();
        ManifestTree.base().forEach(r -> copy.add(serialization.clone(r)));
        return copy;
    }
}
