package io.factfleet.ota;

import io.factfleet.core.Canonical;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The coordinator's state stores (persistent, changelogged). Keys of per-fact stores are
 * {@code <authorityId>/<factIdHex>}; authority ids never contain '/', so that prefix is one
 * authority's.
 */
public final class OtaStores {
    private OtaStores() {
    }

    /** A store's name and serdes, declared once. */
    public record Store<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    }

    /**
     * Each authority's state as {@link io.factfleet.core.KeyedState} entries, laid out by
     * {@link io.factfleet.contracts.AuthorityEntries}: a fact reads and writes only the entries it touches.
     */
    public static final Store<String, byte[]> AUTHORITY_ENTRIES = new Store<>("ota-authority-entries", Serdes.String(), Serdes.ByteArray());

    /**
     * The layout before {@link #AUTHORITY_ENTRIES}: authority id to its whole state in one record, rewritten for every
     * fact. Still declared so that a coordinator upgraded in place restores it; on start its records move into
     * {@link #AUTHORITY_ENTRIES} and are deleted. Nothing writes it.
     */
    public static final Store<String, MaintenanceState> LEGACY_AUTHORITY_STATE =
            new Store<>("ota-authority-state", Serdes.String(), canonical(MaintenanceState.class));

    /** Every journal fact, for a refold when a late fact reorders the roster chain. */
    public static final Store<String, FactEnvelope> FACTS = new Store<>("ota-facts", Serdes.String(), canonical(FactEnvelope.class));

    /** Facts this coordinator produced (to wall-clock millis), so a fact in flight is not produced twice. */
    public static final Store<String, Long> EMITTED = new Store<>("ota-emitted", Serdes.String(), Serdes.Long());

    public static String factKey(final String authorityId, final String factIdHex) {
        return authorityId + "/" + factIdHex;
    }

    static <T extends SpecificRecord> Serde<T> canonical(final Class<T> type) {
        return Serdes.serdeFrom((topic, value) -> value == null ? null : Canonical.bytes(value),
                (topic, bytes) -> bytes == null ? null : Canonical.decode(bytes, type));
    }
}
