package io.factfleet.contracts;

import io.factfleet.core.Canonical;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.Snapshots;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.snapshot.BlobChunk;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.snapshot.SnapshotPointer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * How a Streams application that starts empty (or meets an authority it has never seen) finds the
 * authority's latest snapshot: two global stores mirroring {@code factfleet.snapshots} (pointers) and
 * {@code factfleet.snapshot-blobs} (chunks), and {@link #load}, which reassembles and verifies a blob
 * before anything trusts it.
 */
public final class SnapshotStores {
    private final String pointerStore;
    private final String blobStore;

    /** Store names are prefixed per application ({@code <prefix>-snapshot-pointers}, {@code <prefix>-snapshot-blobs}). */
    public SnapshotStores(final String prefix) {
        this.pointerStore = prefix + "-snapshot-pointers";
        this.blobStore = prefix + "-snapshot-blobs";
    }

    public String pointerStore() {
        return pointerStore;
    }

    public String blobStore() {
        return blobStore;
    }

    /** Adds both global stores to {@code topology}. */
    public void addTo(final Topology topology) {
        add(topology, pointerStore, FactFleetTopics.SNAPSHOTS.name());
        add(topology, blobStore, FactFleetTopics.SNAPSHOT_BLOBS.name());
    }

    private static void add(final Topology topology, final String store, final String topic) {
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled(),
                store + "-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), topic, store + "-update",
                () -> new Mirror(store));
    }

    /** Keeps a global store equal to its topic (a null value deletes). */
    private static final class Mirror implements Processor<String, byte[], Void, Void> {
        private final String name;
        private KeyValueStore<String, byte[]> store;

        Mirror(final String name) {
            this.name = name;
        }

        @Override
        public void init(final ProcessorContext<Void, Void> context) {
            store = context.getStateStore(name);
        }

        @Override
        public void process(final Record<String, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    /**
     * The bytes of blob {@code cid}, reassembled from its chunks and checked against the cid.
     *
     * @throws Snapshots.SnapshotException when a chunk is missing (not mirrored yet) or the bytes do not hash to the cid
     */
    public static byte[] blobBytes(final ReadOnlyKeyValueStore<String, byte[]> blobs, final String cid) {
        final List<BlobChunk> chunks = new ArrayList<>();
        final String prefix = cid + "/";
        try (KeyValueIterator<String, byte[]> it = blobs.range(prefix, prefix + Character.MAX_VALUE)) {
            it.forEachRemaining(kv -> chunks.add(Canonical.decode(kv.value, BlobChunk.class)));
        }
        return Snapshots.assemble(cid, chunks);
    }

    /** A pointer with the verified snapshot it points to. */
    public record Loaded(SnapshotPointer pointer, SnapshotBlob blob, Snapshots.Verified verified) {
    }

    /**
     * The authority's latest snapshot, verified; empty when it has none.
     *
     * @throws Snapshots.SnapshotException when a snapshot exists but cannot be trusted or is incomplete
     */
    public static Optional<Loaded> load(final ReadOnlyKeyValueStore<String, byte[]> pointers, final ReadOnlyKeyValueStore<String, byte[]> blobs,
                                        final String authorityId, final FactAdmission admission, final SignatureVerifier verifier) {
        final byte[] pointerBytes = pointers.get(authorityId);
        if (pointerBytes == null) {
            return Optional.empty();
        }
        final SnapshotPointer pointer = Canonical.decode(pointerBytes, SnapshotPointer.class);
        final SnapshotBlob blob = Canonical.decode(blobBytes(blobs, pointer.getBlobCid()), SnapshotBlob.class);
        final FactEnvelope completion = Canonical.decode(Canonical.array(pointer.getCompletion()), FactEnvelope.class);
        return Optional.of(new Loaded(pointer, blob, Snapshots.verify(blob, pointer.getBlobCid(), completion, admission, verifier)));
    }
}
