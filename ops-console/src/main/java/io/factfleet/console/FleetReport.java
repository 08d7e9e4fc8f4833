package io.factfleet.console;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The fleet page's data: every authority the reducer knows, with its epochs, open snapshot proposals (approvals versus
 * threshold) and fence state. The JSON of {@code GET /api/fleet}.
 *
 * @param reducerUrl  where it came from; null when no reducer is configured
 * @param snapshotUrl the snapshot-coordinator asked for fence and proposal status; null when not configured
 * @param error       why the data is missing or incomplete, or null
 */
public record FleetReport(long generatedAtMillis, String reducerUrl, String snapshotUrl, List<AuthorityRow> authorities, String error) {

    /**
     * @param fence       OPEN or FENCED
     * @param fenceSource "snapshot-coordinator" when the coordinator said so; "inferred: open proposal" or "inferred: no open
     *                    proposal" when read from the reducer's state (ingest fences an authority while a snapshot proposal is open)
     * @param snapshotEpoch the last completed snapshot's epoch, -1 for none
     * @param coordinator the snapshot-coordinator's status, when configured and answering
     */
    public record AuthorityRow(String authorityId, long identityEpoch, long snapshotEpoch, int threshold, int devices, long factCount,
                               List<Proposal> openProposals, String fence, String fenceSource, SnapshotStatus coordinator, String error) {
    }

    /** An open snapshot proposal: counted approvals versus the threshold, and why others do not count. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Proposal(String proposalId, long targetEpoch, int approvals, int threshold, List<String> problems) {
        public Proposal {
            problems = problems == null ? List.of() : List.copyOf(problems);
        }
    }

    /**
     * The snapshot-coordinator's {@code GET /authorities/{id}/snapshots/status}.
     *
     * @param fence "OPEN" or "FENCED"
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SnapshotStatus(String authorityId, Long lastSnapshotEpoch, Proposal openProposal, String fence, Long heldFacts,
                                 Long factsPruned, Long bytesReclaimed) {
    }
}
