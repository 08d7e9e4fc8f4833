package io.factfleet.snapshot.internal;

/**
 * The coordinator's proposal in flight for one authority.
 *
 * @param phase REQUESTED (emitted, not yet in the journal), OPEN (in the journal: the fence holds new facts),
 *              COMPLETING (completion emitted), ABORTING (abort emitted)
 */
public record ProposalRecord(String proposalId, String factId, String phase, String requestedBy, String reason, long requestedAtMillis,
                             long openedAtMillis, long targetEpoch, long prefixFactCount, String digestHex, int retries, long retryAtMillis,
                             boolean retryAfterAbort, String blobCid, int chunkCount, long blobBytes, String completionFactId) {
    public static final String REQUESTED = "REQUESTED";
    public static final String OPEN = "OPEN";
    public static final String COMPLETING = "COMPLETING";
    public static final String ABORTING = "ABORTING";
    /** No proposal in the journal; a new one is emitted at {@code retryAtMillis}. */
    public static final String RETRY = "RETRY";

    public ProposalRecord withPhase(final String newPhase) {
        return new ProposalRecord(proposalId, factId, newPhase, requestedBy, reason, requestedAtMillis, openedAtMillis, targetEpoch,
                prefixFactCount, digestHex, retries, retryAtMillis, retryAfterAbort, blobCid, chunkCount, blobBytes, completionFactId);
    }

    public ProposalRecord opened(final String id, final String fact, final long at, final long epoch, final long count, final String digest) {
        return new ProposalRecord(id, fact, OPEN, requestedBy, reason, requestedAtMillis, at, epoch, count, digest, retries, 0, false,
                null, 0, 0, null);
    }

    /** No proposal in the journal (ingest refused it as stale): propose again at {@code at}. */
    public ProposalRecord retryAt(final long at) {
        return new ProposalRecord(proposalId, factId, RETRY, requestedBy, reason, requestedAtMillis, openedAtMillis,
                targetEpoch, prefixFactCount, digestHex, retries + 1, at, false, blobCid, chunkCount, blobBytes, completionFactId);
    }

    public ProposalRecord completing(final String cid, final int chunks, final long bytes, final String completionId) {
        return new ProposalRecord(proposalId, factId, COMPLETING, requestedBy, reason, requestedAtMillis, openedAtMillis, targetEpoch,
                prefixFactCount, digestHex, retries, retryAtMillis, retryAfterAbort, cid, chunks, bytes, completionId);
    }

    public ProposalRecord aborting(final boolean retry) {
        return new ProposalRecord(proposalId, factId, ABORTING, requestedBy, reason, requestedAtMillis, openedAtMillis, targetEpoch,
                prefixFactCount, digestHex, retries, retryAtMillis, retry, blobCid, chunkCount, blobBytes, completionFactId);
    }
}
