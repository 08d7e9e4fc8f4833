package io.factfleet.core;

import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AdminReplacementStatement;
import io.factfleet.schema.AuthorityCreated;
import io.factfleet.schema.CacheInvalidated;
import io.factfleet.schema.DeviceEnrolled;
import io.factfleet.schema.DeviceEnrolment;
import io.factfleet.schema.DeviceMetadata;
import io.factfleet.schema.DeviceRemoval;
import io.factfleet.schema.DeviceRemoved;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactBody;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.JournalEntry;
import io.factfleet.schema.KeyRotated;
import io.factfleet.schema.KeyRotation;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutTransition;
import io.factfleet.schema.OperatorRolloutTransition;
import io.factfleet.schema.OperatorUpgradeProposal;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotApproved;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.UpgradeActivated;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.UpgradeReadiness;
import io.factfleet.schema.state.ActivatedPackage;
import io.factfleet.schema.state.ActivationClaim;
import io.factfleet.schema.state.ApprovalRecord;
import io.factfleet.schema.state.CacheFloor;
import io.factfleet.schema.state.DeviceState;
import io.factfleet.schema.state.FormerMember;
import io.factfleet.schema.state.IgnoredFact;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ProposalClosure;
import io.factfleet.schema.state.ProposalState;
import io.factfleet.schema.state.ProposalStatus;
import io.factfleet.schema.state.ReadinessRecord;
import io.factfleet.schema.state.ReadyReport;
import io.factfleet.schema.state.RetiredAdmin;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RolloutTransitionRecord;
import io.factfleet.schema.state.RosterEntry;
import io.factfleet.schema.state.RosterEpoch;
import io.factfleet.schema.state.SnapshotRef;
import io.factfleet.schema.state.UpgradeState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The one pure reduction of an authority's facts into {@link MaintenanceState}.
 *
 * <p>The state is a function of the <em>set</em> of facts: {@link #reduce} deduplicates by fact id,
 * sorts into canonical order (identity epoch, genesis first, then fact id) and folds. Every part of
 * the state except the roster chain is a join-semilattice (set union, max, last writer by
 * {@code (issuedAtMillis, factId)}), and derived fields are recomputed from those sets by one
 * {@code finish} pass, so {@link #apply} can fold facts incrementally in any arrival order and
 * still reach the same bytes. The roster chain is the one order-sensitive part: when a late fact
 * would change it (an earlier genesis, a competing roster change that sorts first, or a fact that
 * was waiting for an epoch that now exists), {@link #apply} answers {@link Step.NeedsRefold} and the
 * caller reduces the full set again.
 *
 * <p>The reducer trusts that each fact's envelope signature was verified once at ingest; it
 * re-checks signer membership at the fact's epoch (cheap) and verifies the threshold certificates
 * and approval signatures that decide epochs, snapshots and upgrades.
 */
public final class Reducer {
    /** Reasons a fact in the set is ignored by the reduction; retryable ones may apply after a refold. */
    public static final String NOT_CREATED = "NOT_CREATED";
    public static final String EPOCH_AHEAD = "EPOCH_AHEAD";

    /** Canonical order of facts: identity epoch, genesis first, then fact id (unsigned bytes). */
    public static final Comparator<FactEnvelope> CANONICAL_ORDER = Comparator
            .comparingLong((FactEnvelope f) -> f.getBody().getIdentityEpoch())
            .thenComparing(f -> f.getBody().getPayload() instanceof AuthorityCreated ? 0 : 1)
            .thenComparing(f -> f.getFactId(), Reducer::compareUnsigned);

    private final SignatureVerifier verifier;

    public Reducer(final SignatureVerifier verifier) {
        this.verifier = verifier;
    }

    /** A reducer verifying certificates with BouncyCastle. */
    public static Reducer standard() {
        return new Reducer(SignatureVerifier.bouncyCastle());
    }

    /** The outcome of folding one more fact into a state. */
    public sealed interface Step permits Step.Applied, Step.NeedsRefold {
        /** The fact was folded in (or recorded as ignored); the state is finished. */
        record Applied(MaintenanceState state) implements Step {
        }

        /** The fact reorders the roster chain: reduce the full fact set again. */
        record NeedsRefold(String why) implements Step {
        }
    }

    public static MaintenanceState empty(final String authorityId) {
        return MaintenanceState.newBuilder()
                .setAuthorityId(authorityId)
                .setCreated(false)
                .setIdentityEpoch(-1)
                .setSnapshotEpoch(-1)
                .setThreshold(0)
                .setAdminKeyId("")
                .setAdminPublicKey(ByteBuffer.allocate(0))
                .setRoster(new ArrayList<>())
                .setRosterHistory(new ArrayList<>())
                .setRetiredAdmins(new ArrayList<>())
                .setLastSnapshot(null)
                .setProposals(new ArrayList<>())
                .setApprovals(new ArrayList<>())
                .setClosures(new ArrayList<>())
                .setCacheFloors(new ArrayList<>())
                .setUpgrades(new ArrayList<>())
                .setReadiness(new ArrayList<>())
                .setActivated(new ArrayList<>())
                .setDevices(new ArrayList<>())
                .setFactCount(0)
                .setJournalEntryCount(0)
                .setIgnored(new ArrayList<>())
                .setReadyReports(new ArrayList<>())
                .setActivationClaims(new ArrayList<>())
                .setRolloutTransitions(new ArrayList<>())
                .setRosterEpochs(new ArrayList<>())
                .setFormerMembers(new ArrayList<>())
                .build();
    }

    /** Reduces a set of facts (any order, duplicates allowed) into the authority's state. */
    public MaintenanceState reduce(final String authorityId, final Iterable<FactEnvelope> facts) {
        return foldInCanonicalOrder(empty(authorityId), facts, Long.MIN_VALUE);
    }

    /**
     * Continues a reduction from {@code base}, the state of every fact below some identity epoch E
     * (a snapshot), with {@code tail}, facts at epoch E or above: the result equals reducing all of
     * them at once, byte for byte, because the reduction folds in canonical (epoch-first) order and
     * its finishing pass is a projection further folds commute with. {@code base} is not modified.
     *
     * @throws IllegalArgumentException if a tail fact is below {@code cutEpoch}: after a snapshot such
     *                                  facts are no longer reducible without the pruned facts
     */
    public MaintenanceState reduceFrom(final MaintenanceState base, final long cutEpoch, final Iterable<FactEnvelope> tail) {
        return foldInCanonicalOrder(MaintenanceState.newBuilder(base).build(), tail, cutEpoch);
    }

    /** Deduplicates the state's authority's facts, sorts them canonically, folds them into {@code state} and finishes it. */
    private MaintenanceState foldInCanonicalOrder(final MaintenanceState state, final Iterable<FactEnvelope> facts, final long cutEpoch) {
        final TreeMap<FactEnvelope, FactEnvelope> sorted = new TreeMap<>(CANONICAL_ORDER);
        for (final FactEnvelope fact : facts) {
            if (fact.getBody().getIdentityEpoch() < cutEpoch) {
                throw new IllegalArgumentException("fact " + Facts.idHex(fact) + " is at epoch " + fact.getBody().getIdentityEpoch()
                        + ", below the snapshot's epoch " + cutEpoch);
            }
            if (fact.getBody().getAuthorityId().equals(state.getAuthorityId())) {
                sorted.putIfAbsent(fact, fact);
            }
        }
        for (final FactEnvelope fact : sorted.keySet()) {
            final String refold = fold(state, fact);
            if (refold != null) {
                throw new IllegalStateException("canonical order cannot require a refold: " + refold);
            }
        }
        finish(state);
        return state;
    }

    /**
     * Folds one fact not yet in the state's fact set into {@code state}, which is modified in place.
     * The caller guarantees the fact is new (not a duplicate id). On {@link Step.NeedsRefold} the
     * state must be discarded.
     */
    public Step apply(final MaintenanceState state, final FactEnvelope fact) {
        final String refold = fold(state, fact);
        if (refold != null) {
            return new Step.NeedsRefold(refold);
        }
        finish(state);
        return new Step.Applied(state);
    }

    /**
     * Folds one new fact into {@code state} without the finishing pass: the state's sets grow, its
     * derived fields (counts, verdicts, rollouts, sort order) are left as they were. {@link #finished}
     * derives them. {@link KeyedState} folds this way into a partial state that holds only the entries
     * the fact touches; the fold reads only the roster, the epochs and the retired admins, never a
     * derived field, so folding raw and finishing once equals {@link #apply} fact by fact.
     */
    public Step foldRaw(final MaintenanceState state, final FactEnvelope fact) {
        final String refold = fold(state, fact);
        return refold != null ? new Step.NeedsRefold(refold) : new Step.Applied(state);
    }

    /** Derives every derived field of {@code state} (modified in place and returned): the finishing pass of {@link #apply}. */
    public static MaintenanceState finished(final MaintenanceState state) {
        finish(state);
        return state;
    }

    // ------------------------------------------------------------------------------------------

    /** Folds one fact; returns a reason when the full set must be reduced again, else null. */
    private String fold(final MaintenanceState state, final FactEnvelope fact) {
        final FactBody body = fact.getBody();
        final String id = Facts.idHex(fact);
        if (!body.getAuthorityId().equals(state.getAuthorityId())) {
            throw new IllegalArgumentException("fact " + id + " is for authority " + body.getAuthorityId() + ", not " + state.getAuthorityId());
        }
        state.setFactCount(state.getFactCount() + 1);
        final Object payload = body.getPayload();
        if (payload instanceof AuthorityCreated created) {
            return genesis(state, body, id, created);
        }
        if (!state.getCreated()) {
            ignore(state, id, NOT_CREATED);
            return null;
        }
        final long epoch = body.getIdentityEpoch();
        if (epoch > state.getIdentityEpoch()) {
            ignore(state, id, EPOCH_AHEAD);
            return null;
        }
        final RosterAtEpoch roster = Rosters.at(state, epoch).orElse(null);
        if (roster == null) {
            ignore(state, id, "UNKNOWN_EPOCH: no roster is known for epoch " + epoch);
            return null;
        }
        final Rosters.Signer signer = Rosters.signerAt(state, roster, body.getSignerKeyId(), epoch);
        if (signer instanceof Rosters.RetiredAdminSigner retired) {
            ignore(state, id, "RETIRED_ADMIN: key " + body.getSignerKeyId() + " was retired from epoch " + retired.retired().getActivationEpoch());
            return null;
        }
        if (signer instanceof Rosters.Unknown) {
            ignore(state, id, "SIGNER_NOT_ROSTERED: key " + body.getSignerKeyId() + " is not on the roster at epoch " + epoch);
            return null;
        }
        if (signer instanceof Rosters.Member member && !member.entry().getDeviceId().equals(body.getDeviceId())) {
            ignore(state, id, "DEVICE_KEY_MISMATCH: key " + body.getSignerKeyId() + " belongs to device " + member.entry().getDeviceId());
            return null;
        }
        if (payload instanceof DeviceEnrolled enrolled) {
            final DeviceEnrolment s = enrolled.getStatement();
            return rosterChange(state, body, id, s.getAuthorityId(), s.getFromEpoch(), s, enrolled.getCertificate(), current -> {
                if (hasDevice(current, s.getDeviceId())) {
                    return "ALREADY_ENROLLED: device " + s.getDeviceId() + " is already on the roster";
                }
                return checkPublicKey(current, Canonical.array(s.getPublicKey()));
            }, current -> {
                final List<RosterEntry> members = new ArrayList<>(current.getMembers());
                final byte[] key = Canonical.array(s.getPublicKey());
                members.add(new RosterEntry(s.getDeviceId(), Ed25519Keys.keyId(key), ByteBuffer.wrap(key), s.getFromEpoch() + 1));
                return next(current, members, s.getNewThreshold(), id);
            }, null, null);
        }
        if (payload instanceof DeviceRemoved removed) {
            final DeviceRemoval s = removed.getStatement();
            return rosterChange(state, body, id, s.getAuthorityId(), s.getFromEpoch(), s, removed.getCertificate(),
                    current -> hasDevice(current, s.getDeviceId()) ? null : "NOT_ENROLLED: device " + s.getDeviceId() + " is not on the roster",
                    current -> {
                        final List<RosterEntry> members = new ArrayList<>(current.getMembers());
                        members.removeIf(m -> m.getDeviceId().equals(s.getDeviceId()));
                        return next(current, members, s.getNewThreshold(), id);
                    }, null, null);
        }
        if (payload instanceof KeyRotated rotated) {
            final KeyRotation s = rotated.getStatement();
            return rosterChange(state, body, id, s.getAuthorityId(), s.getFromEpoch(), s, rotated.getCertificate(), current -> {
                if (!hasDevice(current, s.getDeviceId())) {
                    return "NOT_ENROLLED: device " + s.getDeviceId() + " is not on the roster";
                }
                return checkPublicKey(current, Canonical.array(s.getNewPublicKey()));
            }, current -> {
                final List<RosterEntry> members = new ArrayList<>();
                final byte[] key = Canonical.array(s.getNewPublicKey());
                for (final RosterEntry m : current.getMembers()) {
                    members.add(m.getDeviceId().equals(s.getDeviceId())
                            ? new RosterEntry(m.getDeviceId(), Ed25519Keys.keyId(key), ByteBuffer.wrap(key), s.getFromEpoch() + 1)
                            : m);
                }
                return next(current, members, null, id);
            }, rotated.getNewRosterCertificate(), null);
        }
        if (payload instanceof EpochAdvanced advanced) {
            return rosterChange(state, body, id, advanced.getStatement().getAuthorityId(), advanced.getStatement().getFromEpoch(),
                    advanced.getStatement(), advanced.getCertificate(), current -> null,
                    current -> next(current, current.getMembers(), null, id), null, null);
        }
        if (payload instanceof AdminReplacement replacement) {
            final AdminReplacementStatement s = replacement.getStatement();
            return rosterChange(state, body, id, s.getAuthorityId(), s.getFromEpoch(), s, replacement.getCertificate(), current -> {
                if (!current.getAdminKeyId().equals(s.getOldAdminKeyId())) {
                    return "NOT_CURRENT_ADMIN: key " + s.getOldAdminKeyId() + " is not the admin at epoch " + current.getEpoch();
                }
                if (s.getActivationEpoch() <= s.getFromEpoch()) {
                    return "INVALID_ACTIVATION_EPOCH: activation epoch " + s.getActivationEpoch() + " must be after epoch " + s.getFromEpoch();
                }
                return Canonical.array(s.getNewAdminPublicKey()).length == Ed25519Keys.PUBLIC_KEY_BYTES ? null
                        : "INVALID_PUBLIC_KEY: an Ed25519 public key is 32 bytes";
            }, current -> {
                final RosterAtEpoch n = next(current, current.getMembers(), null, id);
                final byte[] admin = Canonical.array(s.getNewAdminPublicKey());
                n.setAdminKeyId(Ed25519Keys.keyId(admin));
                n.setAdminPublicKey(ByteBuffer.wrap(admin));
                return n;
            }, null, () -> state.getRetiredAdmins().add(new RetiredAdmin(s.getOldAdminKeyId(), s.getActivationEpoch())));
        }
        if (payload instanceof RosterBatchChanged batch) {
            final RosterBatchChange s = batch.getStatement();
            return rosterChange(state, body, id, s.getAuthorityId(), s.getFromEpoch(), s, batch.getCertificate(),
                    current -> RosterBatches.problem(current, s), current -> next(current, RosterBatches.apply(current, s), s.getNewThreshold(), id),
                    null, null);
        }
        if (payload instanceof SnapshotProposed proposed) {
            proposal(state, body, id, proposed);
        } else if (payload instanceof SnapshotApproved approved) {
            approval(state, body, id, approved);
        } else if (payload instanceof SnapshotCompleted completed) {
            completion(state, id, completed);
        } else if (payload instanceof SnapshotAborted aborted) {
            state.getClosures().add(new ProposalClosure(aborted.getProposalId(), ProposalStatus.ABORTED, aborted.getReason(), id));
        } else if (payload instanceof CacheInvalidated invalidated) {
            cacheInvalidation(state, invalidated);
        } else if (payload instanceof UpgradeProposed upgrade) {
            upgrade(state, body, id, upgrade, null);
        } else if (payload instanceof OperatorUpgradeProposal attributed) {
            upgrade(state, body, id, attributed.getProposal(), attributed.getOperator());
        } else if (payload instanceof UpgradeReadiness readiness) {
            readiness(state, body, id, readiness);
        } else if (payload instanceof UpgradeActivated activated) {
            activation(state, id, activated);
        } else if (payload instanceof RolloutTransition transition) {
            rolloutTransition(state, body, id, transition, null);
        } else if (payload instanceof OperatorRolloutTransition attributed) {
            rolloutTransition(state, body, id, attributed.getTransition(), attributed.getOperator());
        } else if (payload instanceof DeviceMetadata metadata) {
            deviceMetadata(state, body, id, metadata);
        } else if (payload instanceof JournalEntry) {
            state.setJournalEntryCount(state.getJournalEntryCount() + 1);
        } else {
            ignore(state, id, "UNKNOWN_KIND: " + payload.getClass().getSimpleName());
        }
        return null;
    }

    private String genesis(final MaintenanceState state, final FactBody body, final String id, final AuthorityCreated created) {
        if (state.getCreated()) {
            final String existing = state.getRosterEpochs().get(0).getCauseFactId();
            if (id.compareTo(existing) < 0) {
                return "a genesis fact " + id + " sorts before the applied genesis " + existing;
            }
            ignore(state, id, "DUPLICATE_GENESIS: authority already created by fact " + existing);
            return null;
        }
        if (body.getIdentityEpoch() != 0) {
            ignore(state, id, "INVALID_GENESIS: an AuthorityCreated fact must be at identity epoch 0");
            return null;
        }
        final List<RosterEntry> members = new ArrayList<>();
        final Set<String> deviceIds = new HashSet<>();
        final Set<String> keyIds = new HashSet<>();
        for (final RosterMember member : created.getMembers()) {
            final byte[] key = Canonical.array(member.getPublicKey());
            if (key.length != Ed25519Keys.PUBLIC_KEY_BYTES || !deviceIds.add(member.getDeviceId()) || !keyIds.add(Ed25519Keys.keyId(key))) {
                ignore(state, id, "INVALID_GENESIS: members must have distinct device ids and distinct 32-byte Ed25519 keys");
                return null;
            }
            members.add(new RosterEntry(member.getDeviceId(), Ed25519Keys.keyId(key), ByteBuffer.wrap(key), 0L));
        }
        final byte[] admin = Canonical.array(created.getAdminPublicKey());
        if (created.getThreshold() < 1 || created.getThreshold() > members.size() || admin.length != Ed25519Keys.PUBLIC_KEY_BYTES) {
            ignore(state, id, "INVALID_GENESIS: threshold must be between 1 and the member count and the admin key 32 bytes");
            return null;
        }
        members.sort(Comparator.comparing(RosterEntry::getDeviceId));
        final RosterAtEpoch first = new RosterAtEpoch(0L, created.getThreshold(), members, Ed25519Keys.keyId(admin), ByteBuffer.wrap(admin), id);
        state.setCreated(true);
        adopt(state, first);
        return hasRetryable(state) ? "facts waiting for the authority's genesis can now apply" : null;
    }

    /**
     * A certified roster change from {@code fromEpoch} to {@code fromEpoch + 1}. The first valid
     * change in canonical order wins the epoch; later ones are superseded.
     */
    private String rosterChange(final MaintenanceState state, final FactBody body, final String id, final String statementAuthority,
                                final long fromEpoch, final org.apache.avro.specific.SpecificRecord statement,
                                final ThresholdCertificate certificate, final Function<RosterAtEpoch, String> precondition,
                                final Function<RosterAtEpoch, RosterAtEpoch> nextRoster, final ThresholdCertificate newRosterCertificate,
                                final Runnable onApplied) {
        if (!statementAuthority.equals(state.getAuthorityId())) {
            ignore(state, id, "AUTHORITY_MISMATCH: the statement names authority " + statementAuthority);
            return null;
        }
        if (fromEpoch != body.getIdentityEpoch()) {
            ignore(state, id, "EPOCH_MISMATCH: the statement is from epoch " + fromEpoch + " but the fact is at epoch " + body.getIdentityEpoch());
            return null;
        }
        // Validity depends only on the roster of the change's own epoch, so a change is judged the
        // same way whether or not a competitor already advanced that epoch.
        final RosterAtEpoch current = Rosters.at(state, fromEpoch).orElseThrow();
        final String problem = precondition.apply(current);
        if (problem != null) {
            ignore(state, id, problem);
            return null;
        }
        final ThresholdCertificates.Check check = ThresholdCertificates.verify(certificate, statement, current, verifier);
        if (!check.valid()) {
            ignore(state, id, "CERTIFICATE_INVALID: " + check.describe());
            return null;
        }
        final RosterAtEpoch next = nextRoster.apply(current);
        if (next.getThreshold() < 1 || next.getThreshold() > next.getMembers().size()) {
            ignore(state, id, "INVALID_THRESHOLD: threshold " + next.getThreshold() + " with " + next.getMembers().size() + " members");
            return null;
        }
        if (newRosterCertificate != null) {
            final ThresholdCertificates.Check newCheck = ThresholdCertificates.verify(newRosterCertificate, statement, next, verifier);
            if (!newCheck.valid()) {
                ignore(state, id, "CERTIFICATE_INVALID: new roster: " + newCheck.describe());
                return null;
            }
        }
        if (fromEpoch < state.getIdentityEpoch()) {
            final String cause = Rosters.at(state, fromEpoch + 1).map(RosterAtEpoch::getCauseFactId).orElse("");
            if (id.compareTo(cause) < 0) {
                return "roster change " + id + " sorts before " + cause + ", which advanced epoch " + fromEpoch;
            }
            ignore(state, id, "SUPERSEDED: epoch " + fromEpoch + " was already advanced by fact " + cause);
            return null;
        }
        if (onApplied != null) {
            onApplied.run();
        }
        retireLeavers(state, current, next);
        adopt(state, next);
        return hasRetryable(state) ? "facts waiting for epoch " + next.getEpoch() + " can now apply" : null;
    }

    private static RosterAtEpoch next(final RosterAtEpoch current, final List<RosterEntry> members, final Integer newThreshold, final String causeId) {
        final List<RosterEntry> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(RosterEntry::getDeviceId));
        return new RosterAtEpoch(current.getEpoch() + 1, newThreshold != null ? newThreshold : current.getThreshold(),
                sorted, current.getAdminKeyId(), current.getAdminPublicKey(), causeId);
    }

    /** Keys on the current roster that the next one lacks become former members, rostered until the next epoch. */
    private static void retireLeavers(final MaintenanceState state, final RosterAtEpoch current, final RosterAtEpoch next) {
        final Set<String> staying = new HashSet<>();
        for (final RosterEntry m : next.getMembers()) {
            staying.add(m.getDeviceId() + "\0" + m.getKeyId());
        }
        for (final RosterEntry m : current.getMembers()) {
            if (!staying.contains(m.getDeviceId() + "\0" + m.getKeyId())) {
                state.getFormerMembers().add(new FormerMember(m.getDeviceId(), m.getKeyId(), m.getPublicKey(), m.getSinceEpoch(), next.getEpoch()));
            }
        }
    }

    /** Makes {@code roster} the current one: its header joins the chain, its members become the roster. */
    private static void adopt(final MaintenanceState state, final RosterAtEpoch roster) {
        state.getRosterEpochs().add(new RosterEpoch(roster.getEpoch(), roster.getThreshold(), roster.getAdminKeyId(), roster.getAdminPublicKey(),
                roster.getCauseFactId(), roster.getMembers().size()));
        state.setIdentityEpoch(roster.getEpoch());
        state.setThreshold(roster.getThreshold());
        state.setRoster(new ArrayList<>(roster.getMembers()));
        state.setAdminKeyId(roster.getAdminKeyId());
        state.setAdminPublicKey(roster.getAdminPublicKey());
    }

    private static boolean hasDevice(final RosterAtEpoch roster, final String deviceId) {
        return roster.getMembers().stream().anyMatch(m -> m.getDeviceId().equals(deviceId));
    }

    private static String checkPublicKey(final RosterAtEpoch roster, final byte[] key) {
        if (key.length != Ed25519Keys.PUBLIC_KEY_BYTES) {
            return "INVALID_PUBLIC_KEY: an Ed25519 public key is 32 bytes, got " + key.length;
        }
        return Rosters.memberByKeyId(roster.getMembers(), Ed25519Keys.keyId(key)) != null
                ? "KEY_IN_USE: key " + Ed25519Keys.keyId(key) + " already belongs to a device" : null;
    }

    private static void proposal(final MaintenanceState state, final FactBody body, final String id, final SnapshotProposed p) {
        final ProposalState candidate = new ProposalState(p.getProposalId(), p.getProposer(), p.getTargetEpoch(), p.getPrefixDigest(),
                p.getPrefixFactCount(), id, ProposalStatus.OPEN, 0, null);
        final List<ProposalState> proposals = state.getProposals();
        for (int i = 0; i < proposals.size(); i++) {
            if (proposals.get(i).getProposalId().equals(p.getProposalId())) {
                // Two proposals under one id: the smaller fact id wins, whatever the arrival order.
                if (id.compareTo(proposals.get(i).getFactId()) < 0) {
                    proposals.set(i, candidate);
                }
                return;
            }
        }
        proposals.add(candidate);
    }

    private void approval(final MaintenanceState state, final FactBody body, final String id, final SnapshotApproved a) {
        final SnapshotStatement s = a.getStatement();
        if (!s.getAuthorityId().equals(state.getAuthorityId())) {
            ignore(state, id, "AUTHORITY_MISMATCH: the approval names authority " + s.getAuthorityId());
            return;
        }
        final RosterEntry approver = Rosters.at(state, body.getIdentityEpoch())
                .map(r -> Rosters.memberByKeyId(r.getMembers(), body.getSignerKeyId())).orElse(null);
        if (approver == null) {
            ignore(state, id, "SIGNER_NOT_ROSTERED: an approval must be signed by a rostered device");
            return;
        }
        final boolean signatureValid = verifier.verify(Canonical.array(approver.getPublicKey()), ThresholdCertificates.message(s),
                Canonical.array(a.getApproverSignature()));
        state.getApprovals().add(new ApprovalRecord(s.getProposalId(), body.getDeviceId(), body.getSignerKeyId(), s.getEpoch(),
                s.getDigest(), id, signatureValid, false, null));
    }

    private void completion(final MaintenanceState state, final String id, final SnapshotCompleted c) {
        final SnapshotStatement s = c.getStatement();
        if (!s.getAuthorityId().equals(state.getAuthorityId())) {
            ignore(state, id, "AUTHORITY_MISMATCH: the completion names authority " + s.getAuthorityId());
            return;
        }
        final RosterAtEpoch roster = Rosters.at(state, s.getEpoch()).orElse(null);
        if (roster == null) {
            ignore(state, id, "UNKNOWN_EPOCH: the snapshot's epoch " + s.getEpoch() + " has no roster");
            return;
        }
        final ThresholdCertificates.Check check = ThresholdCertificates.verify(c.getCertificate(), s, roster, verifier);
        if (!check.valid()) {
            ignore(state, id, "CERTIFICATE_INVALID: " + check.describe());
            return;
        }
        state.getClosures().add(new ProposalClosure(s.getProposalId(), ProposalStatus.COMPLETED,
                "certified by " + check.distinctValidSigners() + " of " + check.threshold() + " required", id));
        final SnapshotRef candidate = new SnapshotRef(s.getProposalId(), s.getEpoch(), s.getDigest(), c.getBlobCid(), c.getFactCount(), id);
        final SnapshotRef current = state.getLastSnapshot();
        // The latest snapshot: the highest epoch, then the longest prefix (successive snapshots often share an
        // epoch), then the smaller fact id; a maximum, so the order facts arrive in does not matter.
        if (current == null || current.getEpoch() < candidate.getEpoch()
                || (current.getEpoch() == candidate.getEpoch() && current.getFactCount() < candidate.getFactCount())
                || (current.getEpoch() == candidate.getEpoch() && current.getFactCount() == candidate.getFactCount()
                    && current.getFactId().compareTo(id) > 0)) {
            state.setLastSnapshot(candidate);
        }
    }

    private static void cacheInvalidation(final MaintenanceState state, final CacheInvalidated invalidated) {
        final Map<String, CacheFloor> floors = new HashMap<>();
        for (final CacheFloor floor : state.getCacheFloors()) {
            floors.put(floor.getKey(), floor);
        }
        for (final String key : invalidated.getKeys()) {
            final CacheFloor floor = floors.get(key);
            if (floor == null) {
                final CacheFloor created = new CacheFloor(key, invalidated.getEpochFloor());
                floors.put(key, created);
                state.getCacheFloors().add(created);
            } else if (floor.getEpochFloor() < invalidated.getEpochFloor()) {
                // Floors only rise.
                floor.setEpochFloor(invalidated.getEpochFloor());
            }
        }
    }

    private void upgrade(final MaintenanceState state, final FactBody body, final String id, final UpgradeProposed u, final String proposedBy) {
        final UpgradeMetadata m = u.getMetadata();
        if (!m.getAuthorityId().equals(state.getAuthorityId())) {
            ignore(state, id, "AUTHORITY_MISMATCH: the upgrade metadata names authority " + m.getAuthorityId());
            return;
        }
        final UpgradeChecks.Verdict verdict = UpgradeChecks.proposal(state, body, u, verifier);
        if (!verdict.accepted()) {
            // CERTIFICATE_INVALID first: ingest maps this prefix to its rejection code.
            ignore(state, id, "CERTIFICATE_INVALID: " + verdict.reason());
            return;
        }
        final UpgradeState candidate = UpgradeState.newBuilder()
                .setProposalId(m.getProposalId()).setPackageId(m.getPackageId()).setVersion(m.getVersion()).setKind(m.getKind())
                .setActivationFence(m.getActivationFence()).setExpiresAtMillis(m.getExpiresAtMillis()).setFactId(id)
                .setReadyCount(0).setNotReadyCount(0).setRejectedCount(0).setActivated(false)
                .setProposalEpoch(body.getIdentityEpoch()).setProposedAtMillis(body.getIssuedAtMillis())
                .setPlan(io.factfleet.schema.RolloutPlan.newBuilder(m.getPlan()).build())
                .setProposedBy(proposedBy)
                .build();
        final List<UpgradeState> upgrades = state.getUpgrades();
        for (int i = 0; i < upgrades.size(); i++) {
            if (upgrades.get(i).getProposalId().equals(m.getProposalId())) {
                if (id.compareTo(upgrades.get(i).getFactId()) < 0) {
                    upgrades.set(i, candidate);
                }
                return;
            }
        }
        upgrades.add(candidate);
    }

    private static void readiness(final MaintenanceState state, final FactBody body, final String id, final UpgradeReadiness r) {
        final UpgradeChecks.Verdict signer = UpgradeChecks.device(state, body);
        if (!signer.accepted()) {
            ignore(state, id, signer.reason());
            return;
        }
        final ReadinessRecord candidate = ReadinessRecord.newBuilder()
                .setProposalId(r.getProposalId()).setDeviceId(body.getDeviceId()).setStatus(r.getStatus()).setReason(r.getReason())
                .setIssuedAtMillis(body.getIssuedAtMillis()).setFactId(id)
                .setEpoch(body.getIdentityEpoch()).setPackageId(r.getPackageId()).setVersion(r.getVersion())
                .build();
        if (r.getStatus() == ReadinessStatus.READY) {
            readyReport(state, new ReadyReport(r.getProposalId(), body.getDeviceId(), body.getIdentityEpoch(), r.getPackageId(),
                    r.getVersion(), body.getIssuedAtMillis(), id));
        }
        final List<ReadinessRecord> all = state.getReadiness();
        for (int i = 0; i < all.size(); i++) {
            final ReadinessRecord existing = all.get(i);
            if (existing.getProposalId().equals(r.getProposalId()) && existing.getDeviceId().equals(body.getDeviceId())) {
                if (later(candidate.getIssuedAtMillis(), id, existing.getIssuedAtMillis(), existing.getFactId())) {
                    all.set(i, candidate);
                }
                return;
            }
        }
        all.add(candidate);
    }

    /** Each device's earliest READY report per proposal: READY reports only accumulate, so "ever ready" is monotone. */
    private static void readyReport(final MaintenanceState state, final ReadyReport candidate) {
        final List<ReadyReport> all = state.getReadyReports();
        for (int i = 0; i < all.size(); i++) {
            final ReadyReport existing = all.get(i);
            if (existing.getProposalId().equals(candidate.getProposalId()) && existing.getDeviceId().equals(candidate.getDeviceId())) {
                if (later(existing.getIssuedAtMillis(), existing.getFactId(), candidate.getIssuedAtMillis(), candidate.getFactId())) {
                    all.set(i, candidate);
                }
                return;
            }
        }
        all.add(candidate);
    }

    /**
     * Records an activation claim. Whether it is honoured is derived in {@link #finish} from the
     * fact set (UpgradeChecks.activation): any rostered signer may claim, only justified claims count.
     */
    private static void activation(final MaintenanceState state, final String id, final UpgradeActivated a) {
        state.getActivationClaims().add(ActivationClaim.newBuilder().setProposalId(a.getProposalId()).setPackageId(a.getPackageId())
                .setToVersion(a.getToVersion()).setActivationFence(a.getActivationFence()).setFactId(id).build());
    }

    private static void rolloutTransition(final MaintenanceState state, final FactBody body, final String id, final RolloutTransition t,
                                          final String operator) {
        final UpgradeChecks.Verdict admin = UpgradeChecks.admin(state, body);
        if (!admin.accepted()) {
            ignore(state, id, admin.reason());
            return;
        }
        state.getRolloutTransitions().add(RolloutTransitionRecord.newBuilder().setProposalId(t.getProposalId())
                .setWaveIndex(t.getWaveIndex()).setAction(t.getAction()).setReason(t.getReason())
                .setIssuedAtMillis(body.getIssuedAtMillis()).setFactId(id).setOperator(operator).build());
    }

    private static void deviceMetadata(final MaintenanceState state, final FactBody body, final String id, final DeviceMetadata m) {
        final DeviceState candidate = new DeviceState(body.getDeviceId(), new ArrayList<>(m.getInstalled()),
                new ArrayList<>(m.getSupportedPackages()), m.getUpgradePolicy(), body.getIssuedAtMillis(), id);
        final List<DeviceState> all = state.getDevices();
        for (int i = 0; i < all.size(); i++) {
            final DeviceState existing = all.get(i);
            if (existing.getDeviceId().equals(body.getDeviceId())) {
                if (later(candidate.getIssuedAtMillis(), id, existing.getIssuedAtMillis(), existing.getFactId())) {
                    all.set(i, candidate);
                }
                return;
            }
        }
        all.add(candidate);
    }

    private static boolean later(final long atA, final String idA, final long atB, final String idB) {
        return atA > atB || (atA == atB && idA.compareTo(idB) > 0);
    }

    private static void ignore(final MaintenanceState state, final String id, final String reason) {
        state.getIgnored().add(new IgnoredFact(id, reason));
    }

    private static boolean hasRetryable(final MaintenanceState state) {
        for (final IgnoredFact ignored : state.getIgnored()) {
            if (ignored.getReason().equals(NOT_CREATED) || ignored.getReason().equals(EPOCH_AHEAD)) {
                return true;
            }
        }
        return false;
    }

    // ---- derived fields and canonical ordering ------------------------------------------------

    private static void finish(final MaintenanceState state) {
        final Map<String, ProposalStatus> closed = new HashMap<>();
        final Map<String, String> closedReason = new HashMap<>();
        state.getClosures().sort(Comparator.comparing(ProposalClosure::getProposalId).thenComparing(ProposalClosure::getFactId));
        for (final ProposalClosure closure : state.getClosures()) {
            final ProposalStatus before = closed.getOrDefault(closure.getProposalId(), ProposalStatus.OPEN);
            if (closure.getStatus().ordinal() > before.ordinal()) {
                closed.put(closure.getProposalId(), closure.getStatus());
                closedReason.put(closure.getProposalId(), closure.getReason());
            }
        }
        final Map<String, ProposalState> proposals = new HashMap<>();
        for (final ProposalState p : state.getProposals()) {
            proposals.put(p.getProposalId(), p);
            p.setStatus(closed.getOrDefault(p.getProposalId(), ProposalStatus.OPEN));
            p.setClosedReason(closedReason.get(p.getProposalId()));
            p.setCountedApprovals(0);
        }
        state.getApprovals().sort(Comparator.comparing(ApprovalRecord::getProposalId).thenComparing(ApprovalRecord::getFactId));
        final Set<String> countedKeys = new HashSet<>();
        for (final ApprovalRecord a : state.getApprovals()) {
            final ProposalState p = proposals.get(a.getProposalId());
            final String problem;
            if (!a.getSignatureValid()) {
                problem = "BAD_APPROVER_SIGNATURE: the approver's signature over the statement does not verify";
            } else if (p == null) {
                problem = "UNKNOWN_PROPOSAL: no proposal " + a.getProposalId() + " is known";
            } else if (a.getEpoch() != p.getTargetEpoch()) {
                problem = "WRONG_EPOCH: approval for epoch " + a.getEpoch() + ", the proposal targets epoch " + p.getTargetEpoch();
            } else if (!a.getDigest().equals(p.getPrefixDigest())) {
                problem = "DIGEST_MISMATCH: the approved digest differs from the proposal's";
            } else if (Rosters.at(state, a.getEpoch()).map(r -> Rosters.memberByKeyId(r.getMembers(), a.getKeyId())).orElse(null) == null) {
                problem = "SIGNER_NOT_ROSTERED: key " + a.getKeyId() + " is not on the roster at epoch " + a.getEpoch();
            } else if (!countedKeys.add(a.getProposalId() + "\0" + a.getKeyId())) {
                problem = "DUPLICATE_APPROVER: key " + a.getKeyId() + " already approved this proposal";
            } else {
                problem = null;
            }
            a.setCounted(problem == null);
            a.setProblem(problem);
            if (problem == null) {
                p.setCountedApprovals(p.getCountedApprovals() + 1);
            }
        }
        state.getProposals().sort(Comparator.comparing(ProposalState::getProposalId));

        finishUpgrades(state);
        state.getDevices().sort(Comparator.comparing(DeviceState::getDeviceId));
        state.getCacheFloors().sort(Comparator.comparing(CacheFloor::getKey));
        state.getRetiredAdmins().sort(Comparator.comparing(RetiredAdmin::getKeyId).thenComparingLong(RetiredAdmin::getActivationEpoch));
        state.getRosterEpochs().sort(Comparator.comparingLong(RosterEpoch::getEpoch));
        state.getFormerMembers().sort(Comparator.comparing(FormerMember::getDeviceId).thenComparingLong(FormerMember::getSinceEpoch)
                .thenComparing(FormerMember::getKeyId));
        state.getIgnored().sort(Comparator.comparing(IgnoredFact::getFactId).thenComparing(IgnoredFact::getReason));
        state.setSnapshotEpoch(state.getLastSnapshot() == null ? -1 : state.getLastSnapshot().getEpoch());
    }

    /**
     * Upgrades, readiness, activations and rollouts, derived from their sets: a replayed version is
     * refused; readiness counts when it matches its proposal and is not older than it; a claim is
     * honoured when justified (UpgradeChecks.activation); per package the highest honoured version
     * is activated; an unactivated proposal at or below it is a rollback; then the rollouts.
     */
    private static void finishUpgrades(final MaintenanceState state) {
        state.getUpgrades().sort(Comparator.comparing(UpgradeState::getProposalId));
        final Map<String, UpgradeState> upgrades = new HashMap<>();
        final Map<String, String> firstOfVersion = new HashMap<>();
        for (final UpgradeState u : state.getUpgrades()) {
            upgrades.put(u.getProposalId(), u);
            firstOfVersion.merge(u.getPackageId() + "\0" + u.getVersion(), u.getFactId(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
        }
        for (final UpgradeState u : state.getUpgrades()) {
            final String first = firstOfVersion.get(u.getPackageId() + "\0" + u.getVersion());
            u.setProblem(first.equals(u.getFactId()) ? null : UpgradeChecks.Code.VERSION_REPLAYED.name() + ": " + u.getPackageId() + " "
                    + u.getVersion() + " was already proposed by fact " + first);
            u.setRequiredReady(Rosters.at(state, u.getProposalEpoch()).map(RosterAtEpoch::getThreshold).orElse(0));
        }
        final Map<String, Map<String, ReadinessRecord>> latest = new HashMap<>();
        state.getReadiness().sort(Comparator.comparing(ReadinessRecord::getProposalId).thenComparing(ReadinessRecord::getDeviceId));
        for (final ReadinessRecord r : state.getReadiness()) {
            final UpgradeState u = upgrades.get(r.getProposalId());
            final UpgradeChecks.Verdict v = u == null
                    ? UpgradeChecks.Verdict.refuse(UpgradeChecks.Code.UNKNOWN_PROPOSAL, "no valid upgrade proposal " + r.getProposalId() + " is known")
                    : UpgradeChecks.readiness(u, r.getEpoch(), r.getPackageId(), r.getVersion());
            r.setProblem(v.accepted() ? null : v.reason());
            if (v.accepted()) {
                latest.computeIfAbsent(r.getProposalId(), k -> new HashMap<>()).put(r.getDeviceId(), r);
            }
        }
        final Map<String, Set<String>> everReady = new HashMap<>();
        state.getReadyReports().sort(Comparator.comparing(ReadyReport::getProposalId).thenComparing(ReadyReport::getDeviceId));
        for (final ReadyReport r : state.getReadyReports()) {
            final UpgradeState u = upgrades.get(r.getProposalId());
            if (u != null && UpgradeChecks.readiness(u, r.getEpoch(), r.getPackageId(), r.getVersion()).accepted()) {
                everReady.computeIfAbsent(r.getProposalId(), k -> new HashSet<>()).add(r.getDeviceId());
            }
        }
        for (final UpgradeState u : state.getUpgrades()) {
            final int[] c = new int[3];
            for (final ReadinessRecord r : latest.getOrDefault(u.getProposalId(), Map.of()).values()) {
                c[r.getStatus().ordinal()]++;
            }
            u.setReadyCount(c[ReadinessStatus.READY.ordinal()]);
            u.setNotReadyCount(c[ReadinessStatus.NOT_READY.ordinal()]);
            u.setRejectedCount(c[ReadinessStatus.REJECTED.ordinal()]);
            u.setEverReadyCount(everReady.getOrDefault(u.getProposalId(), Set.of()).size());
        }
        state.getActivationClaims().sort(Comparator.comparing(ActivationClaim::getProposalId).thenComparing(ActivationClaim::getFactId));
        final Map<String, ActivatedPackage> activated = new TreeMap<>();
        final Set<String> activatedProposals = new HashSet<>();
        for (final ActivationClaim claim : state.getActivationClaims()) {
            final UpgradeChecks.Verdict v = UpgradeChecks.activation(state, upgrades.get(claim.getProposalId()), claim);
            claim.setHonoured(v.accepted());
            claim.setProblem(v.accepted() ? null : v.reason());
            if (!v.accepted()) {
                continue;
            }
            activatedProposals.add(claim.getProposalId());
            final ActivatedPackage existing = activated.get(claim.getPackageId());
            // The highest version wins; an older activation never rolls a package back.
            if (existing == null || existing.getVersion() < claim.getToVersion()
                    || (existing.getVersion() == claim.getToVersion() && existing.getFactId().compareTo(claim.getFactId()) > 0)) {
                activated.put(claim.getPackageId(), new ActivatedPackage(claim.getPackageId(), claim.getToVersion(), claim.getProposalId(),
                        claim.getActivationFence(), claim.getFactId()));
            }
        }
        state.setActivated(new ArrayList<>(activated.values()));
        for (final UpgradeState u : state.getUpgrades()) {
            u.setActivated(activatedProposals.contains(u.getProposalId()));
            final ActivatedPackage current = activated.get(u.getPackageId());
            if (u.getProblem() == null && !u.getActivated() && current != null && u.getVersion() <= current.getVersion()) {
                final UpgradeChecks.Verdict v = UpgradeChecks.version(u.getPackageId(), u.getVersion(), current.getVersion());
                u.setProblem(v.reason() + " (activated by proposal " + current.getProposalId() + ")");
            }
        }
        final Map<String, List<RolloutTransitionRecord>> transitions = new HashMap<>();
        for (final RolloutTransitionRecord t : state.getRolloutTransitions()) {
            transitions.computeIfAbsent(t.getProposalId(), k -> new ArrayList<>()).add(t);
            t.setApplied(false);
            t.setProblem(upgrades.containsKey(t.getProposalId()) ? null
                    : UpgradeChecks.Code.UNKNOWN_PROPOSAL.name() + ": no valid upgrade proposal " + t.getProposalId() + " is known");
        }
        for (final UpgradeState u : state.getUpgrades()) {
            Rollouts.derive(state, u, latest.getOrDefault(u.getProposalId(), Map.of()), everReady.getOrDefault(u.getProposalId(), Set.of()),
                    transitions.getOrDefault(u.getProposalId(), new ArrayList<>()));
        }
        state.getRolloutTransitions().sort(Comparator.comparing(RolloutTransitionRecord::getProposalId)
                .thenComparingLong(RolloutTransitionRecord::getIssuedAtMillis).thenComparing(RolloutTransitionRecord::getFactId));
    }

    private static int compareUnsigned(final ByteBuffer a, final ByteBuffer b) {
        return Arrays.compareUnsigned(Canonical.array(a), Canonical.array(b));
    }
}
