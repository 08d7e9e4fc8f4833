package io.factfleet.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A fuzz target's figures for the reliability results (issue 12): how many inputs it ran and how many findings it made,
 * written after the class to {@code target/fuzz-stats/<target>.json} of its module, where {@code ReliabilityIT} collects
 * them. A target registers it with {@code @ExtendWith(FuzzStats.class)} and calls {@link #executed} once per input.
 * A finding is a failed invocation: Jazzer fails the fuzzing invocation on a crash, and a corpus input that fails on
 * replay fails its own invocation.
 */
public final class FuzzStats implements TestWatcher, AfterAllCallback {
    private static final Map<Class<?>, AtomicLong> EXECUTIONS = new ConcurrentHashMap<>();
    private static final Map<Class<?>, AtomicLong> FINDINGS = new ConcurrentHashMap<>();

    /** Counts one input run by the fuzz target {@code target}. */
    public static void executed(final Class<?> target) {
        EXECUTIONS.computeIfAbsent(target, t -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void testFailed(final ExtensionContext context, final Throwable cause) {
        FINDINGS.computeIfAbsent(context.getRequiredTestClass(), t -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void afterAll(final ExtensionContext context) {
        final Class<?> target = context.getRequiredTestClass();
        final long executions = EXECUTIONS.getOrDefault(target, new AtomicLong()).get();
        final long findings = FINDINGS.getOrDefault(target, new AtomicLong()).get();
        // Fuzzing when Jazzer's JAZZER_FUZZ is set (the fuzz-targets execution); otherwise the corpus is only replayed.
        final String mode = System.getenv("JAZZER_FUZZ") == null ? "regression" : "fuzzing";
        final Path file = Path.of("target", "fuzz-stats", target.getSimpleName() + ".json");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "{\"target\":\"" + target.getName() + "\",\"mode\":\"" + mode + "\",\"executions\":" + executions
                    + ",\"findings\":" + findings + "}\n", StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + file.toAbsolutePath(), e);
        }
    }
}
