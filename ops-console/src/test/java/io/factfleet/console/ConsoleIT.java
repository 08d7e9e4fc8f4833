package io.factfleet.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.testkit.Await;
import io.factfleet.testkit.HeadlessChromium;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console on a real broker: statuses of real consumer groups (STALL then OK, ERROR), its Prometheus endpoint, and
 * its pages in headless Chromium compared with what Kafka's own {@code kafka-consumer-groups --describe} reports.
 */
class ConsoleIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    @TempDir
    static Path chromiumProfile;

    private static ConsoleService console;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startConsole() {
        final Properties p = new Properties();
        p.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        KAFKA.clientProps().forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        p.setProperty(ConsoleConfig.HTTP_PORT, "0");
        p.setProperty(ConsoleConfig.HTTP_BIND_HOST, "127.0.0.1");
        p.setProperty(ConsoleConfig.SAMPLE_INTERVAL_MS, "300");
        p.setProperty(ConsoleConfig.WINDOW_MS, "1500");
        p.setProperty(ConsoleConfig.MIN_SAMPLES, "3");
        console = new ConsoleService(ConsoleConfig.of(p)).start();
    }

    @AfterAll
    static void stopConsole() {
        if (console != null) {
            console.stop();
        }
    }

    private static void produce(final String topic, final int count) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KAFKA.producerProps())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {1}));
            }
        }
    }

    private static LagReport.GroupLag group(final String id) {
        return console.lagMonitor().report().groups().stream().filter(g -> g.groupId().equals(id)).findFirst().orElse(null);
    }

    private static boolean groupIs(final String id, final LagStatus status, final long lag) {
        final LagReport.GroupLag g = group(id);
        if (g != null && (g.status() != status || g.totalLag() != lag)) {
            System.out.println("waiting for " + id + " " + status + " lag " + lag + ", now " + g);
        }
        return g != null && g.status() == status && g.totalLag() == lag;
    }

    @Test
    void aGroupWhoseCommitsStopWhileItsInputGrowsIsStallThenOkOnceItResumes() throws Exception {
        KAFKA.createTopic("stall-input", 2);
        produce("stall-input", 10);
        try (PausableConsumer consumer = new PausableConsumer(KAFKA.consumerProps("stall-group"), "stall-input")) {
            Await.until("stall-group caught up", WAIT, () -> groupIs("stall-group", LagStatus.OK, 0));
            consumer.pause();
            produce("stall-input", 10);
            Await.until("stall-group shows STALL with lag 10", WAIT, () -> groupIs("stall-group", LagStatus.STALL, 10));
            final LagReport.GroupLag stalled = group("stall-group");
            assertThat(stalled.members()).isEqualTo(1);
            assertThat(stalled.maxTimeLagMillis()).as("time lag from the waiting records' timestamps").isPositive();
            assertThat(stalled.topics().get(0).partitions()).filteredOn(p -> p.lag() > 0)
                    .allSatisfy(p -> assertThat(p.reason()).contains("not committing"));

            consumer.resume();
            Await.until("stall-group OK again with lag 0", WAIT, () -> groupIs("stall-group", LagStatus.OK, 0));
        }
    }

    @Test
    void aGroupWhoseCommittedOffsetFallsBelowTheLogStartIsError() throws Exception {
        KAFKA.createTopic("pruned-input", 1);
        produce("pruned-input", 20);
        final TopicPartition tp = new TopicPartition("pruned-input", 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KAFKA.consumerProps("error-group"))) {
            consumer.assign(java.util.List.of(tp));
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(5)));
        }
        try (Admin admin = KAFKA.admin()) {
            admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(10))).all().get();
        }
        Await.until("error-group shows ERROR", WAIT, () -> group("error-group") != null && group("error-group").status() == LagStatus.ERROR);
        final LagReport.PartitionLag p = group("error-group").topics().get(0).partitions().get(0);
        assertThat(p.committedOffset()).isEqualTo(5);
        assertThat(p.logStartOffset()).isEqualTo(10);
        assertThat(p.reason()).contains("below the log start offset 10");
    }

    @Test
    void metricsArePrometheusTextWithTheLagMonitorsFigures() throws Exception {
        KAFKA.createTopic("metrics-input", 1);
        produce("metrics-input", 3);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KAFKA.consumerProps("metrics-group"))) {
            final TopicPartition tp = new TopicPartition("metrics-input", 0);
            consumer.assign(java.util.List.of(tp));
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(1)));
        }
        Await.until("metrics-group sampled", WAIT, () -> group("metrics-group") != null);
        final HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(console.uri().resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body())
                .contains("factfleet_console_lag_records{group=\"metrics-group\",partition=\"0\",topic=\"metrics-input\"} 2.0")
                .contains("factfleet_console_lag_time_seconds{group=\"metrics-group\"")
                .contains("factfleet_console_lag_status{group=\"metrics-group\"")
                .contains("factfleet_console_group_status{group=\"metrics-group\"} 3.0");
    }

    @Test
    void theLagPageInChromiumShowsWhatKafkaConsumerGroupsDescribeReportsAndUpdatesWhenTheConsumerResumes() throws Exception {
        final HeadlessChromium chromium = HeadlessChromium.find(chromiumProfile).orElse(null);
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (apt-get install chromium; .ci/run installs it): "
                + "the browser test cannot run");
        KAFKA.createTopic("browse-input", 3);
        produce("browse-input", 15);
        try (PausableConsumer consumer = new PausableConsumer(KAFKA.consumerProps("paused-group"), "browse-input")) {
            Await.until("paused-group caught up", WAIT, () -> groupIs("paused-group", LagStatus.OK, 0));
            consumer.pause();
            produce("browse-input", 15);
            Await.until("the console sees paused-group's lag of 15", WAIT, () -> group("paused-group") != null && group("paused-group").totalLag() == 15);

            final Map<String, Long> described = describeWithKafkaTool("paused-group");
            assertThat(described).hasSize(3);
            assertThat(described.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(15);
            final String dom = chromium.dumpDom(console.uri() + "/lag");
            assertThat(lagRows(dom, "paused-group")).isEqualTo(described);
            chromium.screenshot(console.uri() + "/lag", SCREENSHOTS.resolve("lag.png"));

            consumer.resume();
            Await.until("the page shows paused-group with lag 0 on every partition", WAIT, () -> {
                final Map<String, Long> rows = lagRows(chromium.dumpDom(console.uri() + "/lag"), "paused-group");
                return rows.size() == 3 && rows.values().stream().allMatch(lag -> lag == 0);
            });
            assertThat(describeWithKafkaTool("paused-group").values()).containsOnly(0L);
        }
        // The page refreshes itself: its script polled /api/lag and swapped the fresh fragment in.
        final String refreshed = chromium.dumpDomAfter(console.uri() + "/lag", 4_000);
        final Matcher footer = Pattern.compile("<footer id=\"updated\">([^<]*)</footer>").matcher(refreshed);
        assertThat(footer.find()).isTrue();
        assertThat(footer.group(1)).as("the footer the script sets after a successful poll").startsWith("updated ");
        assertThat(lagRows(refreshed, "paused-group")).hasSize(3);
        chromium.screenshot(console.uri() + "/fleet", SCREENSHOTS.resolve("fleet.png"));
        chromium.screenshot(console.uri() + "/rollouts", SCREENSHOTS.resolve("rollouts.png"));
        assertThat(SCREENSHOTS.resolve("lag.png")).isNotEmptyFile();
        assertThat(Files.size(SCREENSHOTS.resolve("fleet.png"))).isPositive();
    }

    /** {@code topic-partition -> lag} of the group's rows in the lag page's DOM. */
    private static Map<String, Long> lagRows(final String dom, final String groupId) {
        final Map<String, Long> rows = new TreeMap<>();
        final Matcher m = Pattern.compile("<tr class=\"partition\" data-group=\"" + Pattern.quote(groupId)
                + "\" data-topic=\"([^\"]+)\" data-partition=\"(\\d+)\"[^>]*? data-lag=\"(\\d+)\"").matcher(dom);
        while (m.find()) {
            rows.put(m.group(1) + "-" + m.group(2), Long.parseLong(m.group(3)));
        }
        return rows;
    }

    /**
     * {@code topic-partition -> LAG} as Kafka's own {@code kafka-consumer-groups --describe} prints it (ConsumerGroupCommand from
     * kafka-tools, run in-process with its output captured).
     */
    private static Map<String, Long> describeWithKafkaTool(final String groupId) throws Exception {
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final PrintStream original = System.out;
        Exit.setExitProcedure((code, message) -> {
            if (code != 0) {
                throw new IllegalStateException("kafka-consumer-groups exited with " + code + ": " + message);
            }
        });
        synchronized (System.class) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                ConsumerGroupCommand.main(new String[] {"--bootstrap-server", KAFKA.bootstrapServers(), "--describe", "--group", groupId});
            } finally {
                System.setOut(original);
                Exit.resetExitProcedure();
            }
        }
        final Map<String, Long> rows = new TreeMap<>();
        String[] header = null;
        for (final String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
            final String[] cells = line.trim().split("\\s+");
            if (cells.length > 1 && cells[0].equals("GROUP")) {
                header = cells;
            } else if (header != null && cells.length >= 6 && cells[0].equals(groupId)) {
                final java.util.List<String> h = java.util.List.of(header);
                rows.put(cells[h.indexOf("TOPIC")] + "-" + cells[h.indexOf("PARTITION")], Long.parseLong(cells[h.indexOf("LAG")]));
            }
        }
        return rows;
    }
}
