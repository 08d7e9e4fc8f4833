package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every file of deploy/k8s parses with the Kubernetes and Strimzi models, and every kustomization includes what exists. */
class ManifestTreeTest {
    /** The kinds this tree may hold; any other (or an API version the models do not know) parses as a generic resource. */
    static final Set<Class<? extends HasMetadata>> KINDS = Set.of(Deployment.class, StatefulSet.class, Service.class, PodDisruptionBudget.class,
            NetworkPolicy.class, ConfigMap.class, Namespace.class, KafkaTopic.class, KafkaUser.class, Kafka.class, KafkaNodePool.class);
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    @Test
    void everyManifestIsAKindTheModelsKnow() {
        final List<ManifestTree.Manifest> manifests = ManifestTree.manifestsUnder(ManifestTree.ROOT);
        assertThat(manifests).hasSizeGreaterThan(30);
        final List<String> unknown = manifests.stream()
                .filter(m -> m.resource() instanceof GenericKubernetesResource || !KINDS.contains(m.resource().getClass()))
                .map(m -> m.describe() + " (" + m.resource().getApiVersion() + ")").toList();
        assertThat(unknown).as("resources of a kind or API version the Kubernetes and Strimzi models do not know").isEmpty();
    }

    @Test
    void noManifestHasAFieldItsModelDoesNotKnow() {
        final List<String> unknown = new ArrayList<>();
        for (final ManifestTree.Manifest m : ManifestTree.manifestsUnder(ManifestTree.ROOT)) {
            UnknownFields.of(m.resource()).forEach(f -> unknown.add(m.describe() + ": " + f));
        }
        assertThat(unknown).as("fields the models do not declare (misspelt, or at the wrong level)").isEmpty();
    }

    @Test
    void aMisspeltFieldIsFound() {
        final String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec:
                  selector: {app: x}
                  ports: [{name: http, port: 80, targtPort: http}]
                """;
        final HasMetadata service = ManifestTree.parse(ManifestTree.serialization(), yaml).get(0);
        assertThat(UnknownFields.of(service)).containsExactly("Service.spec.ports[0]: targtPort");
    }

    @Test
    void strimziResourcesUseTheV1ApiAndNameTheCluster() {
        for (final ManifestTree.Manifest m : ManifestTree.manifestsUnder(ManifestTree.ROOT)) {
            if (m.resource().getApiVersion().startsWith("kafka.strimzi.io/") && !(m.resource() instanceof Kafka)) {
                assertThat(ManifestTree.labels(m.resource()).get("strimzi.io/cluster")).as(m.describe()).isEqualTo("factfleet");
            }
        }
        // The raw text, not the model (which writes its own API version back): Strimzi 1.0 serves kafka.strimzi.io/v1 only.
        for (final Path file : ManifestTree.yamlFiles()) {
            assertThat(ManifestTree.read(file)).as(file.toString()).doesNotContain("kafka.strimzi.io/v1beta");
        }
    }

    @Test
    void everyKustomizationIncludesFilesThatExistAndUsesOnlyFieldsTheTestsKnow() {
        final List<Path> directories = ManifestTree.kustomizationDirectories();
        assertThat(directories).containsExactlyInAnyOrder(ManifestTree.BASE, ManifestTree.OVERLAYS.resolve("local"), ManifestTree.OVERLAYS.resolve("production"));
        for (final Path dir : directories) {
            final Kustomization k = Kustomization.read(dir);
            assertThat(k.unknownFields()).as(dir + ": kustomization fields the tests do not check").isEmpty();
            assertThat(k.resources()).as(dir.toString()).isNotEmpty();
            for (final String resource : k.resources()) {
                final Path target = dir.resolve(resource).normalize();
                final boolean exists = Files.isRegularFile(target) || Files.isRegularFile(target.resolve(ManifestTree.KUSTOMIZATION));
                assertThat(exists).as(dir + " includes " + resource + ", which is neither a file nor a kustomization directory").isTrue();
            }
        }
    }

    @Test
    void everyManifestFileIsIncludedByTheKustomizationBesideIt() {
        for (final Path file : ManifestTree.yamlFiles()) {
            if (file.getFileName().toString().equals(ManifestTree.KUSTOMIZATION)) {
                continue;
            }
            final Kustomization k = Kustomization.read(file.getParent());
            assertThat(k.resources()).as(file + " is applied by no kustomization").contains(file.getFileName().toString());
        }
    }

    @Test
    void namesAreValidKubernetesNames() {
        for (final ManifestTree.Manifest m : ManifestTree.manifestsUnder(ManifestTree.ROOT)) {
            final String name = m.resource().getMetadata().getName();
            assertThat(name).as(m.describe()).matches(DNS_SUBDOMAIN).hasSizeLessThanOrEqualTo(253);
            if (m.resource() instanceof Service || m.resource() instanceof StatefulSet || m.resource() instanceof Deployment) {
                // Services and the pods' host names are DNS labels.
                assertThat(name).as(m.describe()).matches(DNS_LABEL);
            }
        }
    }
}
