package io.factfleet.snapshot.internal;

/** Per-authority snapshot history and garbage-collection totals. */
public record SnapshotStats(String lastProposalId, long lastSnapshotEpoch, long lastSnapshotFactCount, String lastBlobCid,
                            String lastDigestHex, long lastCompletedAtMillis, long lastProposedAtMillis, long snapshotsCompleted,
                            long snapshotsAborted, long factsPruned, long bytesPruned, String lastError) {
    public static SnapshotStats none() {
        return new SnapshotStats(null, -1, 0, null, null, 0, 0, 0, 0, 0, 0, null);
    }

    public SnapshotStats withError(final String error) {
        return new SnapshotStats(lastProposalId, lastSnapshotEpoch, lastSnapshotFactCount, lastBlobCid, lastDigestHex, lastCompletedAtMillis,
                lastProposedAtMillis, snapshotsCompleted, snapshotsAborted, factsPruned, bytesPruned, error);
    }

    public SnapshotStats aborted(final String reason) {
        return new SnapshotStats(lastProposalId, lastSnapshotEpoch, lastSnapshotFactCount, lastBlobCid, lastDigestHex, lastCompletedAtMillis,
                lastProposedAtMillis, snapshotsCompleted, snapshotsAborted + 1, factsPruned, bytesPruned, reason);
    }

    public SnapshotStats completed(final String proposalId, final long epoch, final long factCount, final String cid, final String digestHex,
                                   final long proposedAt, final long at, final long pruned, final long bytes) {
        return new SnapshotStats(proposalId, epoch, factCount, cid, digestHex, at, proposedAt, snapshotsCompleted + 1, snapshotsAborted,
                factsPruned + pruned, bytesPruned + bytes, null);
    }
}
