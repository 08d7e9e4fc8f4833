package io.factfleet.core;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotApproved;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.snapshot.BlobChunk;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterAtEpoch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The pure parts of snapshots, shared by the coordinator, ingest, the reducer, backups and the device SDK.
 *
 * <p><b>What a snapshot captures.</b> A proposal P freezes its authority's journal: ingest admits P only
 * when {@code P.prefixFactCount} equals the number of the authority's facts in the journal, then holds
 * every later fact except P's own protocol facts and roster changes (which abort P). The prefix S is the
 * set of facts in the journal before P; its digest is the {@link StateDigest} of {@code reduce(S)}. A
 * replica that holds S plus P's protocol facts computes the same digest with {@link #prefixDigest}, which
 * leaves out every fact naming P (its proposal, approvals, completion or abort).
 *
 * <p><b>Snapshot plus tail.</b> The journal is admission-ordered (ingest refuses what would reorder the
 * roster chain), so folding the tail onto {@code reduce(S)} with {@link Reducer#apply} gives
 * {@code reduce(S ∪ tail)} byte for byte; the state keeps every fact's contribution and the roster
 * history, so facts of any earlier epoch in the tail still verify.
 */
public final class Snapshots {
    /** Default chunk size of blobs on factfleet.snapshot-blobs: well under Kafka's default 1 MiB message limit. */
    public static final int DEFAULT_CHUNK_BYTES = 512 * 1024;

    private Snapshots() {
    }

    /** The proposal id a snapshot protocol fact names, if it is one. */
    public static Optional<String> proposalIdOf(final FactEnvelope fact) {
        final Object p = fact.getBody().getPayload();
        if (p instanceof SnapshotProposed proposed) {
            return Optional.of(proposed.getProposalId());
        }
        if (p instanceof SnapshotApproved approved) {
            return Optional.of(approved.getStatement().getProposalId());
        }
        if (p instanceof SnapshotCompleted completed) {
            return Optional.of(completed.getStatement().getProposalId());
        }
        if (p instanceof SnapshotAborted aborted) {
            return Optional.of(aborted.getProposalId());
        }
        return Optional.empty();
    }

    /** Whether the fact is part of proposal {@code proposalId}'s own protocol. */
    public static boolean belongsTo(final FactEnvelope fact, final String proposalId) {
        return proposalIdOf(fact).map(proposalId::equals).orElse(false);
    }

    /**
     * The prefix state a replica holding {@code facts} (on top of {@code base}, the state of an earlier
     * snapshot, or null) attributes to {@code proposalId}: everything it holds except that proposal's own facts.
     */
    public static MaintenanceState prefixState(final Reducer reducer, final String authorityId, final MaintenanceState base,
                                               final Iterable<FactEnvelope> facts, final String proposalId) {
        final List<FactEnvelope> prefix = new ArrayList<>();
        for (final FactEnvelope fact : facts) {
            if (!belongsTo(fact, proposalId)) {
                prefix.add(fact);
            }
        }
        return base == null ? reducer.reduce(authorityId, prefix) : reducer.reduceFrom(base, Long.MIN_VALUE, prefix);
    }

    /** The digest a device approves: {@link StateDigest} of {@link #prefixState}. */
    public static byte[] prefixDigest(final Reducer reducer, final String authorityId, final MaintenanceState base,
                                      final Iterable<FactEnvelope> facts, final String proposalId) {
        return StateDigest.of(prefixState(reducer, authorityId, base, facts, proposalId));
    }

    // ---- blobs ----------------------------------------------------------------------------------

    /** A blob of {@code state} with the ids it covers (sorted) and the roster chain facts that certify its roster. */
    public static SnapshotBlob blob(final MaintenanceState state, final String proposalId, final long epoch,
                                    final List<byte[]> coveredFactIds, final List<FactEnvelope> rosterFacts) {
        final List<byte[]> ids = new ArrayList<>(coveredFactIds);
        ids.sort(Arrays::compareUnsigned);
        final List<ByteBuffer> idBuffers = new ArrayList<>(ids.size());
        ids.forEach(id -> idBuffers.add(ByteBuffer.wrap(id)));
        final List<FactEnvelope> chain = new ArrayList<>(rosterFacts);
        chain.sort(Reducer.CANONICAL_ORDER);
        final List<ByteBuffer> chainBytes = new ArrayList<>(chain.size());
        chain.forEach(f -> chainBytes.add(ByteBuffer.wrap(Canonical.bytes(f))));
        return SnapshotBlob.newBuilder()
                .setAuthorityId(state.getAuthorityId())
                .setProposalId(proposalId)
                .setEpoch(epoch)
                .setState(ByteBuffer.wrap(Canonical.bytes(state)))
                .setCoveredFactIds(idBuffers)
                .setRosterFacts(chainBytes)
                .build();
    }

    /** The blob's content id: hex SHA-256 of its Avro binary encoding. */
    public static String cid(final byte[] blobBytes) {
        return Hashing.hex(Hashing.sha256(blobBytes));
    }

    /** The digest of the state a blob carries: SHA-256 of its canonical state bytes. */
    public static byte[] digestOf(final SnapshotBlob blob) {
        return Hashing.sha256(Canonical.array(blob.getState()));
    }

    public static MaintenanceState stateOf(final SnapshotBlob blob) {
        return Canonical.decode(Canonical.array(blob.getState()), MaintenanceState.class);
    }

    /** Key of a chunk on factfleet.snapshot-blobs. */
    public static String chunkKey(final String cid, final int index) {
        return cid + "/" + String.format("%06d", index);
    }

    /** Splits a blob's bytes into chunks of at most {@code chunkBytes}. */
    public static List<BlobChunk> chunks(final byte[] blobBytes, final int chunkBytes) {
        final String cid = cid(blobBytes);
        final int count = Math.max(1, (blobBytes.length + chunkBytes - 1) / chunkBytes);
        final List<BlobChunk> chunks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final int from = i * chunkBytes;
            final int to = Math.min(blobBytes.length, from + chunkBytes);
            chunks.add(new BlobChunk(cid, i, count, (long) blobBytes.length, ByteBuffer.wrap(Arrays.copyOfRange(blobBytes, from, to))));
        }
        return chunks;
    }

    /**
     * Reassembles a blob from its chunks (any order) and checks it against {@code cid}.
     *
     * @throws SnapshotException when a chunk is missing or the bytes do not hash to the cid
     */
    public static byte[] assemble(final String cid, final List<BlobChunk> chunks) {
        final List<BlobChunk> sorted = new ArrayList<>(chunks);
        sorted.sort(Comparator.comparingInt(BlobChunk::getIndex));
        if (sorted.isEmpty() || sorted.size() != sorted.get(0).getCount()) {
            throw new SnapshotException("BLOB_INCOMPLETE", "blob " + cid + " has " + sorted.size() + " of "
                    + (sorted.isEmpty() ? "?" : sorted.get(0).getCount()) + " chunks");
        }
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < sorted.size(); i++) {
            if (sorted.get(i).getIndex() != i) {
                throw new SnapshotException("BLOB_INCOMPLETE", "blob " + cid + " lacks chunk " + i);
            }
            out.writeBytes(Canonical.array(sorted.get(i).getData()));
        }
        final byte[] bytes = out.toByteArray();
        if (!cid(bytes).equals(cid)) {
            throw new SnapshotException("BLOB_CORRUPT", "blob " + cid + " does not hash to its content id (got " + cid(bytes) + ")");
        }
        return bytes;
    }

    // ---- verification -----------------------------------------------------------------------------

    /** A verified snapshot: the state to hydrate, the roster-only state ingest admits with, and the ids it covers. */
    public record Verified(MaintenanceState state, MaintenanceState rosterState, List<byte[]> coveredFactIds, SnapshotCompleted completion) {
    }

    /**
     * Verifies a blob against its completion fact before anyone trusts it: the roster chain starts with a
     * genesis signed by a trusted operator key and every change is certified ({@link FactAdmission}); the
     * blob's roster history is that chain's; the completion names this blob and its digest; and its
     * threshold certificate holds M distinct keys of the roster at the snapshot's epoch.
     *
     * @throws SnapshotException with a code and a message an operator can act on
     */
    public static Verified verify(final SnapshotBlob blob, final String blobCid, final FactEnvelope completionFact,
                                  final FactAdmission admission, final SignatureVerifier verifier) {
        if (!(completionFact.getBody().getPayload() instanceof SnapshotCompleted completion)) {
            throw new SnapshotException("NOT_A_COMPLETION", "the snapshot's completion fact is a " + Facts.kind(completionFact));
        }
        final SnapshotStatement s = completion.getStatement();
        if (!s.getAuthorityId().equals(blob.getAuthorityId()) || !completionFact.getBody().getAuthorityId().equals(blob.getAuthorityId())) {
            throw new SnapshotException("AUTHORITY_MISMATCH", "the completion is for authority " + s.getAuthorityId()
                    + ", the blob for " + blob.getAuthorityId());
        }
        if (!completion.getBlobCid().equals(blobCid)) {
            throw new SnapshotException("BLOB_MISMATCH", "the completion names blob " + completion.getBlobCid() + ", not " + blobCid);
        }
        if (!Arrays.equals(Canonical.array(s.getDigest()), digestOf(blob))) {
            throw new SnapshotException("DIGEST_MISMATCH", "the blob's state does not have the digest its completion certifies");
        }
        MaintenanceState roster = null;
        for (final ByteBuffer bytes : blob.getRosterFacts()) {
            final FactEnvelope fact = undecodableIsRefused(() -> Canonical.decode(Canonical.array(bytes), FactEnvelope.class), "a roster fact");
            final FactAdmission.Decision decision = admission.admit(roster, fact);
            if (decision.admission() instanceof Admission.Rejected rejected) {
                throw new SnapshotException("ROSTER_CHAIN_INVALID", "roster fact " + Facts.idHex(fact) + " is refused: "
                        + rejected.code() + ": " + rejected.message());
            }
            roster = decision.rosterStateAfter().orElseThrow(() -> new SnapshotException("ROSTER_CHAIN_INVALID",
                    "fact " + Facts.idHex(fact) + " in the roster chain does not change the roster"));
        }
        if (roster == null) {
            throw new SnapshotException("ROSTER_CHAIN_INVALID", "the blob carries no roster chain");
        }
        final MaintenanceState state = undecodableIsRefused(() -> stateOf(blob), "the state");
        if (!roster.getRosterEpochs().equals(state.getRosterEpochs()) || !roster.getRoster().equals(state.getRoster())
                || !roster.getFormerMembers().equals(state.getFormerMembers()) || !roster.getRetiredAdmins().equals(state.getRetiredAdmins())) {
            throw new SnapshotException("ROSTER_CHAIN_INVALID", "the blob's roster history is not the one its roster chain certifies");
        }
        final RosterAtEpoch atEpoch = Rosters.at(state, s.getEpoch()).orElseThrow(() ->
                new SnapshotException("CERTIFICATE_INVALID", "no roster at the snapshot's epoch " + s.getEpoch()));
        final ThresholdCertificates.Check check = ThresholdCertificates.verify(completion.getCertificate(), s, atEpoch, verifier);
        if (!check.valid()) {
            throw new SnapshotException("CERTIFICATE_INVALID", check.describe());
        }
        final Rosters.Signer signer = Rosters.signerAt(state, atEpoch, completionFact.getBody().getSignerKeyId(), completionFact.getBody().getIdentityEpoch());
        final byte[] signerKey = signer instanceof Rosters.Member m ? Canonical.array(m.entry().getPublicKey())
                : signer instanceof Rosters.Admin a ? a.publicKey() : null;
        if (signerKey == null || !Facts.idMatchesBody(completionFact) || !Facts.signatureValid(completionFact, signerKey, verifier)) {
            throw new SnapshotException("BAD_SIGNATURE", "the completion fact's own signature does not verify");
        }
        final List<byte[]> ids = new ArrayList<>(blob.getCoveredFactIds().size());
        blob.getCoveredFactIds().forEach(b -> ids.add(Canonical.array(b)));
        return new Verified(state, roster, ids, completion);
    }

    /**
     * Verifies a blob for a replica that already trusts a roster (a device compacting its own replica):
     * the completion must name this blob and its digest, and its certificate must hold M distinct valid
     * signatures of {@code trusted}'s roster at the snapshot's epoch. No operator key is needed: the
     * replica's own roster vouches for the digest.
     *
     * @throws SnapshotException with a code and a message
     */
    public static MaintenanceState verifyAgainst(final SnapshotBlob blob, final String blobCid, final FactEnvelope completionFact,
                                                 final MaintenanceState trusted, final SignatureVerifier verifier) {
        if (!(completionFact.getBody().getPayload() instanceof SnapshotCompleted completion)) {
            throw new SnapshotException("NOT_A_COMPLETION", "the snapshot's completion fact is a " + Facts.kind(completionFact));
        }
        final SnapshotStatement s = completion.getStatement();
        if (!s.getAuthorityId().equals(trusted.getAuthorityId()) || !blob.getAuthorityId().equals(trusted.getAuthorityId())) {
            throw new SnapshotException("AUTHORITY_MISMATCH", "the snapshot is for authority " + s.getAuthorityId());
        }
        if (!completion.getBlobCid().equals(blobCid) || !Arrays.equals(Canonical.array(s.getDigest()), digestOf(blob))) {
            throw new SnapshotException("DIGEST_MISMATCH", "the blob is not the one its completion certifies");
        }
        final RosterAtEpoch atEpoch = Rosters.at(trusted, s.getEpoch()).orElseThrow(() ->
                new SnapshotException("UNKNOWN_EPOCH", "this replica knows no roster at the snapshot's epoch " + s.getEpoch()));
        final ThresholdCertificates.Check check = ThresholdCertificates.verify(completion.getCertificate(), s, atEpoch, verifier);
        if (!check.valid()) {
            throw new SnapshotException("CERTIFICATE_INVALID", check.describe());
        }
        return undecodableIsRefused(() -> stateOf(blob), "the state");
    }

    /** What a blob carries, decoded; a blob from outside whose contents do not decode is a refused snapshot, not a crash. */
    private static <T> T undecodableIsRefused(final java.util.function.Supplier<T> decode, final String what) {
        try {
            return decode.get();
        } catch (final IllegalArgumentException e) {
            throw new SnapshotException("BLOB_UNDECODABLE", what + " in the blob does not decode: " + e.getMessage());
        }
    }

    /** A snapshot that cannot be trusted or read; {@link #code()} is stable, the message says what to do. */
    public static final class SnapshotException extends RuntimeException {
        private final String code;

        public SnapshotException(final String code, final String message) {
            super(code + ": " + message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }
}
