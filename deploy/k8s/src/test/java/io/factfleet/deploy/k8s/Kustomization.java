package io.factfleet.deploy.k8s;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code kustomization.yaml}, read with fabric8's YAML mapper: the fields this tree uses, and the names of any others
 * (a field the tests do not know is reported, so that nothing Kustomize would do goes unchecked).
 *
 * @param resources            the files and directories it includes, as written
 * @param configMapGenerators  its ConfigMap generators
 * @param unknownFields        fields other than the ones this tree uses
 */
record Kustomization(Path directory, List<String> resources, List<ConfigMapGenerator> configMapGenerators, Set<String> unknownFields) {
    /** The fields this tree uses; patches are applied by Kustomize itself (OverlaysTest renders the overlays with it). */
    static final Set<String> KNOWN_FIELDS = Set.of("apiVersion", "kind", "namespace", "resources", "patches", "configMapGenerator");

    /** @param literals {@code key=value} pairs */
    record ConfigMapGenerator(String name, String behavior, Map<String, String> literals) {
    }

    static Kustomization read(final Path directory) {
        final Map<?, ?> yaml = ManifestTree.serialization().unmarshal(ManifestTree.read(directory.resolve(ManifestTree.KUSTOMIZATION)), Map.class);
        final List<String> resources = new ArrayList<>();
        for (final Object r : list(yaml.get("resources"))) {
            resources.add(r.toString());
        }
        final List<ConfigMapGenerator> generators = new ArrayList<>();
        for (final Object g : list(yaml.get("configMapGenerator"))) {
            final Map<?, ?> generator = (Map<?, ?>) g;
            final Map<String, String> literals = new LinkedHashMap<>();
            for (final Object literal : list(generator.get("literals"))) {
                final String text = literal.toString();
                final int eq = text.indexOf('=');
                if (eq < 1) {
                    throw new IllegalArgumentException(directory + ": configMapGenerator literal without key=value: " + text);
                }
                literals.put(text.substring(0, eq), text.substring(eq + 1));
            }
            if (generator.containsKey("files") || generator.containsKey("envs")) {
                throw new IllegalArgumentException(directory + ": configMapGenerator " + generator.get("name") + " uses files or envs; the tests read literals only");
            }
            generators.add(new ConfigMapGenerator(String.valueOf(generator.get("name")), (String) generator.get("behavior"), literals));
        }
        final Set<String> unknown = new java.util.TreeSet<>();
        yaml.keySet().forEach(k -> {
            if (!KNOWN_FIELDS.contains(k.toString())) {
                unknown.add(k.toString());
            }
        });
        return new Kustomization(directory, List.copyOf(resources), List.copyOf(generators), Set.copyOf(unknown));
    }

    private static List<?> list(final Object value) {
        return value == null ? List.of() : (List<?>) value;
    }
}
