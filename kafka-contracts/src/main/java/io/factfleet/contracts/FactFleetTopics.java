package io.factfleet.contracts;

import io.factfleet.registry.client.SpecificAvroSerde;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ingest.RejectedFact;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every FactFleet topic, with its policy and serdes (architecture.md, "Topics"). Facts and
 * rejections are Avro in the Confluent wire format; the inbound topic is read as raw bytes by
 * ingest, because validating those bytes is ingest's job.
 */
public final class FactFleetTopics {
    private FactFleetTopics() {
    }

    /**
     * The largest fact record the inbound and journal topics take ({@code max.message.bytes}, 4 MiB; Kafka's default is
     * 1 MiB): room for a roster batch of 10,000 devices (at most about 1.7 MB, admitted by ingest up to
     * {@code factfleet.ingest.max.roster.batch.bytes}, 2 MiB by default) with a margin. Producers of facts set
     * {@code max.request.size} to it. Consumers need no change: a fetch returns a record larger than its fetch sizes.
     */
    public static final int MAX_FACT_RECORD_BYTES = 4 * 1024 * 1024;
    /** The rejected topic's record limit: a refused fact's original bytes (up to {@link #MAX_FACT_RECORD_BYTES}) and the reason. */
    public static final int MAX_REJECTED_RECORD_BYTES = MAX_FACT_RECORD_BYTES + 64 * 1024;

    /** Facts as devices and the bridge sent them; key = authority id. */
    public static final Topic<String, byte[]> INBOUND = new Topic<>("factfleet.facts.inbound",
            Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofDays(7).toMillis()),
                    "max.message.bytes", Integer.toString(MAX_FACT_RECORD_BYTES)),
            r -> Serdes.String(), r -> Serdes.ByteArray());

    /**
     * Admitted facts; key = {@link JournalKey} ({@code authorityId/factIdHex}), partitioned by
     * authority with {@link AuthorityPartitioner}; a tombstone means the fact was pruned by GC.
     */
    public static final Topic<String, FactEnvelope> JOURNAL = new Topic<>("factfleet.facts.journal",
            Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0", "segment.ms", Long.toString(Duration.ofHours(1).toMillis()),
                    "max.message.bytes", Integer.toString(MAX_FACT_RECORD_BYTES)),
            r -> Serdes.String(), r -> new SpecificAvroSerde<>(r, FactEnvelope.class));

    /** Refused facts with their original bytes and reason; key = authority id when known. */
    public static final Topic<String, RejectedFact> REJECTED = new Topic<>("factfleet.facts.rejected",
            Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofDays(30).toMillis()),
                    "max.message.bytes", Integer.toString(MAX_REJECTED_RECORD_BYTES)),
            r -> Serdes.String(), r -> new SpecificAvroSerde<>(r, RejectedFact.class));

    /** Latest completed snapshot per authority (snapshot issue). */
    /** Value: Avro binary of {@code io.factfleet.schema.snapshot.SnapshotPointer} (see {@link SnapshotStores}). */
    public static final Topic<String, byte[]> SNAPSHOTS = new Topic<>("factfleet.snapshots",
            Map.of("cleanup.policy", "compact"), r -> Serdes.String(), r -> Serdes.ByteArray());

    /** Snapshot state by content id, chunked when large (snapshot issue). */
    /** Key {@code <cid>/<chunk index, 6 digits>}; value: Avro binary of {@code io.factfleet.schema.snapshot.BlobChunk}. */
    public static final Topic<String, byte[]> SNAPSHOT_BLOBS = new Topic<>("factfleet.snapshot-blobs",
            Map.of("cleanup.policy", "compact"), r -> Serdes.String(), r -> Serdes.ByteArray());

    /**
     * Operators' snapshot requests, keyed by authority id (co-partitioned with the journal); value: JSON
     * {@code {"requestedBy": "...", "reason": "..."}}. The snapshot coordinator acts on them in order.
     */
    public static final Topic<String, byte[]> SNAPSHOT_REQUESTS = new Topic<>("factfleet.snapshot-requests",
            Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(Duration.ofDays(1).toMillis())),
            r -> Serdes.String(), r -> Serdes.ByteArray());

    /** The topics the stack creates; {@code _schemas} is created by the schema registry itself. */
    public static List<Topic<?, ?>> all() {
        return List.of(INBOUND, JOURNAL, REJECTED, SNAPSHOTS, SNAPSHOT_BLOBS, SNAPSHOT_REQUESTS);
    }
}
