package io.factfleet.reducer.internal;

import io.factfleet.contracts.JournalKey;
import io.factfleet.reducer.ReducerMetrics;
import io.factfleet.reducer.ReducerStores;
import io.factfleet.reducer.ReducerStores.Rejection;
import io.factfleet.schema.ingest.RejectedFact;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ingest's latest rejection of each fact ({@code factfleet.facts.rejected}) in
 * {@link ReducerStores#REJECTED_FACTS}, so a fact's status can say why it never reached the journal.
 *
 * <p>Ingest keys a rejection by the authority id and Kafka's default partitioner puts it on
 * {@code murmur2(authorityId) % partitions}, the partition {@code AuthorityPartitioner} gives the
 * authority's journal facts: with the same partition count on both topics, the task that owns an
 * authority's facts owns its rejections too. Rejections that cannot be found by authority and fact
 * id are skipped and counted: no authority or fact id (ingest could not decode that far), an invalid
 * authority id, or a record key other than the authority id (the record may sit in another
 * authority's partition).
 *
 * <p>Rejections older than the retention (by {@code rejectedAtMillis}, against wall-clock time) are
 * deleted by a periodic punctuation, as the topic itself deletes them after its retention.
 */
public final class RejectionIndexProcessor implements Processor<String, RejectedFact, Void, Void> {
    /** How often expired rejections are looked for. */
    static final Duration EXPIRY_INTERVAL = Duration.ofMinutes(1);
    /** At most this many rejections are deleted per punctuation, so a backlog never stalls the thread for long. */
    static final int MAX_EXPIRED_PER_RUN = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(RejectionIndexProcessor.class);

    private final ReducerMetrics metrics;
    private final Duration retention;
    private KeyValueStore<String, Rejection> rejected;
    private KeyValueStore<String, String> expiry;

    public RejectionIndexProcessor(final ReducerMetrics metrics, final Duration retention) {
        this.metrics = metrics;
        this.retention = retention;
    }

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
        this.rejected = context.getStateStore(ReducerStores.REJECTED_FACTS.name());
        this.expiry = context.getStateStore(ReducerStores.REJECTED_EXPIRY.name());
        context.schedule(EXPIRY_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(final Record<String, RejectedFact> record) {
        final RejectedFact value = record.value();
        if (value == null) {
            return;
        }
        final String authorityId = value.getAuthorityId();
        final String factId = value.getFactId() == null ? null : value.getFactId().toLowerCase(Locale.ROOT);
        if (authorityId == null || factId == null || !JournalKey.isValidAuthorityId(authorityId) || !FactKeys.isFactIdHex(factId)) {
            // Ingest could not tell whose fact it was or which (it did not decode that far): nothing to look up.
            metrics.rejectionSkipped();
            LOG.debug("Not indexing a rejection ({}) of fact {} of authority {}: no valid authority or fact id", value.getReasonCode(),
                    factId, authorityId);
            return;
        }
        if (!authorityId.equals(record.key())) {
            metrics.rejectionSkipped();
            LOG.warn("Not indexing a rejection ({}) of fact {}: its record key '{}' is not its authority id '{}', so it may sit in another "
                    + "authority's partition", value.getReasonCode(), factId, record.key(), authorityId);
            return;
        }
        final String journalKey = JournalKey.of(authorityId, factId);
        final Rejection previous = rejected.get(journalKey);
        if (previous != null) {
            expiry.delete(FactKeys.expiryKey(previous.rejectedAtMillis(), journalKey));
        }
        rejected.put(journalKey, new Rejection(value.getReasonCode(), value.getMessage(), value.getRejectedAtMillis()));
        expiry.put(FactKeys.expiryKey(value.getRejectedAtMillis(), journalKey), journalKey);
        metrics.rejectionRecorded();
    }

    /** Deletes the rejections at or before {@code now - retention}. */
    void expire(final long now) {
        final long cutoff = now - retention.toMillis();
        final List<KeyValue<String, String>> expired = new ArrayList<>();
        try (KeyValueIterator<String, String> it = expiry.range("", FactKeys.expiryUpperBound(cutoff))) {
            while (it.hasNext() && expired.size() < MAX_EXPIRED_PER_RUN) {
                expired.add(it.next());
            }
        }
        for (final KeyValue<String, String> entry : expired) {
            final Rejection current = rejected.get(entry.value);
            if (current != null && current.rejectedAtMillis() <= cutoff) {
                rejected.delete(entry.value);
                metrics.rejectionExpired();
            }
            expiry.delete(entry.key);
        }
    }
}
