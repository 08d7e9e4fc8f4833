package io.factfleet.deploy.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Kustomize tree under {@code deploy/k8s}: every manifest file parsed with fabric8's Kubernetes model, Strimzi's
 * resources with Strimzi's model classes, and every {@code kustomization.yaml} read as a {@link Kustomization}.
 */
final class ManifestTree {
    /** What the tests run from: surefire starts in the module's directory, {@code deploy/k8s}. */
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path BASE = ROOT.resolve("base");
    static final Path OVERLAYS = ROOT.resolve("overlays");
    static final String KUSTOMIZATION = "kustomization.yaml";

    /** One resource, and the file it was read from. */
    record Manifest(Path file, HasMetadata resource) {
        String describe() {
            return ROOT.relativize(file) + ": " + resource.getKind() + " " + resource.getMetadata().getName();
        }
    }

    private ManifestTree() {
    }

    /** The Strimzi API version of every Strimzi resource here: the one Strimzi 1.0 serves, and 0.49 to 0.51 besides v1beta2. */
    static final String STRIMZI_API_VERSION = "kafka.strimzi.io/v1";

    /**
     * fabric8's serialization with Strimzi's kinds registered under {@value #STRIMZI_API_VERSION}, so that they parse to
     * Strimzi's classes (its model classes serve both versions; Kafka and KafkaNodePool still carry v1beta2 as their own),
     * and a Strimzi resource of another version stays a generic resource, which the tests refuse.
     */
    static KubernetesSerialization serialization() {
        final KubernetesSerialization serialization = new KubernetesSerialization();
        serialization.registerKubernetesResource(STRIMZI_API_VERSION, "KafkaTopic", KafkaTopic.class);
        serialization.registerKubernetesResource(STRIMZI_API_VERSION, "KafkaUser", KafkaUser.class);
        serialization.registerKubernetesResource(STRIMZI_API_VERSION, "Kafka", Kafka.class);
        serialization.registerKubernetesResource(STRIMZI_API_VERSION, "KafkaNodePool", KafkaNodePool.class);
        return serialization;
    }

    /** Every YAML file of the tree, kustomization files included, sorted (the module's build output excluded). */
    static List<Path> yamlFiles() {
        final List<Path> files = new ArrayList<>();
        for (final Path dir : List.of(BASE, OVERLAYS)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().forEach(files::add);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    /** The kustomization directories: the base and each overlay. */
    static List<Path> kustomizationDirectories() {
        return yamlFiles().stream().filter(p -> p.getFileName().toString().equals(KUSTOMIZATION)).map(Path::getParent).toList();
    }

    /** The resources of every manifest file (not the kustomization files) under {@code dir}. */
    static List<Manifest> manifestsUnder(final Path dir) {
        final KubernetesSerialization serialization = serialization();
        final List<Manifest> manifests = new ArrayList<>();
        for (final Path file : yamlFiles()) {
            if (file.startsWith(dir) && !file.getFileName().toString().equals(KUSTOMIZATION)) {
                parse(serialization, read(file)).forEach(r -> manifests.add(new Manifest(file, r)));
            }
        }
        return manifests;
    }

    /**
     * The base as it is applied, without Kustomize: its manifest files plus the ConfigMaps its {@code configMapGenerator}
     * makes (under their names without the hash suffix Kustomize adds, the names the workloads refer to).
     */
    static List<HasMetadata> base() {
        final List<HasMetadata> resources = new ArrayList<>(manifestsUnder(BASE).stream().map(Manifest::resource).toList());
        resources.addAll(generatedConfigMaps(Kustomization.read(BASE)));
        return resources;
    }

    static List<ConfigMap> generatedConfigMaps(final Kustomization kustomization) {
        return kustomization.configMapGenerators().stream()
                .map(g -> new ConfigMapBuilder().withNewMetadata().withName(g.name()).endMetadata().withData(g.literals()).build())
                .toList();
    }

    /** The resources of a YAML stream of one or more documents. */
    static List<HasMetadata> parse(final KubernetesSerialization serialization, final String yaml) {
        final Object parsed = serialization.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
        final List<HasMetadata> resources = new ArrayList<>();
        if (parsed instanceof KubernetesList list) {
            resources.addAll(list.getItems());
        } else if (parsed instanceof Collection<?> many) {
            many.forEach(r -> resources.add((HasMetadata) r));
        } else if (parsed != null) {
            resources.add((HasMetadata) parsed);
        }
        return resources;
    }

    static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The resources of {@code kind} among {@code resources}. */
    static <T extends HasMetadata> List<T> ofKind(final Collection<? extends HasMetadata> resources, final Class<T> kind) {
        return resources.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    /** The resource of {@code kind} named {@code name}, if any. */
    static <T extends HasMetadata> java.util.Optional<T> named(final Collection<? extends HasMetadata> resources, final Class<T> kind, final String name) {
        return ofKind(resources, kind).stream().filter(r -> name.equals(r.getMetadata().getName())).findFirst();
    }

    /** Labels, never null. */
    static Map<String, String> labels(final HasMetadata resource) {
        final Map<String, String> labels = resource.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }
}
