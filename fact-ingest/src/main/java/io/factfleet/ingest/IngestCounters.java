package io.factfleet.ingest;

import io.factfleet.core.RejectionCode;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What ingest has decided since it started, for metrics, health and tests. Thread-safe. */
public final class IngestCounters {
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final Map<RejectionCode, AtomicLong> rejected = new EnumMap<>(RejectionCode.class);

    public IngestCounters() {
        for (final RejectionCode code : RejectionCode.values()) {
            rejected.put(code, new AtomicLong());
        }
    }

    private final AtomicLong held = new AtomicLong();
    private final AtomicLong released = new AtomicLong();
    private final AtomicLong fencesOpened = new AtomicLong();
    private final AtomicLong fencesExpired = new AtomicLong();

    /** A fact held by an authority's writer fence. */
    public void held() {
        held.incrementAndGet();
    }

    /** A held fact released when its fence lifted. */
    public void released() {
        released.incrementAndGet();
    }

    public void fenceOpened() {
        fencesOpened.incrementAndGet();
    }

    /** A fence lifted by ingest's own safety timeout, not by a completion or abort. */
    public void fenceExpired() {
        fencesExpired.incrementAndGet();
    }

    public long heldCount() {
        return held.get();
    }

    public long releasedCount() {
        return released.get();
    }

    public long fencesOpenedCount() {
        return fencesOpened.get();
    }

    public long fencesExpiredCount() {
        return fencesExpired.get();
    }

    public void accepted() {
        accepted.incrementAndGet();
    }

    public void duplicate() {
        duplicates.incrementAndGet();
    }

    public void rejected(final RejectionCode code) {
        rejected.get(code).incrementAndGet();
    }

    /**
     * Registers the counters with {@code registry}: {@code factfleet_ingest_facts_accepted_total},
     * {@code factfleet_ingest_facts_duplicate_total}, {@code factfleet_ingest_facts_rejected_total{code}} and the
     * snapshot writer fence's {@code factfleet_ingest_fence_held_total}, {@code _released_total}, {@code factfleet_ingest_fences_opened_total},
     * {@code _expired_total} and {@code factfleet_ingest_fence_holding}.
     */
    public void bindTo(final io.micrometer.core.instrument.MeterRegistry registry) {
        io.micrometer.core.instrument.FunctionCounter.builder("factfleet.ingest.facts.accepted", accepted, AtomicLong::doubleValue)
                .description("facts admitted to the journal").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("factfleet.ingest.facts.duplicate", duplicates, AtomicLong::doubleValue)
                .description("facts already admitted that arrived again").register(registry);
        rejected.forEach((code, count) -> io.micrometer.core.instrument.FunctionCounter
                .builder("factfleet.ingest.facts.rejected", count, AtomicLong::doubleValue).tag("code", code.name())
                .description("facts rejected, by reason code").register(registry));
        io.micrometer.core.instrument.FunctionCounter.builder("factfleet.ingest.fence.held", held, AtomicLong::doubleValue)
                .description("facts held by a snapshot writer fence").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("factfleet.ingest.fence.released", released, AtomicLong::doubleValue)
                .description("held facts released when their fence lifted").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("factfleet.ingest.fences.opened", fencesOpened, AtomicLong::doubleValue)
                .description("writer fences opened by snapshot proposals").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("factfleet.ingest.fences.expired", fencesExpired, AtomicLong::doubleValue)
                .description("writer fences ingest lifted itself (factfleet.ingest.fence.max.ms)").register(registry);
        io.micrometer.core.instrument.Gauge.builder("factfleet.ingest.fence.holding", () -> Math.max(0, held.get() - released.get()))
                .description("facts held by writer fences and not yet released, counted since this instance started").register(registry);
    }

    public long acceptedCount() {
        return accepted.get();
    }

    public long duplicateCount() {
        return duplicates.get();
    }

    public long rejectedCount(final RejectionCode code) {
        return rejected.get(code).get();
    }

    public long rejectedTotal() {
        return rejected.values().stream().mapToLong(AtomicLong::get).sum();
    }
}
