package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.console.ConsoleConfig;
import io.factfleet.console.LagMonitor;
import io.factfleet.console.LagReport;
import io.factfleet.console.LagStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code factfleet lag}: consumer lag per group, topic and partition. By default it prints what the running console
 * ({@code --console-url}) knows, window and status included; with {@code --bootstrap-servers} it computes the same figures
 * itself through Kafka's Admin API, sampling {@code --samples} times (with a progress bar) to judge the statuses.
 */
@Command(name = "lag", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print consumer lag per group, topic and partition: committed and log end offsets, offset lag, time lag and status "
                + "(OK, WARN, STALL, STOP, ERROR).",
        footer = {"", "Exit codes: 0 done, 1 unexpected failure, 2 bad usage, 3 service unreachable, 5 service not ready (503, retry), "
                + "6 --check found a group that is not OK."})
public final class LagCommand implements Callable<Integer> {
    @CommandLine.Mixin
    OperatorIdentity identity = new OperatorIdentity();

    @Option(names = "--console-url", defaultValue = "http://localhost:8070", paramLabel = "URL",
            description = "The operators' console to ask (default: ${DEFAULT-VALUE}).")
    URI consoleUrl;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Compute lag directly from this cluster through the Admin API instead of asking the console.")
    String bootstrapServers;

    @Option(names = "--kafka-config", paramLabel = "FILE", description = "Kafka client properties (security) for --bootstrap-servers.")
    Path kafkaConfig;

    @Option(names = "--samples", defaultValue = "3", paramLabel = "N",
            description = "With --bootstrap-servers: samples to take; trends and STALL need at least 2 (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--interval-ms", defaultValue = "1000", paramLabel = "MILLIS",
            description = "With --bootstrap-servers: time between samples (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--group", paramLabel = "REGEX", description = "Only groups whose id matches.")
    Pattern group;

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT", description = "text or json (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Option(names = "--check", description = "Exit with 6 when a group is not OK.")
    boolean check;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (samples < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--samples must be at least 1, got " + samples);
        }
        if (intervalMs < 100) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--interval-ms must be at least 100, got " + intervalMs);
        }
        final LagReport report;
        try {
            report = bootstrapServers == null ? fromConsole() : direct(err);
        } catch (final OperatorHttp.CommandFailure e) {
            err.println("factfleet lag: " + e.getMessage());
            err.flush();
            return e.exitCode;
        }
        final List<LagReport.GroupLag> groups = report.groups().stream().filter(g -> group == null || group.matcher(g.groupId()).matches()).toList();
        if (output == OutputFormat.json) {
            out.println(OperatorHttp.JSON.writeValueAsString(new LagReport(report.generatedAtMillis(), report.sampleIntervalMs(), report.windowMs(),
                    groups, report.error())));
        } else {
            printTable(out, groups);
            if (report.error() != null) {
                err.println("warning: " + report.error());
            }
        }
        out.flush();
        err.flush();
        return check && groups.stream().anyMatch(g -> g.status() != LagStatus.OK) ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    private LagReport fromConsole() throws OperatorHttp.CommandFailure {
        final JsonNode body = OperatorHttp.get(URI.create(consoleUrl.toString().replaceAll("/+$", "") + "/api/lag"), "operators' console", identity);
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove("html");
        try {
            return OperatorHttp.JSON.treeToValue(body, LagReport.class);
        } catch (final java.io.IOException e) {
            throw new OperatorHttp.CommandFailure(ExitCodes.FAILURE, "the console's /api/lag answer cannot be read: " + e.getMessage());
        }
    }

    private LagReport direct(final PrintWriter err) throws Exception {
        final Properties p = new Properties();
        if (kafkaConfig != null) {
            if (!Files.isReadable(kafkaConfig)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--kafka-config " + kafkaConfig + ": no such readable file");
            }
            try (var in = Files.newInputStream(kafkaConfig)) {
                p.load(in);
            }
        }
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty(ConsoleConfig.SAMPLE_INTERVAL_MS, Long.toString(intervalMs));
        p.setProperty(ConsoleConfig.WINDOW_MS, Long.toString(intervalMs * Math.max(1, samples)));
        p.setProperty(ConsoleConfig.MIN_SAMPLES, Integer.toString(Math.max(2, samples)));
        if (group != null) {
            p.setProperty(ConsoleConfig.GROUP_PATTERN, group.pattern());
        }
        LagReport report = null;
        try (LagMonitor monitor = new LagMonitor(ConsoleConfig.of(p), new SimpleMeterRegistry());
             Progress progress = Progress.start(err, "Sampling lag", samples)) {
            for (int i = 0; i < samples; i++) {
                if (i > 0) {
                    Thread.sleep(intervalMs);
                }
                report = monitor.sampleOnce();
                progress.step();
                if (report.error() != null && i == 0 && report.groups().isEmpty()) {
                    throw new OperatorHttp.CommandFailure(ExitCodes.UNREACHABLE, "cannot read the consumer groups of " + bootstrapServers + ": "
                            + report.error());
                }
            }
        }
        err.println();
        return report;
    }

    private static void printTable(final PrintWriter out, final List<LagReport.GroupLag> groups) {
        if (groups.isEmpty()) {
            out.println("No consumer groups.");
            return;
        }
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"GROUP", "TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG", "TIME-LAG", "DRAIN", "STATUS"});
        for (final LagReport.GroupLag g : groups) {
            if (g.topics().isEmpty()) {
                rows.add(new String[] {g.groupId(), "-", "-", "-", "-", "-", "-", "-", g.status().name()});
            }
            for (final LagReport.TopicLag t : g.topics()) {
                for (final LagReport.PartitionLag p : t.partitions()) {
                    rows.add(new String[] {g.groupId(), t.topic(), Integer.toString(p.partition()), Long.toString(p.committedOffset()),
                            Long.toString(p.logEndOffset()), Long.toString(p.lag()), millis(p.timeLagMillis()),
                            p.drainSeconds() == null ? "-" : millis(Math.round(p.drainSeconds() * 1000)), p.status().name()});
                }
            }
        }
        final int[] widths = new int[rows.get(0).length];
        rows.forEach(r -> {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        });
        for (final String[] r : rows) {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(String.format("%-" + widths[i] + "s", r[i])).append(i < r.length - 1 ? "  " : "");
            }
            out.println(line.toString().stripTrailing());
        }
        for (final LagReport.GroupLag g : groups) {
            out.printf("%s: %s (%s, %d member(s), lag %d)%n", g.groupId(), g.status(), g.state(), g.members(), g.totalLag());
        }
    }

    private static String millis(final long ms) {
        return ms < 1000 ? ms + "ms" : ms < 120_000 ? ms / 1000 + "s" : ms / 60_000 + "min";
    }
}
