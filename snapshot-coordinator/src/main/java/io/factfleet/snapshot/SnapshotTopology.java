package io.factfleet.snapshot;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.snapshot.internal.CoordinatorProcessor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * journal + rejected + snapshot-requests (co-partitioned by authority) -> coordinator -> inbound
 * (proposals, completions, aborts), journal (tombstones), snapshot-blobs, snapshots.
 *
 * <p>The three sources share one processor and its stores, so task p reads partition p of all three:
 * the topics must have the same partition count (the service checks it).
 */
public final class SnapshotTopology {
    public static final String PROCESSOR = "coordinate";

    private SnapshotTopology() {
    }

    public static Topology build(final SchemaRegistryClient registry, final SnapshotConfig config, final SnapshotMetrics metrics) {
        final CoordinatorProcessor.Settings settings = new CoordinatorProcessor.Settings(config.keys(),
                new FactAdmission(config.operatorKeys(), SignatureVerifier.bouncyCastle()), config.timeout(), config.autoFacts(),
                config.autoEpochs(), config.chunkBytes(), config.retries(), FactFleetTopics.JOURNAL.name(), FactFleetTopics.REJECTED.name(),
                FactFleetTopics.SNAPSHOT_REQUESTS.name(), new SpecificAvroDeserializer<>(registry, FactEnvelope.class),
                new SpecificAvroDeserializer<>(registry, RejectedFact.class), new SpecificAvroSerializer<>(registry));
        final Topology topology = new Topology();
        topology.addSource("journal-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), FactFleetTopics.JOURNAL.name());
        topology.addSource("rejected-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), FactFleetTopics.REJECTED.name());
        topology.addSource("requests-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), FactFleetTopics.SNAPSHOT_REQUESTS.name());
        topology.addProcessor(PROCESSOR, () -> new CoordinatorProcessor(settings, metrics), "journal-source", "rejected-source", "requests-source");
        for (final String store : SnapshotStoresSpec.ALL) {
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray()), PROCESSOR);
        }
        SnapshotStoresSpec.SNAPSHOTS.addTo(topology);
        final AuthorityPartitioner partitioner = new AuthorityPartitioner();
        topology.addSink(CoordinatorProcessor.TO_INBOUND, FactFleetTopics.INBOUND.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                partitioner, PROCESSOR);
        topology.addSink(CoordinatorProcessor.TO_JOURNAL, FactFleetTopics.JOURNAL.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer(),
                partitioner, PROCESSOR);
        topology.addSink(CoordinatorProcessor.TO_BLOBS, FactFleetTopics.SNAPSHOT_BLOBS.name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), partitioner, PROCESSOR);
        topology.addSink(CoordinatorProcessor.TO_SNAPSHOTS, FactFleetTopics.SNAPSHOTS.name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), partitioner, PROCESSOR);
        return topology;
    }
}
