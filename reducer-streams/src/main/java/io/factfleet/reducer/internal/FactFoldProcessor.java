package io.factfleet.reducer.internal;

import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Facts;
import io.factfleet.core.KeyedState;
import io.factfleet.core.Reducer;
import io.factfleet.reducer.ReducerMetrics;
import io.factfleet.reducer.ReducerStores;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds each journal record into its authority's state and fact index. The journal is partitioned
 * by authority, so this task sees every fact of the authorities it owns, in order, exactly once.
 *
 * <p>A new fact is folded into the authority's {@link KeyedState} entries, reading and writing only
 * the entries it touches, so its cost does not grow with the authority; when the reducer answers
 * {@link Reducer.Step.NeedsRefold}, the authority's whole index (which by then holds the new fact
 * too) is reduced again with {@link Reducer#reduce} and replaces the entries. A fact already in the
 * index is a no-op.
 *
 * <p>Each newly indexed fact gets its authority's next arrival seq ({@link ArrivalSequence}); a
 * duplicate or a fact that fails does not consume one. Shortly after the task starts, a one-off
 * wall-clock punctuation numbers facts of stores written before the sequence existed.
 *
 * <p>The new entries are computed (in a write buffer) before any store is written, so a record that fails (a fact the
 * reducer rejects with an exception, a key that does not match its fact) leaves the stores as they
 * were; it is logged with its fact id and counted, never rethrown. Kafka's own exceptions (task
 * migration, fencing, store failures) are rethrown: exactly-once depends on Streams seeing them.
 */
public final class FactFoldProcessor implements Processor<String, FactEnvelope, Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(FactFoldProcessor.class);
    /** Delay of the one-off punctuation that numbers facts indexed before the arrival sequence existed. */
    static final Duration SEQUENCE_ALL_AFTER = Duration.ofSeconds(1);

    private final Reducer reducer;
    private final ReducerMetrics metrics;
    private ProcessorContext<Void, Void> context;
    private KeyValueStore<String, byte[]> entries;
    private KeyValueStore<String, FactEnvelope> index;
    private KeyValueStore<String, String> ids;
    private ArrivalSequence sequence;
    private Cancellable sequenceAll;
    private final io.factfleet.core.FactAdmission admission;
    private KeyValueStore<String, Long> factSeqs;
    private org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, byte[]> snapshotPointers;
    private org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, byte[]> snapshotBlobs;

    public FactFoldProcessor(final Reducer reducer, final ReducerMetrics metrics) {
        this(reducer, metrics, new io.factfleet.core.FactAdmission(java.util.Map.of(), io.factfleet.core.SignatureVerifier.bouncyCastle()));
    }

    /** {@code admission} (with the operator keys) verifies a snapshot's roster chain before this processor hydrates from it. */
    public FactFoldProcessor(final Reducer reducer, final ReducerMetrics metrics, final io.factfleet.core.FactAdmission admission) {
        this.reducer = reducer;
        this.metrics = metrics;
        this.admission = admission;
    }

    @Override
    public void init(final ProcessorContext<Void, Void> context) {
        this.context = context;
        this.entries = context.getStateStore(ReducerStores.AUTHORITY_ENTRIES.name());
        this.index = context.getStateStore(ReducerStores.FACT_INDEX.name());
        this.ids = context.getStateStore(ReducerStores.FACT_IDS.name());
        this.factSeqs = context.getStateStore(ReducerStores.FACT_SEQS.name());
        this.snapshotPointers = context.getStateStore(io.factfleet.reducer.ReducerTopology.SNAPSHOTS.pointerStore());
        this.snapshotBlobs = context.getStateStore(io.factfleet.reducer.ReducerTopology.SNAPSHOTS.blobStore());
        this.sequence = new ArrivalSequence(context.getStateStore(ReducerStores.SEQ_COUNTERS.name()),
                context.getStateStore(ReducerStores.SEQ_INDEX.name()), context.getStateStore(ReducerStores.FACT_SEQS.name()), index);
        this.sequenceAll = context.schedule(SEQUENCE_ALL_AFTER, PunctuationType.WALL_CLOCK_TIME, now -> {
            sequenceAll.cancel();
            sequence.sequenceAll(AuthorityEntries.authorities(entries));
        });
    }

    @Override
    public void process(final Record<String, FactEnvelope> record) {
        if (record.value() == null) {
            prune(record.key());
            return;
        }
        final Fold fold;
        try {
            fold = fold(record.key(), record.value());
        } catch (final RuntimeException e) {
            if (e instanceof KafkaException) {
                throw e;
            }
            metrics.processingError();
            LOG.error("Skipping fact {} of authority {} at {}: {}", safeFactId(record.value()), safeAuthority(record.value()),
                    position(), e.toString(), e);
            return;
        }
        if (fold == null) {
            metrics.duplicateFact();
            return;
        }
        // Fact index first, seq last: a query that finds the seq finds the fact.
        final ReducerStores.SeqCounter counter = sequence.prepare(fold.authorityId());
        index.put(fold.indexKey(), record.value());
        ids.put(record.key(), fold.indexKey());
        fold.entries().flush();
        sequence.append(fold.authorityId(), record.value(), counter);
        metrics.factFolded();
    }

    /** The outcome of folding a new fact: what to write. */
    private record Fold(String authorityId, String indexKey, AuthorityEntries.Buffered entries) {
    }

    /** Computes the stores' new contents for {@code fact} without writing them; null for a duplicate. */
    private Fold fold(final String key, final FactEnvelope fact) {
        final String authorityId = fact.getBody().getAuthorityId();
        if (!JournalKey.isValidAuthorityId(authorityId)) {
            throw new IllegalArgumentException("'" + authorityId + "' is not a valid authority id");
        }
        final String journalKey = FactKeys.journalKey(fact);
        if (!journalKey.equals(key)) {
            throw new IllegalArgumentException("the record key '" + key + "' is not the fact's journal key " + journalKey
                    + "; the fact may sit in another authority's partition");
        }
        if (ids.get(journalKey) != null) {
            return null;
        }
        final String indexKey = FactKeys.indexKey(fact);
        final AuthorityEntries.Buffered buffered = new AuthorityEntries.Buffered(AuthorityEntries.of(entries, authorityId));
        MaintenanceState header = KeyedState.headerOf(buffered);
        if (header == null) {
            // A hydration is written at once, with the covered ids it marks, whatever becomes of this fact.
            header = hydrate(authorityId, AuthorityEntries.of(entries, authorityId));
        }
        final boolean snapshotted = header != null && header.getLastSnapshot() != null;
        // Covered by the snapshot this instance hydrated from: already in the state. Checked whatever the header says:
        // a first snapshot's state has no lastSnapshot of its own (its completion is in the tail, not the prefix), and
        // until compaction removes them the covered facts are still in the journal, before the completion.
        final Long seq = factSeqs.get(journalKey);
        if (seq != null && seq < 0) {
            return null;
        }
        final Reducer.Step step = KeyedState.apply(reducer, buffered, authorityId, fact);
        if (step instanceof Reducer.Step.Applied) {
            return new Fold(authorityId, indexKey, buffered);
        }
        final Reducer.Step.NeedsRefold refold = (Reducer.Step.NeedsRefold) step;
        LOG.debug("Fact {} of authority {} needs a refold: {}", Facts.idHex(fact), authorityId, refold.why());
        final List<FactEnvelope> facts = indexedFacts(authorityId);
        facts.add(fact);
        metrics.refold();
        if (snapshotted) {
            // Facts a snapshot covers may be pruned: a refold cannot see them. Admission ordering makes this
            // unreachable for journal facts; if it happens, keep the state and count the fact as failed.
            throw new IllegalStateException("fact " + Facts.idHex(fact) + " would reorder the roster chain below snapshot "
                    + header.getLastSnapshot().getProposalId() + ": " + refold.why());
        }
        KeyedState.replace(buffered, reducer.reduce(authorityId, facts));
        return new Fold(authorityId, indexKey, buffered);
    }

    /**
     * An authority this reducer has no state for may have a snapshot (a fresh instance after garbage
     * collection, or a restore into a new cluster): verify it, adopt its state, and remember the ids it
     * covers so that a covered fact still in the journal (not yet compacted) is not folded twice.
     */
    private MaintenanceState hydrate(final String authorityId, final KeyedState.Entries into) {
        final java.util.Optional<io.factfleet.contracts.SnapshotStores.Loaded> loaded;
        try {
            loaded = io.factfleet.contracts.SnapshotStores.load(snapshotPointers, snapshotBlobs, authorityId, admission, admission.verifier());
        } catch (final io.factfleet.core.Snapshots.SnapshotException e) {
            LOG.error("The snapshot of authority {} cannot be used: {}", authorityId, e.getMessage());
            return null;
        }
        if (loaded.isEmpty()) {
            return null;
        }
        for (final byte[] id : loaded.get().verified().coveredFactIds()) {
            factSeqs.put(JournalKey.of(authorityId, io.factfleet.core.Hashing.hex(id)), -1L);
        }
        final MaintenanceState state = loaded.get().verified().state();
        KeyedState.replace(into, state);
        LOG.info("Authority {} hydrated from snapshot {} ({} facts covered)", authorityId, loaded.get().pointer().getProposalId(),
                loaded.get().verified().coveredFactIds().size());
        return state;
    }

    private List<FactEnvelope> indexedFacts(final String authorityId) {
        final String prefix = FactKeys.authorityPrefix(authorityId);
        final List<FactEnvelope> facts = new ArrayList<>();
        try (KeyValueIterator<String, FactEnvelope> it = index.range(prefix, FactKeys.upperBound(prefix))) {
            it.forEachRemaining(entry -> facts.add(entry.value));
        }
        return facts;
    }

    /**
     * A tombstone: garbage collection pruned the fact from the journal. It leaves the fact index and
     * its arrival seq slot (seqs are never reused), but the state keeps what the fact contributed,
     * because pruned facts are covered by a completed snapshot and the state is "snapshot plus tail".
     * Rebuilding state from a snapshot and the remaining facts arrives with the snapshot work; until
     * then a refold reduces only the facts still indexed.
     */
    private void prune(final String key) {
        try {
            FactKeys.parseJournalKey(key);
        } catch (final IllegalArgumentException e) {
            metrics.processingError();
            LOG.error("Skipping a tombstone at {}: {}", position(), e.getMessage());
            return;
        }
        final String indexKey = ids.get(key);
        if (indexKey != null) {
            sequence.remove(key);
            index.delete(indexKey);
            ids.delete(key);
            metrics.factPruned();
        }
    }

    private String position() {
        return context.recordMetadata().map(FactFoldProcessor::describe).orElse("an unknown position");
    }

    private static String describe(final RecordMetadata m) {
        return m.topic() + "-" + m.partition() + " offset " + m.offset();
    }

    private static String safeFactId(final FactEnvelope fact) {
        try {
            return Facts.idHex(fact);
        } catch (final RuntimeException e) {
            return "<no id>";
        }
    }

    private static String safeAuthority(final FactEnvelope fact) {
        return fact.getBody() == null ? "<no body>" : fact.getBody().getAuthorityId();
    }
}
