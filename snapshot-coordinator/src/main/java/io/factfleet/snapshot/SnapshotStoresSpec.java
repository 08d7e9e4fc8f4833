package io.factfleet.snapshot;

import io.factfleet.contracts.SnapshotStores;
import java.util.List;

/** The coordinator's state stores (all String to byte[], RocksDB, changelogged). */
public final class SnapshotStoresSpec {
    /**
     * Each authority's folded state as {@link io.factfleet.core.KeyedState} entries, laid out by
     * {@link io.factfleet.contracts.AuthorityEntries}: a fact reads and writes only the entries it touches.
     */
    public static final String ENTRIES = "coord-entries";
    /**
     * The layout before {@link #ENTRIES}: authority to its whole MaintenanceState (canonical bytes), rewritten for every
     * fact. Still declared so that a coordinator upgraded in place restores it; on start its records move into
     * {@link #ENTRIES} and are deleted. Nothing writes it.
     */
    public static final String LEGACY_STATE = "coord-state";
    /** {@code <authority>/<factIdHex>} to 16 bytes: journal position (-1 once pruned or covered by a snapshot) and record size. */
    public static final String FACTS = "coord-facts";
    /** {@code <authority>/<factIdHex>} to a roster fact (canonical bytes): the chain every blob carries. */
    public static final String ROSTER_FACTS = "coord-roster-facts";
    /** {@code <authority>/<proposalId>/<factIdHex>} to an approval fact (canonical bytes), for the completion certificate. */
    public static final String APPROVALS = "coord-approvals";
    /** Authority to its proposal in flight (JSON). */
    public static final String PROPOSALS = "coord-proposals";
    /** Authority to the state of the open proposal's prefix (canonical bytes): what the blob will hold. */
    public static final String CANDIDATES = "coord-candidates";
    /** Authority to its snapshot statistics (JSON). */
    public static final String STATS = "coord-stats";

    public static final List<String> ALL = List.of(ENTRIES, LEGACY_STATE, FACTS, ROSTER_FACTS, APPROVALS, PROPOSALS, CANDIDATES, STATS);

    /** Global mirrors of factfleet.snapshots and factfleet.snapshot-blobs, for authorities restored from a snapshot. */
    public static final SnapshotStores SNAPSHOTS = new SnapshotStores("coordinator");

    private SnapshotStoresSpec() {
    }
}
