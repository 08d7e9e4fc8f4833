package io.factfleet.ingest.internal;

import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Admission;
import io.factfleet.core.Canonical;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Facts;
import io.factfleet.core.RejectionCode;
import io.factfleet.core.Rosters;
import io.factfleet.ingest.FactSizeLimits;
import io.factfleet.ingest.IngestCounters;
import io.factfleet.ingest.IngestTopology;
import io.factfleet.registry.client.AvroDecodeException;
import io.factfleet.registry.client.MalformedWireFormatException;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.UnknownSchemaIdException;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.contracts.SnapshotStores;
import io.factfleet.core.Hashing;
import io.factfleet.core.Snapshots;
import io.factfleet.schema.SnapshotProposed;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides on each inbound record. Every failure that belongs to the record (bad bytes, bad
 * signature, unknown authority, a bug triggered by its content) becomes a rejection with the
 * original bytes, so a poison record never stops the stream thread. Failures that do not belong to
 * the record (the schema registry unreachable) are thrown, so the thread is replaced and the record
 * retried from the last commit instead of being rejected by mistake.
 */
public final class AdmissionProcessor implements Processor<String, byte[], String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionProcessor.class);
    private static final byte[] SEEN = new byte[0];

    private final SpecificAvroDeserializer<FactEnvelope> deserializer;
    private final FactAdmission admission;
    private final FactSizeLimits limits;
    private final IngestCounters counters;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> rosters;
    private KeyValueStore<String, byte[]> factIds;
    private WriterFence fence;
    private ReadOnlyKeyValueStore<String, byte[]> snapshotPointers;
    private ReadOnlyKeyValueStore<String, byte[]> snapshotBlobs;
    /**
     * Decoded roster states of recently seen authorities, mirroring the roster store (every write
     * to the store goes through {@link #rosterOf}'s cache too). A new processor, which Streams
     * creates whenever a task is re-initialised (migration, or an aborted transaction), starts
     * empty and reads the store, so the cache never outlives the store contents it mirrors.
     */
    private final java.util.Map<String, Roster> rosterCache = new java.util.LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final java.util.Map.Entry<String, Roster> eldest) {
            return size() > ROSTER_CACHE_SIZE;
        }
    };
    private static final int ROSTER_CACHE_SIZE = 10_000;

    /**
     * An authority's roster state with the index of its keys, built once per state (a roster fact makes a new state), so
     * that finding a fact's signer does not scan a roster of thousands of devices per fact.
     */
    private record Roster(MaintenanceState state, Rosters.KeyIndex keys) {
        static Roster of(final MaintenanceState state) {
            return state == null ? null : new Roster(state, Rosters.KeyIndex.of(state));
        }
    }

    private final long maxFenceMillis;

    public AdmissionProcessor(final SpecificAvroDeserializer<FactEnvelope> deserializer, final FactAdmission admission,
                              final FactSizeLimits limits, final IngestCounters counters, final long maxFenceMillis) {
        this.deserializer = deserializer;
        this.admission = admission;
        this.limits = limits;
        this.counters = counters;
        this.maxFenceMillis = maxFenceMillis;
    }

    @Override
    public void init(final ProcessorContext<String, Object> context) {
        this.context = context;
        this.rosters = context.getStateStore(IngestTopology.ROSTER_STORE);
        this.factIds = context.getStateStore(IngestTopology.FACT_ID_STORE);
        this.fence = new WriterFence(context.getStateStore(IngestTopology.FENCE_STORE), context.getStateStore(IngestTopology.HELD_STORE));
        this.snapshotPointers = context.getStateStore(IngestTopology.SNAPSHOTS.pointerStore());
        this.snapshotBlobs = context.getStateStore(IngestTopology.SNAPSHOTS.blobStore());
        context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::expireFences);
    }

    /** Ingest's safety valve: a fence whose proposal neither completed nor aborted in time is lifted here. */
    private void expireFences(final long now) {
        for (final WriterFence.Fence expired : fence.expired(now, maxFenceMillis)) {
            LOG.warn("Lifting the writer fence of authority {} (proposal {}, {}) after {} ms without completion or abort; releasing {} held facts",
                    expired.authorityId(), expired.proposalId(), expired.pending() ? "pending" : "open", now - expired.openedAtMillis(), expired.held());
            counters.fenceExpired();
            release(expired.authorityId());
        }
    }

    /** Lifts the authority's fence and decides its held facts in the order they arrived. */
    private void release(final String authority) {
        fence.lift(authority, (timestamp, value) -> {
            counters.released();
            process(new Record<>(authority, value, timestamp));
        });
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        final byte[] bytes = record.value();
        if (bytes == null || bytes.length == 0) {
            reject(record, null, null, RejectionCode.MALFORMED_WIRE_FORMAT,
                    "the record has no value; send a FactEnvelope in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary)");
            return;
        }
        if (bytes.length > limits.largest()) {
            // Larger than any kind may be: refused before it is decoded.
            reject(record, null, null, RejectionCode.TOO_LARGE, limits.tooLarge(bytes.length));
            return;
        }
        final FactEnvelope fact;
        try {
            fact = deserializer.deserialize(context.recordMetadata().map(RecordMetadata::topic).orElse(""), bytes);
        } catch (final MalformedWireFormatException e) {
            reject(record, null, null, RejectionCode.MALFORMED_WIRE_FORMAT, e.getMessage());
            return;
        } catch (final UnknownSchemaIdException e) {
            reject(record, null, null, RejectionCode.UNKNOWN_SCHEMA_ID, "schema id " + e.schemaId()
                    + " is not in the schema registry; register the FactEnvelope schema and encode with the id it returns");
            return;
        } catch (final AvroDecodeException e) {
            reject(record, null, null, RejectionCode.UNDECODABLE, e.getMessage());
            return;
        }
        final boolean rosterBatch = fact.getBody().getPayload() instanceof RosterBatchChanged;
        if (bytes.length > (rosterBatch ? limits.maxRosterBatchBytes() : limits.maxFactBytes())) {
            final String authority = fact.getBody().getAuthorityId();
            reject(record, JournalKey.isValidAuthorityId(authority) ? authority : null, Facts.idHex(fact), RejectionCode.TOO_LARGE,
                    limits.tooLarge(bytes.length, rosterBatch));
            return;
        }
        try {
            decide(record, fact);
        } catch (final RuntimeException e) {
            LOG.error("Validation failed on record {} of authority {}; rejecting it as PROCESSING_FAILED", describe(), record.key(), e);
            reject(record, fact.getBody().getAuthorityId(), null, RejectionCode.PROCESSING_FAILED, "validation failed: " + e);
        }
    }

    private void decide(final Record<String, byte[]> record, final FactEnvelope fact) {
        final String authority = fact.getBody().getAuthorityId();
        if (!JournalKey.isValidAuthorityId(authority)) {
            reject(record, null, null, RejectionCode.INVALID_AUTHORITY_ID, "authority id '" + authority
                    + "' must be 1 to 128 letters, digits, '.', '_' or '-'");
            return;
        }
        if (record.key() != null && !record.key().equals(authority)) {
            reject(record, authority, null, RejectionCode.KEY_MISMATCH, "the record key '" + record.key() + "' must be the fact's authority id '"
                    + authority + "', so the fact reaches the partition that owns its authority");
            return;
        }
        final String factId = Facts.idHex(fact);
        if (!Facts.idMatchesBody(fact)) {
            reject(record, authority, factId, RejectionCode.FACT_ID_MISMATCH,
                    "the fact id is not the SHA-256 of the fact's canonical body bytes; re-seal the fact after changing it");
            return;
        }
        final String journalKey = JournalKey.of(authority, factId);
        if (factIds.get(journalKey) != null) {
            counters.duplicate(); // the same fact again: a no-op, not an error
            return;
        }
        final WriterFence.Fence current = fence.of(authority);
        if (current != null && !WriterFence.passes(current, fact)) {
            fence.hold(current, record.timestamp(), record.value());
            counters.held();
            return;
        }
        final Roster roster = rosterOf(authority);
        final FactAdmission.Decision decision = roster == null ? admission.admitWithCheckedId(null, fact)
                : admission.admitWithCheckedId(roster.state(), roster.keys(), fact);
        if (decision.admission() instanceof Admission.Rejected rejected) {
            reject(record, authority, factId, rejected.code(), rejected.message());
            return;
        }
        if (fact.getBody().getPayload() instanceof SnapshotProposed proposed && !openFence(record, authority, factId, proposed, current)) {
            return;
        }
        decision.rosterStateAfter().ifPresent(after -> {
            rosters.put(authority, Canonical.bytes(after));
            rosterCache.put(authority, Roster.of(after));
        });
        factIds.put(journalKey, SEEN);
        counters.accepted();
        context.forward(new Record<String, Object>(journalKey, record.value(), record.timestamp(), record.headers()), IngestTopology.JOURNAL_SINK);
        if (current != null && !current.pending() && WriterFence.closes(current, fact)) {
            release(authority);
        }
    }

    /**
     * Opens the authority's writer fence for a proposal, or refuses the proposal: while another is
     * open (PROPOSAL_OPEN), or when its prefix fact count is not the journal's (STALE_PREFIX, after
     * which a pending fence holds new facts so that a recomputed proposal can match).
     */
    private boolean openFence(final Record<String, byte[]> record, final String authority, final String factId,
                              final SnapshotProposed proposed, final WriterFence.Fence current) {
        if (current != null && !current.pending()) {
            reject(record, authority, factId, RejectionCode.PROPOSAL_OPEN, "snapshot proposal " + current.proposalId()
                    + " of authority " + authority + " is open; propose again after it completes or aborts");
            return false;
        }
        final long journalFacts = countFacts(authority);
        if (proposed.getPrefixFactCount() != journalFacts) {
            reject(record, authority, factId, RejectionCode.STALE_PREFIX, "the proposal captures " + proposed.getPrefixFactCount()
                    + " facts but the journal of " + authority + " holds " + journalFacts
                    + "; new facts are held now: recompute the prefix digest over " + journalFacts + " facts and propose again");
            if (current == null) {
                fence.open(authority, proposed.getProposalId(), factId, true, context.currentSystemTimeMs());
                counters.fenceOpened();
            }
            return false;
        }
        fence.open(authority, proposed.getProposalId(), factId, false, context.currentSystemTimeMs());
        counters.fenceOpened();
        return true;
    }

    /** The authority's facts in the journal: those admitted, and those a snapshot it was hydrated from covers. */
    private long countFacts(final String authority) {
        long n = 0;
        final String prefix = authority + "/";
        try (KeyValueIterator<String, byte[]> it = factIds.range(prefix, prefix + Character.MAX_VALUE)) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    /** The authority's roster state (never mutated by admission, which copies before changing it). */
    private Roster rosterOf(final String authority) {
        final Roster cached = rosterCache.get(authority);
        if (cached != null) {
            return cached;
        }
        final byte[] bytes = rosters.get(authority);
        if (bytes == null) {
            return hydrate(authority);
        }
        final Roster decoded = Roster.of(Canonical.decode(bytes, MaintenanceState.class));
        rosterCache.put(authority, decoded);
        return decoded;
    }

    /**
     * An authority this ingest has never seen may have a snapshot (a restore into a new cluster): adopt
     * its roster and the fact ids it covers, after verifying its certificate and roster chain.
     */
    private Roster hydrate(final String authority) {
        final Optional<SnapshotStores.Loaded> loaded;
        try {
            loaded = SnapshotStores.load(snapshotPointers, snapshotBlobs, authority, admission, admission.verifier());
        } catch (final Snapshots.SnapshotException e) {
            LOG.error("The snapshot of authority {} cannot be used: {}", authority, e.getMessage());
            return null;
        }
        if (loaded.isEmpty()) {
            return null;
        }
        final MaintenanceState roster = loaded.get().verified().rosterState();
        for (final byte[] id : loaded.get().verified().coveredFactIds()) {
            factIds.put(JournalKey.of(authority, Hashing.hex(id)), SEEN);
        }
        rosters.put(authority, Canonical.bytes(roster));
        final Roster hydrated = Roster.of(roster);
        rosterCache.put(authority, hydrated);
        LOG.info("Authority {} hydrated from snapshot {} ({} facts covered)", authority, loaded.get().pointer().getProposalId(),
                loaded.get().verified().coveredFactIds().size());
        return hydrated;
    }

    private void reject(final Record<String, byte[]> record, final String authority, final String factId, final RejectionCode code,
                        final String message) {
        counters.rejected(code);
        final RecordMetadata source = context.recordMetadata().orElse(null);
        final RejectedFact rejected = RejectedFact.newBuilder()
                .setAuthorityId(authority != null ? authority : record.key())
                .setFactId(factId)
                .setReasonCode(code.name())
                .setMessage(message)
                .setOriginalBytes(ByteBuffer.wrap(record.value() == null ? new byte[0] : record.value()))
                .setSourceTopic(source == null ? "" : source.topic())
                .setSourcePartition(source == null ? -1 : source.partition())
                .setSourceOffset(source == null ? -1 : source.offset())
                .setRejectedAtMillis(context.currentSystemTimeMs())
                .build();
        LOG.debug("Rejected {} at {}: {} {}", factId, describe(), code, message);
        context.forward(new Record<String, Object>(rejected.getAuthorityId(), rejected, record.timestamp(), record.headers()), IngestTopology.REJECTED_SINK);
    }

    private String describe() {
        return context.recordMetadata().map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("(punctuation)");
    }
}
