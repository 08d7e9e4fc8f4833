package io.factfleet.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Reading a service's Prometheus text exposition in tests. */
public final class PrometheusText {
    /**
     * The Kafka Streams metric families every Streams service (fact-ingest, reducer) must export, with the names Kafka
     * Streams 4.3 reports at the default recording level INFO, through Micrometer's {@code KafkaStreamsMetrics}:
     * process rate, commit latency, records-lag-max (the main and the restore consumer: standby and restore lag),
     * record end-to-end latency (source and terminal nodes), dropped records, restore progress (remaining and restored
     * records, KIP-869). Standby updates are in {@link #KAFKA_STREAMS_STANDBY_FAMILIES}.
     */
    public static final List<String> KAFKA_STREAMS_FAMILIES = List.of(
            "kafka_stream_thread_process_rate",
            "kafka_stream_thread_commit_latency_avg",
            "kafka_stream_thread_commit_latency_max",
            "kafka_consumer_fetch_manager_records_lag_max",
            "kafka_stream_processor_node_record_e2e_latency_avg",
            "kafka_stream_processor_node_record_e2e_latency_max",
            "kafka_stream_task_dropped_records_total",
            "kafka_stream_task_restore_remaining_records_total",
            "kafka_stream_task_restore_total");

    /**
     * Standby lag (KIP-869): records applied to standby tasks. Kafka Streams registers these only for standby tasks, so they
     * appear on an instance that holds one ({@code num.standby.replicas} at least 1 and a second instance to hold it).
     */
    public static final List<String> KAFKA_STREAMS_STANDBY_FAMILIES = List.of("kafka_stream_task_update_total", "kafka_stream_task_update_rate");

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private PrometheusText() {
    }

    /** The metric names of the sample lines of a text exposition (labels stripped). */
    public static Set<String> families(final String text) {
        final Set<String> names = new TreeSet<>();
        for (final String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            final int brace = line.indexOf('{');
            final int space = line.indexOf(' ');
            final int end = brace >= 0 && (space < 0 || brace < space) ? brace : space;
            names.add(end < 0 ? line : line.substring(0, end));
        }
        return names;
    }

    /** GET {@code uri}: the body of a 200 answer whose content type is {@code text/plain}. */
    public static String scrape(final URI uri) throws IOException, InterruptedException {
        return scrape(uri, null);
    }

    /** As {@link #scrape(URI)}, sending {@code authorization} (null for none) as the Authorization header. */
    public static String scrape(final URI uri, final String authorization) throws IOException, InterruptedException {
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        final HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(uri + " answered " + response.statusCode() + ": " + response.body());
        }
        final String type = response.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("text/plain")) {
            throw new IOException(uri + " answered " + type + ", not Prometheus text");
        }
        return response.body();
    }
}
