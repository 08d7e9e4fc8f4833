package io.factfleet.snapshot.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.JournalKey;
import io.factfleet.contracts.SnapshotStores;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Facts;
import io.factfleet.core.KeyedState;
import io.factfleet.core.Hashing;
import io.factfleet.core.Reducer;
import io.factfleet.core.RejectionCode;
import io.factfleet.core.Rosters;
import io.factfleet.core.Snapshots;
import io.factfleet.core.StateDigest;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.KeySignature;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotApproved;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.ingest.RejectedFact;
import io.factfleet.schema.snapshot.BlobChunk;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.snapshot.SnapshotPointer;
import io.factfleet.schema.state.ApprovalRecord;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ProposalState;
import io.factfleet.schema.state.ProposalStatus;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEpoch;
import io.factfleet.snapshot.SnapshotMetrics;
import io.factfleet.snapshot.SnapshotStoresSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot protocol for the authorities of one partition, driven by three co-partitioned inputs:
 * the journal (folded with the shared reducer, as every replica does), ingest's rejections (of the
 * coordinator's own proposals) and operators' requests.
 *
 * <ol>
 *   <li><b>Propose</b> (on request, or when the journal grew by K facts or E epochs since the last
 *       snapshot): a {@link SnapshotProposed} over the current state, signed with the authority's admin
 *       key, produced to the inbound topic. Ingest admits it only when its prefix count matches the
 *       journal and opens the writer fence; on STALE_PREFIX it is proposed again over the newer state.</li>
 *   <li><b>Open</b>: when the proposal reaches the journal, the state before it (the prefix state) is
 *       kept as the candidate blob; a proposal whose digest is not that state's is aborted.</li>
 *   <li><b>Approve</b>: the reducer counts approvals (distinct rostered keys, valid signature, same
 *       digest and epoch). At M, the blob is written (content addressed, chunked) and a
 *       {@link SnapshotCompleted} with the threshold certificate is emitted.</li>
 *   <li><b>Complete</b>: when the completion reaches the journal (and lifts the fence), every fact of the
 *       prefix is tombstoned on the journal and the snapshot pointer written.</li>
 *   <li><b>Abort</b>: on the timeout, or when the identity epoch advances (then proposed again).</li>
 * </ol>
 *
 * <p>Each authority's state is kept as {@link KeyedState} entries: a fact reads its header and the entries it touches
 * and writes those back, so its cost does not grow with the authority. The whole state is materialized only where the
 * protocol needs it: a proposal's digest, the prefix state of a proposal reaching the journal, the approval count
 * behind a completion, and a timeout's message.
 *
 * <p>Every store write and output of one input record commit together (exactly_once_v2).
 */
public final class CoordinatorProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorProcessor.class);
    public static final String ACTOR = "snapshot-coordinator";
    /** Delay of the one-off punctuation that moves states of the old one-record layout into entries. */
    public static final Duration MIGRATE_AFTER = Duration.ofMillis(100);

    /** What the processor needs besides its stores. */
    public record Settings(AdminKeyRing keys, FactAdmission admission, Duration timeout, long autoFacts, long autoEpochs, int chunkBytes,
                           int maxRetries, String journalTopic, String rejectedTopic, String requestsTopic,
                           Deserializer<FactEnvelope> factDeserializer, Deserializer<RejectedFact> rejectedDeserializer,
                           Serializer<FactEnvelope> factSerializer) {
    }

    public static final String TO_INBOUND = "to-inbound";
    public static final String TO_JOURNAL = "to-journal";
    public static final String TO_BLOBS = "to-blobs";
    public static final String TO_SNAPSHOTS = "to-snapshots";

    private final Settings settings;
    private final SnapshotMetrics metrics;
    private final Reducer reducer = Reducer.standard();
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> entries;
    private KeyValueStore<String, byte[]> legacy;
    private KeyValueStore<String, byte[]> facts;
    private KeyValueStore<String, byte[]> rosterFacts;
    private KeyValueStore<String, byte[]> approvals;
    private KeyValueStore<String, byte[]> proposals;
    private KeyValueStore<String, byte[]> candidates;
    private KeyValueStore<String, byte[]> stats;
    private ReadOnlyKeyValueStore<String, byte[]> pointerStore;
    private ReadOnlyKeyValueStore<String, byte[]> blobStore;
    private org.apache.kafka.streams.processor.Cancellable migration;

    public CoordinatorProcessor(final Settings settings, final SnapshotMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<String, byte[]> context) {
        this.context = context;
        entries = context.getStateStore(SnapshotStoresSpec.ENTRIES);
        legacy = context.getStateStore(SnapshotStoresSpec.LEGACY_STATE);
        facts = context.getStateStore(SnapshotStoresSpec.FACTS);
        rosterFacts = context.getStateStore(SnapshotStoresSpec.ROSTER_FACTS);
        approvals = context.getStateStore(SnapshotStoresSpec.APPROVALS);
        proposals = context.getStateStore(SnapshotStoresSpec.PROPOSALS);
        candidates = context.getStateStore(SnapshotStoresSpec.CANDIDATES);
        stats = context.getStateStore(SnapshotStoresSpec.STATS);
        pointerStore = context.getStateStore(SnapshotStoresSpec.SNAPSHOTS.pointerStore());
        blobStore = context.getStateStore(SnapshotStoresSpec.SNAPSHOTS.blobStore());
        context.schedule(Duration.ofMillis(250), PunctuationType.WALL_CLOCK_TIME, this::tick);
        migration = context.schedule(MIGRATE_AFTER, PunctuationType.WALL_CLOCK_TIME, now -> {
            migration.cancel();
            migrateAll();
        });
    }

    @Override
    public void process(final Record<String, byte[]> record) {
        final String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        try {
            if (topic.equals(settings.journalTopic())) {
                if (record.value() != null) {
                    onFact(settings.factDeserializer().deserialize(topic, record.value()), record.value().length);
                }
            } else if (topic.equals(settings.rejectedTopic())) {
                if (record.value() != null) {
                    onRejected(settings.rejectedDeserializer().deserialize(topic, record.value()));
                }
            } else if (topic.equals(settings.requestsTopic())) {
                onRequest(record.key(), record.value());
            }
        } catch (final KafkaException e) {
            throw e;
        } catch (final RuntimeException e) {
            // A record the coordinator cannot handle must not stop the stream thread: log, count, go on.
            metrics.processingError();
            LOG.error("Snapshot coordinator skipped a record of {} at {}: {}", topic, position(), e.toString(), e);
        }
    }

    // ---- journal ---------------------------------------------------------------------------------

    private void onFact(final FactEnvelope fact, final int size) {
        final String authority = fact.getBody().getAuthorityId();
        final String id = Facts.idHex(fact);
        final String key = JournalKey.of(authority, id);
        final MaintenanceState before = headerOf(authority);
        if (facts.get(key) != null) {
            return; // a duplicate, or a fact the snapshot this state was hydrated from covers
        }
        final long position = before == null ? 0 : before.getFactCount();
        final Object payload = fact.getBody().getPayload();
        ProposalRecord proposal = proposalOf(authority);
        if (payload instanceof SnapshotProposed p) {
            proposal = opened(authority, fact, id, p, before == null ? null : stateOf(authority), proposal);
        }
        final AuthorityEntries.Buffered buffered = new AuthorityEntries.Buffered(AuthorityEntries.of(entries, authority));
        final Reducer.Step step = KeyedState.apply(reducer, buffered, authority, fact);
        if (step instanceof Reducer.Step.NeedsRefold refold) {
            // The journal is admission-ordered, so this does not happen; if it did, the pruned prefix could not be refolded.
            metrics.processingError();
            LOG.error("Fact {} of authority {} would need a refold ({}); the coordinator skips it", id, authority, refold.why());
            return;
        }
        facts.put(key, ByteBuffer.allocate(16).putLong(position).putLong(size).array());
        if (FactAdmission.isRosterFact(fact)) {
            rosterFacts.put(key, Canonical.bytes(fact));
        }
        buffered.flush();
        // The header: what the checks below read, except a completion's, which materializes the state.
        final MaintenanceState state = KeyedState.headerOf(buffered);

        if (proposal != null) {
            if (payload instanceof SnapshotApproved a && a.getStatement().getProposalId().equals(proposal.proposalId())) {
                approvals.put(authority + "/" + proposal.proposalId() + "/" + id, Canonical.bytes(fact));
                maybeComplete(authority, proposal);
            } else if (payload instanceof SnapshotCompleted c && c.getStatement().getProposalId().equals(proposal.proposalId())) {
                collectGarbage(authority, fact, c, proposal);
            } else if (payload instanceof SnapshotAborted a && a.getProposalId().equals(proposal.proposalId())) {
                aborted(authority, proposal, a.getReason());
            } else if (FactAdmission.isRosterFact(fact) && isOpen(proposal) && state.getIdentityEpoch() > proposal.targetEpoch()) {
                abort(authority, state, proposal, "EPOCH_ADVANCED: identity epoch moved from " + proposal.targetEpoch() + " to "
                        + state.getIdentityEpoch() + " while the proposal was open; it is proposed again under the new epoch", true);
            }
        } else if (payload instanceof SnapshotCompleted c) {
            adoptForeignCompletion(authority, c);
        }
        maybeAutoPropose(authority, state);
    }

    private static boolean isOpen(final ProposalRecord p) {
        return p.phase().equals(ProposalRecord.OPEN) || p.phase().equals(ProposalRecord.COMPLETING);
    }

    /** A proposal reached the journal: keep its prefix state, or abort it when its digest is not that state's. */
    private ProposalRecord opened(final String authority, final FactEnvelope fact, final String id, final SnapshotProposed p,
                                  final MaintenanceState state, final ProposalRecord current) {
        if (current != null && isOpen(current)) {
            return current; // ingest refuses a competing proposal; this cannot be one that got in
        }
        if (p.getProposalId().equals(statsOf(authority).lastProposalId())) {
            return current; // the snapshot this state was restored from: already complete (a restore replays its tail)
        }
        final boolean exact = state != null && state.getFactCount() == p.getPrefixFactCount()
                && Arrays.equals(StateDigest.of(state), Canonical.array(p.getPrefixDigest()));
        final ProposalRecord base = current != null && current.proposalId().equals(p.getProposalId()) ? current
                : new ProposalRecord(p.getProposalId(), id, ProposalRecord.REQUESTED, p.getProposer(), "proposed by " + p.getProposer(),
                context.currentSystemTimeMs(), 0, p.getTargetEpoch(), p.getPrefixFactCount(), null, 0, 0, false, null, 0, 0, null);
        final ProposalRecord open = base.opened(p.getProposalId(), id, context.currentSystemTimeMs(), p.getTargetEpoch(), p.getPrefixFactCount(),
                Hashing.hex(Canonical.array(p.getPrefixDigest())));
        proposals.put(authority, Json.bytes(open));
        metrics.proposalOpened();
        if (!exact) {
            final ProposalRecord aborting = open.aborting(false);
            proposals.put(authority, Json.bytes(aborting));
            emitAbort(authority, state == null ? 0 : state.getIdentityEpoch(), p.getProposalId(), "DIGEST_MISMATCH: the proposal's prefix "
                    + "digest or fact count is not the state of the journal's first " + p.getPrefixFactCount() + " facts", context.currentSystemTimeMs());
            return aborting;
        }
        candidates.put(authority, Canonical.bytes(state));
        return open;
    }

    /** With M counted approvals: write the blob, emit the completion. */
    private void maybeComplete(final String authority, final ProposalRecord proposal) {
        if (!proposal.phase().equals(ProposalRecord.OPEN)) {
            return;
        }
        final MaintenanceState state = stateOf(authority);
        final ProposalState ps = state.getProposals().stream().filter(x -> x.getProposalId().equals(proposal.proposalId())).findFirst().orElse(null);
        final RosterAtEpoch roster = Rosters.at(state, proposal.targetEpoch()).orElse(null);
        if (ps == null || roster == null || ps.getStatus() != ProposalStatus.OPEN || ps.getCountedApprovals() < roster.getThreshold()) {
            return;
        }
        final Optional<DeviceSigner> signer = settings.keys().signer(authority, ACTOR);
        final byte[] candidateBytes = candidates.get(authority);
        if (signer.isEmpty() || candidateBytes == null) {
            return;
        }
        final List<KeySignature> signatures = new ArrayList<>();
        for (final ApprovalRecord a : state.getApprovals()) {
            if (a.getProposalId().equals(proposal.proposalId()) && a.getCounted()) {
                final byte[] bytes = approvals.get(authority + "/" + proposal.proposalId() + "/" + a.getFactId());
                if (bytes != null) {
                    final SnapshotApproved approved = (SnapshotApproved) Canonical.decode(bytes, FactEnvelope.class).getBody().getPayload();
                    signatures.add(new KeySignature(a.getKeyId(), approved.getApproverSignature()));
                }
            }
        }
        signatures.sort(Comparator.comparing(KeySignature::getKeyId));
        final MaintenanceState prefix = Canonical.decode(candidateBytes, MaintenanceState.class);
        final List<byte[]> covered = new ArrayList<>();
        scanFacts(authority, (idHex, position, size) -> {
            if (position < proposal.prefixFactCount()) {
                covered.add(Hashing.unhex(idHex));
            }
        });
        final List<FactEnvelope> chain = new ArrayList<>();
        for (final RosterEpoch r : prefix.getRosterEpochs()) {
            final byte[] bytes = rosterFacts.get(JournalKey.of(authority, r.getCauseFactId()));
            if (bytes != null) {
                chain.add(Canonical.decode(bytes, FactEnvelope.class));
            }
        }
        final SnapshotBlob blob = Snapshots.blob(prefix, proposal.proposalId(), proposal.targetEpoch(), covered, chain);
        final byte[] blobBytes = Canonical.bytes(blob);
        final List<BlobChunk> chunks = Snapshots.chunks(blobBytes, settings.chunkBytes());
        for (final BlobChunk chunk : chunks) {
            context.forward(new Record<>(Snapshots.chunkKey(chunk.getCid(), chunk.getIndex()), Canonical.bytes(chunk), context.currentSystemTimeMs()), TO_BLOBS);
        }
        final String cid = chunks.get(0).getCid();
        final SnapshotStatement statement = new SnapshotStatement(authority, proposal.proposalId(), proposal.targetEpoch(),
                ByteBuffer.wrap(Hashing.unhex(proposal.digestHex())));
        final FactEnvelope completion = signer.get().sign(state.getIdentityEpoch(),
                new SnapshotCompleted(statement, cid, proposal.prefixFactCount(), new ThresholdCertificate(signatures)));
        emit(authority, completion);
        proposals.put(authority, Json.bytes(proposal.completing(cid, chunks.size(), blobBytes.length, Facts.idHex(completion))));
        LOG.info("Snapshot {} of authority {}: {} approvals of {} required; blob {} ({} bytes, {} chunks), completion emitted",
                proposal.proposalId(), authority, ps.getCountedApprovals(), roster.getThreshold(), cid, blobBytes.length, chunks.size());
    }

    /** The completion is in the journal (and the fence lifted): tombstone the prefix, point at the snapshot. */
    private void collectGarbage(final String authority, final FactEnvelope completionFact, final SnapshotCompleted c, final ProposalRecord proposal) {
        if (proposal.blobCid() == null || !proposal.blobCid().equals(c.getBlobCid())) {
            adoptForeignCompletion(authority, c);
            return;
        }
        final long now = context.currentSystemTimeMs();
        final long[] pruned = new long[2];
        final List<KeyValue<String, byte[]>> updates = new ArrayList<>();
        scanFacts(authority, (idHex, position, size) -> {
            if (position >= 0 && position < proposal.prefixFactCount()) {
                final String key = JournalKey.of(authority, idHex);
                context.forward(new Record<String, byte[]>(key, null, now), TO_JOURNAL);
                updates.add(KeyValue.pair(key, ByteBuffer.allocate(16).putLong(-1).putLong(size).array()));
                pruned[0]++;
                pruned[1] += size;
            }
        });
        updates.forEach(kv -> facts.put(kv.key, kv.value));
        final SnapshotStats before = statsOf(authority);
        final SnapshotStats after = before.completed(proposal.proposalId(), proposal.targetEpoch(), proposal.prefixFactCount(), c.getBlobCid(),
                proposal.digestHex(), proposal.requestedAtMillis(), now, pruned[0], pruned[1]);
        stats.put(authority, Json.bytes(after));
        final SnapshotPointer pointer = new SnapshotPointer(authority, proposal.proposalId(), proposal.targetEpoch(),
                ByteBuffer.wrap(Hashing.unhex(proposal.digestHex())), c.getBlobCid(), proposal.chunkCount(), proposal.blobBytes(),
                ByteBuffer.wrap(Canonical.bytes(completionFact)), proposal.prefixFactCount(), after.factsPruned(), after.bytesPruned());
        context.forward(new Record<>(authority, Canonical.bytes(pointer), now), TO_SNAPSHOTS);
        clear(authority, proposal);
        metrics.completed(pruned[0], pruned[1], now - proposal.requestedAtMillis());
        LOG.info("Snapshot {} of authority {} completed: {} facts ({} bytes) tombstoned on the journal", proposal.proposalId(), authority,
                pruned[0], pruned[1]);
    }

    /** A completion this coordinator did not build (a restore replaying its tail): nothing to collect here. */
    private void adoptForeignCompletion(final String authority, final SnapshotCompleted c) {
        final ProposalRecord proposal = proposalOf(authority);
        if (proposal != null && proposal.proposalId().equals(c.getStatement().getProposalId())) {
            clear(authority, proposal);
        }
    }

    private void aborted(final String authority, final ProposalRecord proposal, final String reason) {
        stats.put(authority, Json.bytes(statsOf(authority).aborted("ABORTED: " + reason)));
        metrics.aborted();
        clear(authority, proposal);
        if (proposal.retryAfterAbort() && proposal.retries() < settings.maxRetries() && headerOf(authority) != null) {
            propose(authority, proposal.requestedBy(), proposal.reason(), proposal.retries() + 1);
        }
        LOG.info("Snapshot {} of authority {} aborted: {}", proposal.proposalId(), authority, reason);
    }

    private void clear(final String authority, final ProposalRecord proposal) {
        proposals.delete(authority);
        candidates.delete(authority);
        final String prefix = authority + "/" + proposal.proposalId() + "/";
        final List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = approvals.range(prefix, prefix + Character.MAX_VALUE)) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.forEach(approvals::delete);
    }

    private void abort(final String authority, final MaintenanceState state, final ProposalRecord proposal, final String reason, final boolean retry) {
        proposals.put(authority, Json.bytes(proposal.aborting(retry)));
        emitAbort(authority, state.getIdentityEpoch(), proposal.proposalId(), reason, context.currentSystemTimeMs());
    }

    private void emitAbort(final String authority, final long epoch, final String proposalId, final String reason, final long at) {
        settings.keys().adminKey(authority).ifPresent(key ->
                emit(authority, new DeviceSigner(authority, ACTOR, key, () -> at).sign(epoch, new SnapshotAborted(proposalId, reason))));
    }

    // ---- rejections and requests --------------------------------------------------------------

    private void onRejected(final RejectedFact rejected) {
        final String authority = rejected.getAuthorityId();
        final ProposalRecord proposal = authority == null ? null : proposalOf(authority);
        if (proposal == null || rejected.getFactId() == null) {
            return;
        }
        if (proposal.phase().equals(ProposalRecord.REQUESTED) && rejected.getFactId().equals(proposal.factId())) {
            if (rejected.getReasonCode().equals(RejectionCode.STALE_PREFIX.name()) && proposal.retries() < settings.maxRetries()) {
                // Ingest now holds new facts (a pending fence): propose again once this view has caught up.
                proposals.put(authority, Json.bytes(proposal.retryAt(context.currentSystemTimeMs() + 200)));
            } else {
                proposals.delete(authority);
                stats.put(authority, Json.bytes(statsOf(authority).withError(rejected.getReasonCode() + ": " + rejected.getMessage())));
            }
        } else if (proposal.phase().equals(ProposalRecord.COMPLETING) && rejected.getFactId().equals(proposal.completionFactId())) {
            final MaintenanceState state = headerOf(authority);
            stats.put(authority, Json.bytes(statsOf(authority).withError("completion refused: " + rejected.getReasonCode() + ": " + rejected.getMessage())));
            if (state != null) {
                abort(authority, state, proposal, "COMPLETION_REFUSED: " + rejected.getReasonCode(), false);
            }
        }
    }

    private void onRequest(final String authority, final byte[] value) {
        if (authority == null) {
            return;
        }
        String requestedBy = "operator";
        String reason = "operator request";
        if (value != null && value.length > 0) {
            final JsonNode json = Json.read(value, JsonNode.class);
            requestedBy = json.path("requestedBy").asText(requestedBy);
            reason = json.path("reason").asText(reason);
        }
        final String refusal = refusal(authority, headerOf(authority));
        if (refusal != null) {
            stats.put(authority, Json.bytes(statsOf(authority).withError(refusal)));
            LOG.warn("Snapshot request for authority {} refused: {}", authority, refusal);
            return;
        }
        propose(authority, requestedBy, reason, 0);
    }

    /** Why a proposal cannot be made now, or null; {@code state} may be the authority's header. */
    private String refusal(final String authority, final MaintenanceState state) {
        if (state == null || !state.getCreated()) {
            return "UNKNOWN_AUTHORITY: no fact of authority " + authority + " has been folded here";
        }
        final ProposalRecord proposal = proposalOf(authority);
        if (proposal != null) {
            return "PROPOSAL_OPEN: proposal " + proposal.proposalId() + " is " + proposal.phase();
        }
        if (settings.keys().adminKey(authority).isEmpty()) {
            return "NO_ADMIN_KEY: the coordinator's key ring (factfleet.coordinator.admin.keys) has no admin key for " + authority;
        }
        if (!settings.keys().adminKey(authority).get().keyId().equals(state.getAdminKeyId())) {
            return "NOT_ADMIN: the key ring's key for " + authority + " is not its current admin key " + state.getAdminKeyId();
        }
        return null;
    }

    /** Proposes a snapshot of the authority's state now: the one place a proposal materializes the whole state (its digest). */
    private void propose(final String authority, final String requestedBy, final String reason, final int retries) {
        final MaintenanceState state = stateOf(authority);
        final long now = context.currentSystemTimeMs();
        final String proposalId = "snap-" + Hashing.hex(Hashing.sha256((authority + "/" + state.getFactCount() + "/" + now + "/" + retries)
                .getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        final byte[] digest = StateDigest.of(state);
        final DeviceSigner signer = settings.keys().signer(authority, ACTOR).orElseThrow();
        final FactEnvelope proposal = signer.sign(state.getIdentityEpoch(), new SnapshotProposed(proposalId, requestedBy,
                state.getIdentityEpoch(), ByteBuffer.wrap(digest), state.getFactCount()));
        emit(authority, proposal);
        final long requestedAt = retries == 0 ? now : Optional.ofNullable(proposalOf(authority)).map(ProposalRecord::requestedAtMillis).orElse(now);
        proposals.put(authority, Json.bytes(new ProposalRecord(proposalId, Facts.idHex(proposal), ProposalRecord.REQUESTED, requestedBy, reason,
                requestedAt, 0, state.getIdentityEpoch(), state.getFactCount(), Hashing.hex(digest), retries, 0, false, null, 0, 0, null)));
        metrics.proposed();
        LOG.info("Snapshot {} of authority {} proposed ({}): {} facts at epoch {}", proposalId, authority, reason, state.getFactCount(),
                state.getIdentityEpoch());
    }

    /** {@code state} may be the authority's header: the counts it reads are there. */
    private void maybeAutoPropose(final String authority, final MaintenanceState state) {
        if ((settings.autoFacts() <= 0 && settings.autoEpochs() <= 0) || proposalOf(authority) != null || refusal(authority, state) != null) {
            return;
        }
        final SnapshotStats s = statsOf(authority);
        if (settings.autoFacts() > 0 && state.getFactCount() - s.lastSnapshotFactCount() >= settings.autoFacts()) {
            propose(authority, ACTOR, "automatic: " + (state.getFactCount() - s.lastSnapshotFactCount()) + " facts since the last snapshot", 0);
        } else if (settings.autoEpochs() > 0 && state.getIdentityEpoch() - Math.max(0, s.lastSnapshotEpoch()) >= settings.autoEpochs()) {
            propose(authority, ACTOR, "automatic: " + (state.getIdentityEpoch() - Math.max(0, s.lastSnapshotEpoch()))
                    + " epochs since the last snapshot", 0);
        }
    }

    // ---- time ------------------------------------------------------------------------------------

    private void tick(final long now) {
        final List<KeyValue<String, byte[]>> all = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = proposals.all()) {
            it.forEachRemaining(all::add);
        }
        final long timeout = settings.timeout().toMillis();
        for (final KeyValue<String, byte[]> kv : all) {
            final String authority = kv.key;
            final ProposalRecord p = Json.read(kv.value, ProposalRecord.class);
            final MaintenanceState state = headerOf(authority);
            if (state == null) {
                continue;
            }
            switch (p.phase()) {
                case ProposalRecord.RETRY -> {
                    if (now >= p.retryAtMillis()) {
                        propose(authority, p.requestedBy(), p.reason(), p.retries());
                    }
                }
                case ProposalRecord.REQUESTED -> {
                    if (now - p.requestedAtMillis() > timeout) {
                        proposals.delete(authority);
                        stats.put(authority, Json.bytes(statsOf(authority).withError("TIMEOUT: proposal " + p.proposalId()
                                + " did not reach the journal within " + timeout + " ms")));
                    }
                }
                case ProposalRecord.OPEN, ProposalRecord.COMPLETING -> {
                    if (now - p.openedAtMillis() > timeout) {
                        final MaintenanceState full = stateOf(authority);
                        final int counted = full.getProposals().stream().filter(x -> x.getProposalId().equals(p.proposalId()))
                                .mapToInt(ProposalState::getCountedApprovals).findFirst().orElse(0);
                        final int threshold = Rosters.at(full, p.targetEpoch()).map(RosterAtEpoch::getThreshold).orElse(0);
                        proposals.put(authority, Json.bytes(p.aborting(false)));
                        emitAbort(authority, state.getIdentityEpoch(), p.proposalId(), "TIMEOUT: " + counted + " of " + threshold
                                + " approvals after " + timeout + " ms", p.openedAtMillis() + timeout);
                    }
                }
                case ProposalRecord.ABORTING -> {
                    if (now - p.openedAtMillis() > 3 * timeout) {
                        // The abort never reached the journal: send the same fact again (same time, same id).
                        emitAbort(authority, state.getIdentityEpoch(), p.proposalId(), "TIMEOUT: no completion after " + timeout + " ms",
                                p.openedAtMillis() + timeout);
                    }
                }
                default -> LOG.warn("Unknown proposal phase {} for authority {}", p.phase(), authority);
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private interface FactVisitor {
        void visit(String factIdHex, long position, long size);
    }

    private void scanFacts(final String authority, final FactVisitor visitor) {
        final String prefix = authority + "/";
        try (KeyValueIterator<String, byte[]> it = facts.range(prefix, prefix + Character.MAX_VALUE)) {
            while (it.hasNext()) {
                final KeyValue<String, byte[]> kv = it.next();
                final ByteBuffer b = ByteBuffer.wrap(kv.value);
                visitor.visit(kv.key.substring(prefix.length()), b.getLong(), b.getLong());
            }
        }
    }

    private void emit(final String authority, final FactEnvelope fact) {
        context.forward(new Record<>(authority, settings.factSerializer().serialize(io.factfleet.contracts.FactFleetTopics.INBOUND.name(), fact), context.currentSystemTimeMs()), TO_INBOUND);
    }

    private ProposalRecord proposalOf(final String authority) {
        final byte[] bytes = proposals.get(authority);
        return bytes == null ? null : Json.read(bytes, ProposalRecord.class);
    }

    private SnapshotStats statsOf(final String authority) {
        final byte[] bytes = stats.get(authority);
        return bytes == null ? SnapshotStats.none() : Json.read(bytes, SnapshotStats.class);
    }

    /**
     * The authority's header (its state without the per-device sets: counts, epoch, admin key, proposals as folded), from
     * its entries, from the old one-record layout, or hydrated from its latest snapshot; null if none. One point lookup
     * when the authority has entries.
     */
    private MaintenanceState headerOf(final String authority) {
        final KeyedState.Entries mine = AuthorityEntries.of(entries, authority);
        final MaintenanceState header = KeyedState.headerOf(mine);
        if (header != null) {
            return header;
        }
        if (migrate(authority)) {
            return KeyedState.headerOf(mine);
        }
        final MaintenanceState hydrated = hydrate(authority);
        return hydrated == null ? null : KeyedState.header(hydrated);
    }

    /** The authority's finished state, materialized from its entries (O(devices)): for a digest, a blob, approval counts. */
    private MaintenanceState stateOf(final String authority) {
        return headerOf(authority) == null ? null : AuthorityEntries.state(entries, authority);
    }

    /** Moves every state of the old one-record layout into entries. */
    private void migrateAll() {
        final List<String> ids = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = legacy.all()) {
            it.forEachRemaining(kv -> ids.add(kv.key));
        }
        ids.forEach(this::migrate);
        if (!ids.isEmpty()) {
            LOG.info("Moved the state of {} authorities from {} into {}", ids.size(), SnapshotStoresSpec.LEGACY_STATE, SnapshotStoresSpec.ENTRIES);
        }
    }

    /** The authority's state in the old layout, if any, becomes its entries; whether there was one. */
    private boolean migrate(final String authority) {
        final byte[] old = legacy.get(authority);
        if (old == null) {
            return false;
        }
        final KeyedState.Entries into = AuthorityEntries.of(entries, authority);
        if (!KeyedState.exists(into)) {
            KeyedState.replace(into, Canonical.decode(old, MaintenanceState.class));
        }
        legacy.delete(authority);
        return true;
    }

    private MaintenanceState hydrate(final String authority) {
        final Optional<SnapshotStores.Loaded> loaded;
        try {
            loaded = SnapshotStores.load(pointerStore, blobStore, authority, settings.admission(), settings.admission().verifier());
        } catch (final Snapshots.SnapshotException e) {
            LOG.error("The snapshot of authority {} cannot be used: {}", authority, e.getMessage());
            return null;
        }
        if (loaded.isEmpty()) {
            return null;
        }
        final Snapshots.Verified v = loaded.get().verified();
        final byte[] covered = ByteBuffer.allocate(16).putLong(-1).putLong(0).array();
        for (final byte[] id : v.coveredFactIds()) {
            facts.put(JournalKey.of(authority, Hashing.hex(id)), covered);
        }
        for (final ByteBuffer f : loaded.get().blob().getRosterFacts()) {
            final FactEnvelope fact = Canonical.decode(Canonical.array(f), FactEnvelope.class);
            rosterFacts.put(JournalKey.of(authority, Facts.idHex(fact)), Canonical.bytes(fact));
        }
        final SnapshotPointer p = loaded.get().pointer();
        stats.put(authority, Json.bytes(SnapshotStats.none().completed(p.getProposalId(), p.getEpoch(), p.getCoveredFacts(), p.getBlobCid(),
                Hashing.hex(Canonical.array(p.getDigest())), 0, 0, 0, 0)));
        KeyedState.replace(AuthorityEntries.of(entries, authority), v.state());
        LOG.info("Authority {} hydrated from snapshot {} ({} facts covered)", authority, p.getProposalId(), v.coveredFactIds().size());
        return v.state();
    }

    private String position() {
        return context.recordMetadata().map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("(punctuation)");
    }
}
