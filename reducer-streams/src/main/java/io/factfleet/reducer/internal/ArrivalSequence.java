package io.factfleet.reducer.internal;

import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.reducer.ReducerStores;
import io.factfleet.reducer.ReducerStores.SeqCounter;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The arrival sequence of the facts of the authorities one task owns (store layout on
 * {@link ReducerStores}): numbers each newly indexed fact with its authority's next seq, removes a
 * pruned fact's slot, and numbers facts that were indexed before the sequence existed.
 *
 * <p>Writes happen on the stream thread only. Their order matters to interactive queries that read
 * while the thread writes: a fact is in the fact index before its seq entry appears, and its seq
 * entry is gone before it leaves the fact index, so a sync that finds a seq finds its fact (or,
 * rarely, a fact that was pruned meanwhile, which it then skips).
 *
 * <p>Stores written by a version of the reducer without the sequence hold facts but no seqs; those
 * are numbered in the fact index's canonical order, per authority, the first time the authority is
 * touched ({@link #prepare}) or when {@link #sequenceAll} runs after the task starts, whichever is
 * first. A marker key then says the task's stores are fully sequenced.
 */
final class ArrivalSequence {
    /** Marks a task's stores as fully sequenced; no authority id can contain '!'. */
    static final String SEQUENCED_MARKER = "!sequenced";
    private static final Logger LOG = LoggerFactory.getLogger(ArrivalSequence.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyValueStore<String, SeqCounter> counters;
    private final KeyValueStore<String, String> seqIndex;
    private final KeyValueStore<String, Long> factSeqs;
    private final KeyValueStore<String, FactEnvelope> index;

    ArrivalSequence(final KeyValueStore<String, SeqCounter> counters, final KeyValueStore<String, String> seqIndex,
                    final KeyValueStore<String, Long> factSeqs, final KeyValueStore<String, FactEnvelope> index) {
        this.counters = counters;
        this.seqIndex = seqIndex;
        this.factSeqs = factSeqs;
        this.index = index;
    }

    /**
     * The authority's counter. When it has none yet, one is created with a new index id, after
     * numbering the facts already in the fact index (none, unless the stores predate the sequence).
     */
    SeqCounter prepare(final String authorityId) {
        final SeqCounter existing = counters.get(authorityId);
        if (existing != null) {
            return existing;
        }
        long lastSeq = 0;
        final List<String> unnumbered = new ArrayList<>();
        final String prefix = FactKeys.authorityPrefix(authorityId);
        try (KeyValueIterator<String, FactEnvelope> it = index.range(prefix, FactKeys.upperBound(prefix))) {
            while (it.hasNext()) {
                final String factIdHex = FactKeys.factIdHexOf(it.next().key);
                final Long seq = factSeqs.get(JournalKey.of(authorityId, factIdHex));
                if (seq != null && seq > 0) {
                    lastSeq = Math.max(lastSeq, seq);
                } else {
                    unnumbered.add(factIdHex);
                }
            }
        }
        SeqCounter counter = new SeqCounter(lastSeq, newIndexId());
        for (final String factIdHex : unnumbered) {
            counter = counter.next();
            write(authorityId, factIdHex, counter.lastSeq());
        }
        counters.put(authorityId, counter);
        if (!unnumbered.isEmpty()) {
            LOG.info("Numbered {} facts of authority {} indexed before the arrival sequence existed (index id {})", unnumbered.size(),
                    authorityId, counter.indexId());
        }
        return counter;
    }

    /**
     * Gives a newly indexed fact the next seq. Call after the fact is in the fact index, with the
     * counter {@link #prepare} returned before it was put there.
     *
     * @return the fact's seq
     */
    long append(final String authorityId, final FactEnvelope fact, final SeqCounter counter) {
        final SeqCounter next = counter.next();
        write(authorityId, Facts.idHex(fact), next.lastSeq());
        counters.put(authorityId, next);
        return next.lastSeq();
    }

    /** A fact is being pruned: its seq slot goes, and its seq is kept negated so its status can say it was in the journal. */
    void remove(final String journalKey) {
        final Long seq = factSeqs.get(journalKey);
        if (seq != null && seq > 0) {
            seqIndex.delete(FactKeys.seqKey(JournalKey.authorityOf(journalKey), seq));
            factSeqs.put(journalKey, -seq);
        }
    }

    /**
     * Numbers the facts of every authority in the task's stores that has no counter yet (stores that
     * predate the sequence), once per store: afterwards the marker key short-cuts it.
     *
     * @return how many authorities got a counter
     */
    int sequenceAll(final List<String> authorities) {
        if (counters.get(SEQUENCED_MARKER) != null) {
            return 0;
        }
        final List<String> missing = new ArrayList<>();
        for (final String authorityId : authorities) {
            if (counters.get(authorityId) == null) {
                missing.add(authorityId);
            }
        }
        missing.forEach(this::prepare);
        counters.put(SEQUENCED_MARKER, new SeqCounter(0, ""));
        if (!missing.isEmpty()) {
            LOG.info("Numbered the facts of {} authorities indexed before the arrival sequence existed", missing.size());
        }
        return missing.size();
    }

    private void write(final String authorityId, final String factIdHex, final long seq) {
        factSeqs.put(JournalKey.of(authorityId, factIdHex), seq);
        seqIndex.put(FactKeys.seqKey(authorityId, seq), factIdHex);
    }

    /** 16 random bytes, hex. */
    static String newIndexId() {
        final byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        return Hashing.hex(id);
    }
}
