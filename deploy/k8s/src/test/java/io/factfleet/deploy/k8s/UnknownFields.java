package io.factfleet.deploy.k8s;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fields the Kubernetes and Strimzi models do not know. Both models keep a field they cannot map in the object's
 * {@code additionalProperties} instead of failing, so a misspelt {@code readinesProbe} or a field at the wrong level
 * would parse without a word: this walks the parsed objects and reports every such field with its path.
 */
final class UnknownFields {
    private static final List<String> MODEL_PACKAGES = List.of("io.fabric8.kubernetes.api.model", "io.strimzi.api.kafka.model");

    private UnknownFields() {
    }

    /** {@code path: field} for every field of {@code resource} that its model does not declare. */
    static List<String> of(final Object resource) {
        final List<String> found = new ArrayList<>();
        walk(resource, resource.getClass().getSimpleName(), found);
        return found;
    }

    private static void walk(final Object value, final String path, final List<String> found) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (final Object item : items) {
                walk(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, found));
            return;
        }
        if (!isModel(value.getClass())) {
            return;
        }
        for (final Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !isModel(getter.getDeclaringClass())) {
                continue;
            }
            final String name = getter.getName();
            if (!name.startsWith("get") || name.length() == 3) {
                continue;
            }
            final Object property;
            try {
                property = getter.invoke(value);
            } catch (final IllegalAccessException | InvocationTargetException e) {
                continue; // a computed getter that does not apply to this object
            }
            if (name.equals("getAdditionalProperties")) {
                if (property instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> found.add(path + ": " + k));
                }
            } else {
                walk(property, path + "." + Character.toLowerCase(name.charAt(3)) + name.substring(4), found);
            }
        }
    }

    private static boolean isModel(final Class<?> type) {
        final String name = type.getName();
        return !type.isEnum() && MODEL_PACKAGES.stream().anyMatch(name::startsWith);
    }
}
