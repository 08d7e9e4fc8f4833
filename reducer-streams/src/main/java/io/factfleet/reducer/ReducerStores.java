package io.factfleet.reducer;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.reducer.internal.CanonicalSerde;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
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
 *   <li>{@link #AUTHORITY_STATE}: {@code <authorityId>};</li>
 *   <li>{@link #FACT_INDEX}: {@code <authorityId>/<epoch, 20 chars>/<0 for genesis, else 1>/<factIdHex>},
 *       so a range scan over one authority yields its facts in the reducer's canonical order
 *       (identity epoch, genesis first, fact id);</li>
 *   <li>{@link #FACT_IDS}: the journal key {@code <authorityId>/<factIdHex>}, to the fact's
 *       {@link #FACT_INDEX} key, so duplicates and tombstones are found by one point lookup and a
 *       range scan over one authority yields its fact ids sorted, as the Merkle root wants them.</li>
 * </ul>
 */
public final class ReducerStores {

    /** Authority id to its folded {@link MaintenanceState}. */
    public static final Store<String, MaintenanceState> AUTHORITY_STATE =
            new Store<>("authority-state", Serdes.String(), CanonicalSerde.of(MaintenanceState.class));

    /** Fact index key (see the class comment) to the fact itself, in canonical order per authority. */
    public static final Store<String, FactEnvelope> FACT_INDEX =
            new Store<>("fact-index", Serdes.String(), CanonicalSerde.of(FactEnvelope.class));

    /** Journal key to fact index key, sorted by fact id per authority. */
    public static final Store<String, String> FACT_IDS =
            new Store<>("fact-ids", Serdes.String(), Serdes.String());

    private ReducerStores() {
    }

    /** A state store: its name and the serdes of its keys and values. */
    public record Store<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    }
}
