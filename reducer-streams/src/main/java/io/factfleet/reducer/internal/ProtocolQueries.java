package io.factfleet.reducer.internal;

import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Canonical;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.reducer.ReducerStores;
import io.factfleet.reducer.ReducerStores.Rejection;
import io.factfleet.reducer.ReducerStores.SeqCounter;
import io.factfleet.schema.FactEnvelope;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The device-protocol answers (fact status, anti-entropy sync) computed from the stores of the one
 * partition an authority lives in, independent of HTTP: {@link ProtocolViews} serves them to the
 * edge bridge, and tests run them on a {@code TopologyTestDriver}'s stores.
 */
public final class ProtocolQueries {
    /** The message of the status of a fact that garbage collection pruned from the journal. */
    public static final String PRUNED_MESSAGE = "pruned from the journal by garbage collection: a completed snapshot covers it";

    private ProtocolQueries() {
    }

    /** Read access to the stores of the partition an authority lives in, by store name. */
    public interface StoreSource {
        <V> ReadOnlyKeyValueStore<String, V> store(String name);
    }

    /** What the reducer knows about a fact. */
    public enum Status {
        /** In the journal's index (or pruned from it after a snapshot: then without a seq). */
        IN_JOURNAL,
        /** Refused by ingest, with its reason code and message. */
        REJECTED,
        /** Neither: not yet judged by ingest, never sent, or rejected longer ago than the retention. */
        UNKNOWN
    }

    /**
     * A fact's status.
     *
     * @param seq     its arrival seq when {@link Status#IN_JOURNAL} and still indexed, else null
     * @param code    ingest's reason code when {@link Status#REJECTED}, else null
     * @param message ingest's message when {@link Status#REJECTED}, {@link #PRUNED_MESSAGE} for a pruned fact, else null
     */
    public record FactStatus(String factId, Status status, Long seq, String code, String message) {
    }

    /**
     * A sync request.
     *
     * @param afterSeq      only facts with a larger seq are returned
     * @param excludeDevice facts whose {@code body.deviceId} is this are skipped, unless {@code includeOwn}; null skips none
     * @param maxBytes      the page is cut before the fact that would take the facts' canonical bytes (not base64) over
     *                      this; the first fact of a page is returned whatever its size
     * @param bloom         facts this filter might contain are skipped; null skips none
     */
    public record SyncRequest(long afterSeq, String excludeDevice, boolean includeOwn, long maxBytes, SaltedBloomFilter bloom) {
    }

    /**
     * A sync answer.
     *
     * @param upToSeq    the last seq scanned (returned or skipped); {@code afterSeq} when there was none
     * @param complete   false when the page was cut by {@code maxBytes}: ask again after {@code upToSeq}
     * @param merkleRoot {@link MerkleRoot#of} the ids of every fact indexed when the scan ran, whatever was returned
     * @param factCount  how many facts that root covers
     * @param facts      {@link Canonical#bytes} of each returned {@link FactEnvelope}, in seq order
     */
    public record SyncResult(String indexId, long upToSeq, boolean complete, byte[] merkleRoot, int factCount, List<byte[]> facts) {
    }

    /** Whether any fact of the authority was folded. */
    public static boolean hasState(final StoreSource stores, final String authorityId) {
        return AuthorityEntries.exists(store(stores, ReducerStores.AUTHORITY_ENTRIES), authorityId);
    }

    /** Whether anything is known of the authority: a folded fact or a remembered rejection. */
    public static boolean isKnown(final StoreSource stores, final String authorityId) {
        if (hasState(stores, authorityId)) {
            return true;
        }
        final String prefix = FactKeys.authorityPrefix(authorityId);
        try (KeyValueIterator<String, Rejection> it = store(stores, ReducerStores.REJECTED_FACTS).range(prefix, FactKeys.upperBound(prefix))) {
            return it.hasNext();
        }
    }

    /**
     * The status of one fact of the authority; {@link Status#IN_JOURNAL} wins over
     * {@link Status#REJECTED} when both are known.
     *
     * @param factIdHex 64 lower-case hex digits
     */
    public static FactStatus status(final StoreSource stores, final String authorityId, final String factIdHex) {
        final String journalKey = JournalKey.of(authorityId, factIdHex);
        final Long seq = store(stores, ReducerStores.FACT_SEQS).get(journalKey);
        if (seq != null && seq > 0) {
            return new FactStatus(factIdHex, Status.IN_JOURNAL, seq, null, null);
        }
        if (store(stores, ReducerStores.FACT_IDS).get(journalKey) != null) {
            // Indexed, its seq not yet visible (being numbered right now, or stores from before the sequence).
            return new FactStatus(factIdHex, Status.IN_JOURNAL, null, null, null);
        }
        if (seq != null) {
            return new FactStatus(factIdHex, Status.IN_JOURNAL, null, null, PRUNED_MESSAGE);
        }
        final Rejection rejection = store(stores, ReducerStores.REJECTED_FACTS).get(journalKey);
        if (rejection != null) {
            return new FactStatus(factIdHex, Status.REJECTED, null, rejection.code(), rejection.message());
        }
        return new FactStatus(factIdHex, Status.UNKNOWN, null, null, null);
    }

    /**
     * The facts of the authority with a seq after {@code request.afterSeq()}, in seq order, less
     * those skipped, up to the byte limit; and the Merkle root over every indexed fact, from the
     * same scan, so that a device that holds all returned facts (and its own) has that root when the
     * answer is complete.
     *
     * @return empty when the authority has no arrival sequence yet (no fact folded, or stores from
     *         before the sequence that are being numbered right now)
     */
    public static Optional<SyncResult> sync(final StoreSource stores, final String authorityId, final SyncRequest request) {
        final SeqCounter counter = store(stores, ReducerStores.SEQ_COUNTERS).get(authorityId);
        if (counter == null) {
            return Optional.empty();
        }
        final ReadOnlyKeyValueStore<String, String> ids = store(stores, ReducerStores.FACT_IDS);
        final ReadOnlyKeyValueStore<String, FactEnvelope> index = store(stores, ReducerStores.FACT_INDEX);
        final List<byte[]> all = new ArrayList<>();
        final List<byte[]> page = new ArrayList<>();
        long bytes = 0;
        long upToSeq = request.afterSeq();
        boolean full = false;
        final String prefix = FactKeys.authorityPrefix(authorityId);
        try (KeyValueIterator<String, String> it = store(stores, ReducerStores.SEQ_INDEX).range(prefix, FactKeys.upperBound(prefix))) {
            while (it.hasNext()) {
                final KeyValue<String, String> entry = it.next();
                final byte[] id = Hashing.unhex(entry.value);
                all.add(id);
                final long seq = FactKeys.seqOf(entry.key);
                if (full || seq <= request.afterSeq()) {
                    continue;
                }
                if (request.bloom() != null && request.bloom().mightContain(id)) {
                    upToSeq = seq;
                    continue;
                }
                final String indexKey = ids.get(JournalKey.of(authorityId, entry.value));
                final FactEnvelope fact = indexKey == null ? null : index.get(indexKey);
                if (fact == null) {
                    upToSeq = seq; // pruned while we read
                    continue;
                }
                if (!request.includeOwn() && request.excludeDevice() != null && request.excludeDevice().equals(fact.getBody().getDeviceId())) {
                    upToSeq = seq;
                    continue;
                }
                final byte[] encoded = Canonical.bytes(fact);
                if (!page.isEmpty() && bytes + encoded.length > request.maxBytes()) {
                    full = true;
                    continue; // keep scanning: the root covers every indexed fact
                }
                page.add(encoded);
                bytes += encoded.length;
                upToSeq = seq;
            }
        }
        return Optional.of(new SyncResult(counter.indexId(), upToSeq, !full, MerkleRoot.of(all), all.size(), List.copyOf(page)));
    }

    /**
     * An artifact an upgrade of the authority names: what its threshold-signed proposal says.
     *
     * @param sha256 64 lower-case hex digits ({@code UpgradeMetadata.artifactSha256})
     */
    public record ProposedArtifact(String proposalId, String packageId, long version, String sha256, long length) {
    }

    /**
     * The artifacts named by the upgrades in the authority's state, one per upgrade, in the state's order: read
     * from its header (the upgrades and their proposal facts' ids) and each proposal fact by one point lookup,
     * O(upgrades) whatever the roster's size. An upgrade whose proposal fact a snapshot pruned from the index is
     * left out (its metadata is gone).
     *
     * @return empty when nothing of the authority was folded
     */
    public static Optional<List<ProposedArtifact>> artifacts(final StoreSource stores, final String authorityId) {
        final io.factfleet.schema.state.MaintenanceState header = io.factfleet.core.KeyedState.headerOf(
                AuthorityEntries.readOnly(store(stores, ReducerStores.AUTHORITY_ENTRIES), authorityId));
        if (header == null) {
            return Optional.empty();
        }
        final ReadOnlyKeyValueStore<String, String> ids = store(stores, ReducerStores.FACT_IDS);
        final ReadOnlyKeyValueStore<String, FactEnvelope> index = store(stores, ReducerStores.FACT_INDEX);
        final List<ProposedArtifact> artifacts = new ArrayList<>();
        for (final io.factfleet.schema.state.UpgradeState upgrade : header.getUpgrades()) {
            final String indexKey = ids.get(JournalKey.of(authorityId, upgrade.getFactId()));
            final FactEnvelope fact = indexKey == null ? null : index.get(indexKey);
            final io.factfleet.schema.UpgradeMetadata metadata = fact == null ? null : metadataOf(fact.getBody().getPayload());
            if (metadata != null) {
                artifacts.add(new ProposedArtifact(upgrade.getProposalId(), upgrade.getPackageId(), upgrade.getVersion(),
                        Hashing.hex(Canonical.array(metadata.getArtifactSha256())), metadata.getArtifactLength()));
            }
        }
        return Optional.of(List.copyOf(artifacts));
    }

    private static io.factfleet.schema.UpgradeMetadata metadataOf(final Object payload) {
        if (payload instanceof io.factfleet.schema.UpgradeProposed proposed) {
            return proposed.getMetadata();
        }
        if (payload instanceof io.factfleet.schema.OperatorUpgradeProposal attributed) {
            return attributed.getProposal().getMetadata();
        }
        return null;
    }

    private static <V> ReadOnlyKeyValueStore<String, V> store(final StoreSource stores, final ReducerStores.Store<String, V> spec) {
        return stores.store(spec.name());
    }
}
