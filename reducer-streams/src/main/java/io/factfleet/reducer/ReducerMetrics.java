package io.factfleet.reducer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one reducer instance, shared by its stream threads, its deserialization exception
 * handler and its HTTP front ({@code GET /metrics}). Records that were skipped are counted here so a
 * bad record shows up as a number going up rather than as a dead stream thread.
 */
public final class ReducerMetrics {

    /**
     * The Streams config key under which {@link ReducerConfig#streamsProperties(ReducerMetrics)} hands
     * this object to the deserialization exception handler (Streams passes configs through as objects).
     */
    public static final String CONFIG_KEY = "factfleet.reducer.metrics";

    private final AtomicLong factsFolded = new AtomicLong();
    private final AtomicLong duplicateFacts = new AtomicLong();
    private final AtomicLong refolds = new AtomicLong();
    private final AtomicLong prunedFacts = new AtomicLong();
    private final AtomicLong processingErrors = new AtomicLong();
    private final AtomicLong deserializationErrors = new AtomicLong();
    private final AtomicLong rejectionsRecorded = new AtomicLong();
    private final AtomicLong rejectionsSkipped = new AtomicLong();
    private final AtomicLong rejectionsExpired = new AtomicLong();

    /** A new fact was added to the index and folded into its authority's state. */
    public void factFolded() {
        factsFolded.incrementAndGet();
    }

    /** A fact already in the index arrived again and was ignored. */
    public void duplicateFact() {
        duplicateFacts.incrementAndGet();
    }

    /** An authority's state was reduced again from its whole index. */
    public void refold() {
        refolds.incrementAndGet();
    }

    /** A tombstone removed a fact from the index. */
    public void factPruned() {
        prunedFacts.incrementAndGet();
    }

    /** A record could not be processed and was skipped. */
    public void processingError() {
        processingErrors.incrementAndGet();
    }

    /** A record's value could not be deserialized and was skipped. */
    public void deserializationError() {
        deserializationErrors.incrementAndGet();
    }

    /** A rejection from ingest was recorded for its fact's status. */
    public void rejectionRecorded() {
        rejectionsRecorded.incrementAndGet();
    }

    /** A rejection could not be recorded (no valid authority or fact id, or a key that is not its authority). */
    public void rejectionSkipped() {
        rejectionsSkipped.incrementAndGet();
    }

    /** A recorded rejection was older than the retention and was deleted. */
    public void rejectionExpired() {
        rejectionsExpired.incrementAndGet();
    }

    /**
     * Registers every counter with {@code registry} as {@code factfleet.reducer.<name>} (Prometheus:
     * {@code factfleet_reducer_facts_folded_total} and so on).
     */
    public void bindTo(final MeterRegistry registry) {
        counter(registry, "facts.folded", "New facts folded into their authority's state", factsFolded);
        counter(registry, "facts.duplicate", "Facts already in the index that arrived again", duplicateFacts);
        counter(registry, "refolds", "Authority states reduced again from the whole index", refolds);
        counter(registry, "facts.pruned", "Facts removed from the index by a tombstone", prunedFacts);
        counter(registry, "processing.errors", "Records that could not be processed and were skipped", processingErrors);
        counter(registry, "deserialization.errors", "Records whose value could not be deserialized and were skipped", deserializationErrors);
        counter(registry, "rejections.recorded", "Rejections from ingest recorded for their fact's status", rejectionsRecorded);
        counter(registry, "rejections.skipped", "Rejections that could not be recorded", rejectionsSkipped);
        counter(registry, "rejections.expired", "Recorded rejections deleted after the retention", rejectionsExpired);
    }

    private static void counter(final MeterRegistry registry, final String name, final String description, final AtomicLong value) {
        FunctionCounter.builder("factfleet.reducer." + name, value, AtomicLong::doubleValue).description(description).register(registry);
    }

    /** The counters now. */
    public Snapshot snapshot() {
        return new Snapshot(factsFolded.get(), duplicateFacts.get(), refolds.get(), prunedFacts.get(),
                processingErrors.get(), deserializationErrors.get(), rejectionsRecorded.get(), rejectionsSkipped.get(),
                rejectionsExpired.get());
    }

    /** The counters at one moment; the JSON of {@code GET /metrics.json}. */
    public record Snapshot(long factsFolded, long duplicateFacts, long refolds, long prunedFacts,
                           long processingErrors, long deserializationErrors, long rejectionsRecorded,
                           long rejectionsSkipped, long rejectionsExpired) {
    }
}
