package io.factfleet.reducer;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.reducer.internal.CanonicalSerde;
import io.factfleet.reducer.internal.JsonSerde;
import io.factfleet.schema.FactEnvelope;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The reducer's state stores, declared once: name, key serde, value serde. (The topic it reads,
 * {@link FactFleetTopics#JOURNAL}, is declared with every other topic in kafka-contracts.)
 *
 * <p>Stores hold the canonical Avro bytes of the compiled schemas ({@code io.factfleet.core.Canonical}):
 * no registry lookup per store access, and the state bytes are exactly the bytes the digest hashes.
 *
 * <h2>Keys</h2>
 * Authority ids never contain '/' ({@code io.factfleet.contracts.JournalKey}), so {@code <authorityId>/}
 * is a prefix no other authority's keys share.
 * <ul>
 *   <li>{@link #AUTHORITY_ENTRIES}: {@code <authorityId>/<entry key>}, the authority's state as
 *       {@code io.factfleet.core.KeyedState} entries (a header, then one entry per roster member,
 *       device, readiness report, approval, ...), so a fact reads and writes only what it touches;</li>
 *   <li>{@link #FACT_INDEX}: {@code <authorityId>/<epoch, 20 chars>/<0 for genesis, else 1>/<factIdHex>},
 *       so a range scan over one authority yields its facts in the reducer's canonical order
 *       (identity epoch, genesis first, fact id);</li>
 *   <li>{@link #FACT_IDS}: the journal key {@code <authorityId>/<factIdHex>}, to the fact's
 *       {@link #FACT_INDEX} key, so duplicates and tombstones are found by one point lookup and a
 *       range scan over one authority yields its fact ids sorted, as the Merkle root wants them.</li>
 * </ul>
 *
 * <h2>Arrival sequence (device anti-entropy, edge-bridge/PROTOCOL.md)</h2>
 * Each authority's facts are numbered 1, 2, 3, ... in the order the fold processor first indexes them.
 * The numbering lives in changelogged stores, so it survives restarts, rebalances and standbys; only
 * a rebuild from nothing renumbers, and then {@link SeqCounter#indexId()} changes too.
 * <ul>
 *   <li>{@link #SEQ_COUNTERS}: {@code <authorityId>} to its last seq and index id (plus one marker
 *       key per store, {@code !sequenced}, that no authority id can equal);</li>
 *   <li>{@link #SEQ_INDEX}: {@code <authorityId>/<seq, 20 digits>} to the fact id (hex), so a range
 *       scan yields an authority's facts in arrival order; a pruned fact's entry is deleted;</li>
 *   <li>{@link #FACT_SEQS}: the journal key to the fact's seq, negated once the fact is pruned.</li>
 * </ul>
 *
 * <h2>Rejections</h2>
 * <ul>
 *   <li>{@link #REJECTED_FACTS}: {@code <authorityId>/<factIdHex>} to ingest's latest verdict on it
 *       (from {@code factfleet.facts.rejected});</li>
 *   <li>{@link #REJECTED_EXPIRY}: {@code <rejectedAt, 20 chars>/<authorityId>/<factIdHex>} to the
 *       journal key, so rejections older than the retention are deleted without a full scan.</li>
 * </ul>
 */
public final class ReducerStores {

    /**
     * {@code <authorityId>/<entry key>} to a {@code KeyedState} entry: the authority's folded state in
     * pieces, assembled into a {@code MaintenanceState} by {@code KeyedState.materialize}. (It replaced
     * the one-record-per-authority {@code authority-state} store, whose per-fact cost grew with the
     * authority; docs/decisions.md.)
     */
    public static final Store<String, byte[]> AUTHORITY_ENTRIES =
            new Store<>("authority-entries", Serdes.String(), Serdes.ByteArray());

    /** Fact index key (see the class comment) to the fact itself, in canonical order per authority. */
    public static final Store<String, FactEnvelope> FACT_INDEX =
            new Store<>("fact-index", Serdes.String(), CanonicalSerde.of(FactEnvelope.class));

    /** Journal key to fact index key, sorted by fact id per authority. */
    public static final Store<String, String> FACT_IDS =
            new Store<>("fact-ids", Serdes.String(), Serdes.String());

    /** Authority id to its arrival-sequence counter. */
    public static final Store<String, SeqCounter> SEQ_COUNTERS =
            new Store<>("seq-counters", Serdes.String(), JsonSerde.of(SeqCounter.class));

    /** {@code <authorityId>/<seq, 20 digits>} to the fact id (hex): an authority's facts in arrival order. */
    public static final Store<String, String> SEQ_INDEX =
            new Store<>("seq-index", Serdes.String(), Serdes.String());

    /** Journal key to the fact's seq; negative (minus the seq it had) once the fact was pruned. */
    public static final Store<String, Long> FACT_SEQS =
            new Store<>("fact-seqs", Serdes.String(), Serdes.Long());

    /** {@code <authorityId>/<factIdHex>} to ingest's latest rejection of that fact. */
    public static final Store<String, Rejection> REJECTED_FACTS =
            new Store<>("rejected-facts", Serdes.String(), JsonSerde.of(Rejection.class));

    /** {@code <rejectedAt, 20 chars>/<authorityId>/<factIdHex>} to the journal key: rejections by age. */
    public static final Store<String, String> REJECTED_EXPIRY =
            new Store<>("rejected-expiry", Serdes.String(), Serdes.String());

    private ReducerStores() {
    }

    /**
     * An authority's arrival-sequence counter.
     *
     * @param lastSeq the seq given to the authority's latest newly indexed fact (0 before the first)
     * @param indexId a random id created with the counter; a device's cursor is valid only under it
     */
    public record SeqCounter(long lastSeq, String indexId) {
        public SeqCounter next() {
            return new SeqCounter(lastSeq + 1, indexId);
        }
    }

    /** Ingest's verdict on a fact it refused: its {@code RejectionCode} name, message and time. */
    public record Rejection(String code, String message, long rejectedAtMillis) {
    }

    /** A state store: its name and the serdes of its keys and values. */
    public record Store<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    }
}
