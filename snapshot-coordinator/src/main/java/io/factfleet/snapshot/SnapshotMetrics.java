package io.factfleet.snapshot;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The coordinator's progress as Prometheus metrics (plus Kafka Streams' own, bound by the service). */
public final class SnapshotMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter proposed = Counter.builder("factfleet_snapshot_proposals_emitted").description("Snapshot proposals emitted").register(registry);
    private final Counter opened = Counter.builder("factfleet_snapshot_proposals_opened").description("Proposals that reached the journal (fence open)").register(registry);
    private final Counter completed = Counter.builder("factfleet_snapshot_completed").description("Snapshots completed and collected").register(registry);
    private final Counter aborted = Counter.builder("factfleet_snapshot_aborted").description("Snapshot proposals aborted").register(registry);
    private final Counter factsPruned = Counter.builder("factfleet_snapshot_facts_pruned").description("Journal facts tombstoned by garbage collection").register(registry);
    private final Counter bytesPruned = Counter.builder("factfleet_snapshot_pruned_bytes").description("Bytes of journal records tombstoned (record values)").register(registry);
    private final Counter errors = Counter.builder("factfleet_snapshot_processing_errors").description("Records the coordinator skipped").register(registry);
    private final io.micrometer.core.instrument.Timer complete = io.micrometer.core.instrument.Timer.builder("factfleet_snapshot_complete")
            .description("Request to garbage collection, per snapshot").register(registry);

    public MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    public void proposed() {
        proposed.increment();
    }

    public void proposalOpened() {
        opened.increment();
    }

    public void completed(final long facts, final long bytes, final long millis) {
        completed.increment();
        factsPruned.increment(facts);
        bytesPruned.increment(bytes);
        complete.record(java.time.Duration.ofMillis(millis));
    }

    public void aborted() {
        aborted.increment();
    }

    public void processingError() {
        errors.increment();
    }

    public double completedCount() {
        return completed.count();
    }
}
