package io.factfleet.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** What the bench ran on: a one-line description and the same as fields. */
final class Machine {
    private Machine() {
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    static long memoryBytes() {
        final var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return -1;
    }

    static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst();
        } catch (final IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static String jvm() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor") + ")";
    }

    static String os() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    }

    static long maxHeapBytes() {
        return Runtime.getRuntime().maxMemory();
    }

    static String line() {
        return String.format("%d cores%s, %.1f GiB RAM, %s, %s, max heap %.1f GiB", cores(),
                cpuModel().map(m -> " (" + m + ")").orElse(""), memoryBytes() / (1024.0 * 1024 * 1024), jvm(), os(),
                maxHeapBytes() / (1024.0 * 1024 * 1024));
    }

    static ObjectNode json() {
        final ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("description", line());
        m.put("cores", cores());
        cpuModel().ifPresent(c -> m.put("cpu", c));
        m.put("memory_bytes", memoryBytes());
        m.put("jvm", jvm());
        m.put("os", os());
        m.put("max_heap_bytes", maxHeapBytes());
        return m;
    }
}
