package io.factfleet.contracts;

import io.factfleet.core.KeyedState;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * A store of authority entries (the reducer's {@code authority-entries}, the coordinators') seen as each authority's
 * {@link KeyedState} entries: key {@code <authorityId>/<entry key>}, except the header, which is at
 * {@code !h/<authorityId>} so that the authorities with state are one prefix scan away. Authority ids
 * never contain '/' or '!', so {@code <authorityId>/} is a prefix no other authority's keys share.
 */
public final class AuthorityEntries {
    private static final String HEADERS = "!h/";

    private AuthorityEntries() {
    }

    private static String storeKey(final String authorityId, final String key) {
        return KeyedState.HEADER.equals(key) ? HEADERS + authorityId : authorityId + "/" + key;
    }

    /** One authority's entries in a store the caller may write (the fold processor's). */
    public static KeyedState.Entries of(final KeyValueStore<String, byte[]> store, final String authorityId) {
        final KeyedState.Entries reads = readOnly(store, authorityId);
        return new KeyedState.Entries() {
            @Override
            public byte[] get(final String key) {
                return reads.get(key);
            }

            @Override
            public void put(final String key, final byte[] value) {
                store.put(storeKey(authorityId, key), value);
            }

            @Override
            public void delete(final String key) {
                store.delete(storeKey(authorityId, key));
            }

            @Override
            public void scan(final String keyPrefix, final BiConsumer<String, byte[]> visitor) {
                reads.scan(keyPrefix, visitor);
            }
        };
    }

    /** The authority's finished state, or null when nothing of it was folded. */
    public static MaintenanceState state(final ReadOnlyKeyValueStore<String, byte[]> store, final String authorityId) {
        return KeyedState.materialize(readOnly(store, authorityId));
    }

    /** Whether any fact of the authority was folded (its header exists): one point lookup. */
    public static boolean exists(final ReadOnlyKeyValueStore<String, byte[]> store, final String authorityId) {
        return KeyedState.exists(readOnly(store, authorityId));
    }

    /** The authority ids with state in {@code store}, sorted: a scan of the headers only. */
    public static List<String> authorities(final ReadOnlyKeyValueStore<String, byte[]> store) {
        final java.util.TreeSet<String> ids = new java.util.TreeSet<>();
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(HEADERS, org.apache.kafka.common.serialization.Serdes.String().serializer())) {
            it.forEachRemaining(kv -> ids.add(kv.key.substring(HEADERS.length())));
        }
        return new ArrayList<>(ids);
    }

    public static KeyedState.Entries readOnly(final ReadOnlyKeyValueStore<String, byte[]> store, final String authorityId) {
        final String prefix = authorityId + "/";
        return new KeyedState.Entries() {
            @Override
            public byte[] get(final String key) {
                return store.get(storeKey(authorityId, key));
            }

            @Override
            public void put(final String key, final byte[] value) {
                throw new UnsupportedOperationException("read-only");
            }

            @Override
            public void delete(final String key) {
                throw new UnsupportedOperationException("read-only");
            }

            @Override
            public void scan(final String keyPrefix, final BiConsumer<String, byte[]> visitor) {
                AuthorityEntries.scan(store, prefix, keyPrefix, visitor);
            }
        };
    }

    private static void scan(final ReadOnlyKeyValueStore<String, byte[]> store, final String authorityPrefix, final String keyPrefix,
                             final BiConsumer<String, byte[]> visitor) {
        final String from = authorityPrefix + keyPrefix;
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(from, org.apache.kafka.common.serialization.Serdes.String().serializer())) {
            while (it.hasNext()) {
                final KeyValue<String, byte[]> kv = it.next();
                visitor.accept(kv.key.substring(authorityPrefix.length()), kv.value);
            }
        }
    }

    /**
     * Entries whose writes wait in memory until {@link #flush}: a fold that fails half way leaves
     * the store as it was. Reads see the pending writes.
     */
    public static final class Buffered implements KeyedState.Entries {
        private static final byte[] DELETED = new byte[0];
        private final KeyedState.Entries store;
        private final Map<String, byte[]> pending = new LinkedHashMap<>();

        public Buffered(final KeyedState.Entries store) {
            this.store = store;
        }

        @Override
        public byte[] get(final String key) {
            final byte[] p = pending.get(key);
            if (p != null) {
                return p == DELETED ? null : p;
            }
            return store.get(key);
        }

        @Override
        public void put(final String key, final byte[] value) {
            pending.put(key, value);
        }

        @Override
        public void delete(final String key) {
            pending.put(key, DELETED);
        }

        @Override
        public void scan(final String prefix, final BiConsumer<String, byte[]> visitor) {
            final TreeMap<String, byte[]> merged = new TreeMap<>();
            store.scan(prefix, merged::put);
            pending.forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    merged.put(k, v);
                }
            });
            merged.forEach((k, v) -> {
                if (v != DELETED) {
                    visitor.accept(k, v);
                }
            });
        }

        /** Writes what is pending to the store. */
        public void flush() {
            pending.forEach((k, v) -> {
                if (v == DELETED) {
                    store.delete(k);
                } else {
                    store.put(k, v);
                }
            });
            pending.clear();
        }
    }
}
