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

    public void accepted() {
        accepted.incrementAndGet();
    }

    public void duplicate() {
        duplicates.incrementAndGet();
    }

    public void rejected(final RejectionCode code) {
        rejected.get(code).incrementAndGet();
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
