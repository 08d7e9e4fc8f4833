package io.factfleet.ingest;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.SnapshotStores;
import io.factfleet.core.FactAdmission;
import io.factfleet.ingest.internal.AdmissionProcessor;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.schema.FactEnvelope;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * inbound -> admission -> journal | rejected.
 *
 * <p>One processor owns an authority's partition: it decodes the record, drops a duplicate fact id
 * as a no-op, verifies the fact once against the authority's roster state (a local store,
 * changelogged) and forwards the original bytes to the journal or a {@code RejectedFact} to the
 * rejected topic. Under {@code exactly_once_v2} the store update and both outputs commit together.
 */
public final class IngestTopology {
    public static final String ROSTER_STORE = "ingest-rosters";
    public static final String FACT_ID_STORE = "ingest-fact-ids";
    /** Authority to its open (or pending) snapshot writer fence. */
    public static final String FENCE_STORE = "ingest-fences";
    /** {@code <authority>/<seq>} to a fact held by the authority's fence, in arrival order. */
    public static final String HELD_STORE = "ingest-held";
    /** Global stores of snapshot pointers and blobs, for authorities restored from a snapshot. */
    public static final SnapshotStores SNAPSHOTS = new SnapshotStores("ingest");
    public static final String SOURCE = "inbound";
    public static final String PROCESSOR = "admission";
    public static final String JOURNAL_SINK = "journal";
    public static final String REJECTED_SINK = "rejected";

    private IngestTopology() {
    }

    public static Topology build(final SchemaRegistryClient registry, final FactAdmission admission, final int maxFactBytes,
                                 final IngestCounters counters) {
        return build(registry, admission, maxFactBytes, counters, IngestConfig.MAX_FENCE_MILLIS_DEFAULT);
    }

    public static Topology build(final SchemaRegistryClient registry, final FactAdmission admission, final int maxFactBytes,
                                 final IngestCounters counters, final long maxFenceMillis) {
        return build(registry, admission, FactSizeLimits.of(maxFactBytes), counters, maxFenceMillis);
    }

    public static Topology build(final SchemaRegistryClient registry, final FactAdmission admission, final FactSizeLimits limits,
                                 final IngestCounters counters, final long maxFenceMillis) {
        final Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), FactFleetTopics.INBOUND.name());
        final SpecificAvroDeserializer<FactEnvelope> facts = new SpecificAvroDeserializer<>(registry, FactEnvelope.class);
        topology.addProcessor(PROCESSOR, () -> new AdmissionProcessor(facts, admission, limits, counters, maxFenceMillis), SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FENCE_STORE), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HELD_STORE), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        SNAPSHOTS.addTo(topology);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ROSTER_STORE), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FACT_ID_STORE), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        // The journal receives the original bytes: the fact exactly as its device signed and encoded it.
        topology.addSink(JOURNAL_SINK, FactFleetTopics.JOURNAL.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                new AuthorityPartitioner(), PROCESSOR);
        topology.addSink(REJECTED_SINK, FactFleetTopics.REJECTED.name(), Serdes.String().serializer(),
                FactFleetTopics.REJECTED.valueSerde(registry).serializer(), PROCESSOR);
        return topology;
    }
}
