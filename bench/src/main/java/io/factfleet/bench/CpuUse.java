package io.factfleet.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the CPU went during a phase: CPU seconds of the process, and of its Java threads grouped
 * as ingest, reducer, broker (the in-process Kafka and schema registry) and bench (the bench's own
 * producers, consumers and pollers); what the process used beyond its Java threads (JIT compiler,
 * GC, RocksDB's own background threads, threads that ended during the phase) is split, on Linux,
 * by reading {@code /proc/self/task/<tid>/stat} of the native threads: "rocksdb" (RocksDB flush and
 * compaction threads), "jit" (C1/C2 compiler threads), "gc" (G1 and GC worker threads), and the rest
 * "jvm_other". Everything runs in one process, so these say whether the cores were saturated and by whom.
 */
final class CpuUse {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final String[] GROUPS = {"ingest", "reducer", "broker", "bench"};
    private static final String[] EDGE_GROUPS = {"ingest", "reducer", "bridge", "http", "broker", "bench"};

    private final long wallStart;
    private final long processStart;
    private final Map<Long, Long> threadStart;
    private final Map<Long, String> names = new HashMap<>();
    private final Map<String, Long> nativeStart;
    private static final String[] NATIVE_GROUPS = {"rocksdb", "jit", "gc"};

    private final boolean edge;

    private CpuUse(final boolean edge) {
        this.edge = edge;
        wallStart = System.nanoTime();
        processStart = processCpuNanos();
        threadStart = threadCpu(names);
        nativeStart = nativeCpu();
    }

    static CpuUse start() {
        return new CpuUse(false);
    }

    /**
     * For phases with the edge bridge: "bridge" (its Kafka producer, client.id bench-bridge-producer,
     * and its scheduler) and "http" (every Jetty thread: the bridge's and the reducer's HTTP APIs
     * share the pool name) are groups of their own. The bridge's HTTP client to the reducer and the
     * devices' HTTP clients are both java.net.http threads and stay in "bench".
     */
    static CpuUse startWithEdge() {
        return new CpuUse(true);
    }

    /** The CPU used since {@link #start()}, as JSON: seconds per group, and utilization of all cores. */
    ObjectNode stop() {
        final long wall = System.nanoTime() - wallStart;
        final long process = processCpuNanos() - processStart;
        final Map<Long, String> endNames = new HashMap<>();
        final Map<Long, Long> end = threadCpu(endNames);
        final Map<String, Long> groups = new LinkedHashMap<>();
        for (final String g : edge ? EDGE_GROUPS : GROUPS) {
            groups.put(g, 0L);
        }
        long threadsTotal = 0;
        for (final Map.Entry<Long, Long> e : end.entrySet()) {
            final long used = e.getValue() - threadStart.getOrDefault(e.getKey(), 0L);
            groups.merge(edge ? edgeGroup(endNames.get(e.getKey())) : group(endNames.get(e.getKey())), used, Long::sum);
            threadsTotal += used;
        }
        final ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("wall_s", round(wall / 1e9));
        json.put("process_cpu_s", round(process / 1e9));
        json.put("cores_busy", round((double) process / wall));
        json.put("of_cores", Machine.cores());
        final ObjectNode by = json.putObject("cpu_s");
        groups.forEach((g, nanos) -> by.put(g, round(nanos / 1e9)));
        final Map<String, Long> nativeEnd = nativeCpu();
        long nativeTotal = 0;
        for (final String g : NATIVE_GROUPS) {
            final long used = nativeEnd.getOrDefault(g, 0L) - nativeStart.getOrDefault(g, 0L);
            by.put(g, round(used / 1e9));
            nativeTotal += used;
        }
        by.put("jvm_other", round(Math.max(0, process - threadsTotal - nativeTotal) / 1e9));
        return json;
    }

    static String group(final String name) {
        if (name == null) {
            return "broker";
        }
        if (name.contains("bench-ingest-")) {
            return "ingest";
        }
        // Jetty threads serve the reducer's HTTP API; the schema registry's are idle once the serdes cached their ids.
        if (name.contains("bench-reducer-") || name.startsWith("JettyServerThreadPool")) {
            return "reducer";
        }
        if (name.equals("main") || name.startsWith("bench-") || name.startsWith("HttpClient-")
                || name.startsWith("kafka-producer-network-thread | producer-") || name.startsWith("ForkJoinPool")) {
            return "bench";
        }
        return "broker";
    }

    static String edgeGroup(final String name) {
        if (name != null && (name.contains("bench-bridge-producer") || name.startsWith("edge-bridge-"))) {
            return "bridge";
        }
        if (name != null && name.startsWith("JettyServerThreadPool")) {
            return "http";
        }
        return group(name);
    }

    private static Map<Long, Long> threadCpu(final Map<Long, String> names) {
        final Map<Long, Long> cpu = new HashMap<>();
        final long[] ids = THREADS.getAllThreadIds();
        final ThreadInfo[] infos = THREADS.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            final long nanos = THREADS.getThreadCpuTime(ids[i]);
            if (nanos >= 0 && infos[i] != null) {
                cpu.put(ids[i], nanos);
                names.put(ids[i], infos[i].getThreadName());
            }
        }
        return cpu;
    }

    /** CPU nanoseconds of the process's native threads by group, from /proc (empty where there is none). */
    private static Map<String, Long> nativeCpu() {
        final Map<String, Long> cpu = new HashMap<>();
        final Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return cpu;
        }
        try (Stream<Path> list = Files.list(tasks)) {
            list.forEach(task -> {
                try {
                    final String stat = Files.readString(task.resolve("stat"));
                    final String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    final String group = nativeGroup(comm);
                    if (group != null) {
                        final String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        // fields 14 and 15 of stat (utime, stime) are 11 and 12 after the comm, in clock ticks
                        final long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        cpu.merge(group, ticks * 1_000_000_000L / CLOCK_TICKS, Long::sum);
                    }
                } catch (final IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            });
        } catch (final IOException e) {
            return cpu;
        }
        return cpu;
    }

    /** USER_HZ: 100 on every Linux this runs on. */
    private static final long CLOCK_TICKS = 100;

    static String nativeGroup(final String comm) {
        if (comm.startsWith("rocksdb")) {
            return "rocksdb";
        }
        if (comm.startsWith("C2 Compiler") || comm.startsWith("C1 Compiler")) {
            return "jit";
        }
        if (comm.startsWith("G1 ") || comm.startsWith("GC Thread")) {
            return "gc";
        }
        return null;
    }

    private static long processCpuNanos() {
        final var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }

    private static double round(final double v) {
        return Math.round(v * 100) / 100.0;
    }
}
