package io.factfleet.core;

import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AuthorityCreated;
import io.factfleet.schema.DeviceEnrolled;
import io.factfleet.schema.DeviceRemoved;
import io.factfleet.schema.EpochAdvanced;
import io.factfleet.schema.FactBody;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.KeyRotated;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.IgnoredFact;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterEpoch;
import java.util.Map;
import java.util.Optional;

/**
 * The admission rules fact-ingest applies to an inbound fact, against the authority's roster
 * state built from the facts admitted before it. Pure: no Kafka, no clock.
 *
 * <p>The roster state is a {@link MaintenanceState} reduced from the authority's roster facts only
 * (genesis, enrolments, removals, rotations, epoch advances and admin replacements), so copying it
 * per admission stays cheap; {@link #isRosterFact} says which facts those are.
 */
public final class FactAdmission {
    private final Map<String, byte[]> operatorKeys;
    private final SignatureVerifier verifier;
    private final Reducer reducer;

    /**
     * @param operatorKeys trusted operator root keys by key id; they alone may sign an authority's genesis
     */
    public FactAdmission(final Map<String, byte[]> operatorKeys, final SignatureVerifier verifier) {
        this.operatorKeys = Map.copyOf(operatorKeys);
        this.verifier = verifier;
        this.reducer = new Reducer(verifier);
    }

    /** The verdict and, for an admitted roster fact, the roster state after it. */
    public record Decision(Admission admission, Optional<MaintenanceState> rosterStateAfter) {
        public boolean accepted() {
            return admission instanceof Admission.Accepted;
        }
    }

    /** The verifier admission checks signatures with. */
    public SignatureVerifier verifier() {
        return verifier;
    }

    public static boolean isRosterFact(final FactEnvelope fact) {
        final Object p = fact.getBody().getPayload();
        return p instanceof AuthorityCreated || p instanceof DeviceEnrolled || p instanceof DeviceRemoved
                || p instanceof KeyRotated || p instanceof EpochAdvanced || p instanceof AdminReplacement || p instanceof RosterBatchChanged;
    }

    /**
     * Decides on {@code fact} given the authority's roster state ({@code null} or not created when
     * the authority has no genesis yet). Verifies the envelope signature exactly once.
     */
    public Decision admit(final MaintenanceState rosterState, final FactEnvelope fact) {
        if (!Facts.idMatchesBody(fact)) {
            return reject(RejectionCode.FACT_ID_MISMATCH, "the fact id is not the SHA-256 of the fact's canonical body bytes "
                    + "(computed " + Hashing.hex(Facts.factId(fact.getBody())) + "); re-seal the fact after changing it");
        }
        return admitWithCheckedId(rosterState, fact);
    }

    /**
     * {@link #admit} for a caller that has already checked {@link Facts#idMatchesBody} (ingest checks
     * it before its duplicate lookup, and hashing the body is not free).
     */
    public Decision admitWithCheckedId(final MaintenanceState rosterState, final FactEnvelope fact) {
        return admitWithCheckedId(rosterState, null, fact);
    }

    /**
     * {@link #admitWithCheckedId(MaintenanceState, FactEnvelope)} with {@code keys}, the {@link Rosters.KeyIndex} of
     * {@code rosterState} (or null to build it for this fact): a caller admitting many facts against one roster state
     * keeps its index, so finding a fact's signer costs O(1) instead of a scan of the roster.
     */
    public Decision admitWithCheckedId(final MaintenanceState rosterState, final Rosters.KeyIndex keys, final FactEnvelope fact) {
        final FactBody body = fact.getBody();
        final boolean created = rosterState != null && rosterState.getCreated();
        if (body.getPayload() instanceof AuthorityCreated) {
            if (created) {
                return reject(RejectionCode.AUTHORITY_EXISTS, "authority " + body.getAuthorityId() + " already exists; its roster changes need a certified roster fact");
            }
            final byte[] operatorKey = operatorKeys.get(body.getSignerKeyId());
            if (operatorKey == null) {
                return reject(RejectionCode.UNTRUSTED_OPERATOR, "genesis of " + body.getAuthorityId() + " is signed by key " + body.getSignerKeyId()
                        + ", which is not a trusted operator root key");
            }
            if (!Facts.signatureValid(fact, operatorKey, verifier)) {
                return badSignature(body);
            }
            return applyRoster(Reducer.empty(body.getAuthorityId()), fact);
        }
        if (!created) {
            return reject(RejectionCode.UNKNOWN_AUTHORITY, "authority " + body.getAuthorityId() + " does not exist; create it with an AuthorityCreated fact first");
        }
        if (body.getIdentityEpoch() > rosterState.getIdentityEpoch()) {
            return reject(RejectionCode.EPOCH_AHEAD, "the fact is at identity epoch " + body.getIdentityEpoch() + " but authority "
                    + body.getAuthorityId() + " is at epoch " + rosterState.getIdentityEpoch() + "; catch up and re-sign at the current epoch");
        }
        final Optional<RosterEpoch> header = Rosters.header(rosterState, body.getIdentityEpoch());
        if (header.isEmpty()) {
            return reject(RejectionCode.SIGNER_NOT_ROSTERED, "no roster is known for epoch " + body.getIdentityEpoch() + " of authority " + body.getAuthorityId());
        }
        final Rosters.Signer signer = Rosters.signerAt(rosterState, header.get(), keys != null ? keys : Rosters.KeyIndex.of(rosterState),
                body.getSignerKeyId());
        final byte[] publicKey;
        if (signer instanceof Rosters.RetiredAdminSigner retired) {
            return reject(RejectionCode.RETIRED_ADMIN, "key " + body.getSignerKeyId() + " was replaced as admin from epoch "
                    + retired.retired().getActivationEpoch() + " and cannot sign at epoch " + body.getIdentityEpoch());
        } else if (signer instanceof Rosters.Unknown) {
            return reject(RejectionCode.SIGNER_NOT_ROSTERED, "key " + body.getSignerKeyId() + " is not on the roster of authority "
                    + body.getAuthorityId() + " at epoch " + body.getIdentityEpoch());
        } else if (signer instanceof Rosters.Member member) {
            if (!member.entry().getDeviceId().equals(body.getDeviceId())) {
                return reject(RejectionCode.DEVICE_KEY_MISMATCH, "key " + body.getSignerKeyId() + " belongs to device " + member.entry().getDeviceId()
                        + ", but the fact names device " + body.getDeviceId());
            }
            publicKey = Canonical.array(member.entry().getPublicKey());
        } else {
            publicKey = ((Rosters.Admin) signer).publicKey();
        }
        if (!Facts.signatureValid(fact, publicKey, verifier)) {
            return badSignature(body);
        }
        if (isRosterFact(fact)) {
            return applyRoster(copy(rosterState), fact);
        }
        final Object payload = body.getPayload();
        if (payload instanceof UpgradeProposed || payload instanceof io.factfleet.schema.OperatorUpgradeProposal || payload instanceof SnapshotCompleted) {
            // Certified facts: refuse at the door what the reducer would ignore.
            final MaintenanceState probe = copy(rosterState);
            final Reducer.Step step = reducer.apply(probe, fact);
            final Optional<String> ignored = ignoredReason(step, fact);
            if (ignored.isPresent()) {
                return reject(RejectionCode.CERTIFICATE_INVALID, ignored.get());
            }
        }
        return new Decision(Admission.accepted(), Optional.empty());
    }

    private Decision applyRoster(final MaintenanceState state, final FactEnvelope fact) {
        final Reducer.Step step = reducer.apply(state, fact);
        if (step instanceof Reducer.Step.NeedsRefold refold) {
            return reject(RejectionCode.INVALID_ROSTER_CHANGE, "the roster change conflicts with the current roster: " + refold.why());
        }
        final Optional<String> ignored = ignoredReason(step, fact);
        if (ignored.isPresent()) {
            final String reason = ignored.get();
            final RejectionCode code = reason.startsWith("CERTIFICATE_INVALID") ? RejectionCode.CERTIFICATE_INVALID : RejectionCode.INVALID_ROSTER_CHANGE;
            return reject(code, reason);
        }
        return new Decision(Admission.accepted(), Optional.of(((Reducer.Step.Applied) step).state()));
    }

    private static Optional<String> ignoredReason(final Reducer.Step step, final FactEnvelope fact) {
        if (step instanceof Reducer.Step.NeedsRefold refold) {
            return Optional.of(refold.why());
        }
        final String id = Facts.idHex(fact);
        for (final IgnoredFact ignored : ((Reducer.Step.Applied) step).state().getIgnored()) {
            if (ignored.getFactId().equals(id)) {
                return Optional.of(ignored.getReason());
            }
        }
        return Optional.empty();
    }

    private static MaintenanceState copy(final MaintenanceState state) {
        return MaintenanceState.newBuilder(state).build();
    }

    private static Decision badSignature(final FactBody body) {
        return reject(RejectionCode.BAD_SIGNATURE, "the signature by key " + body.getSignerKeyId() + " does not verify over the fact id; "
                + "sign \"factfleet/fact/v1\\0\" || factId with the key the fact names");
    }

    private static Decision reject(final RejectionCode code, final String message) {
        return new Decision(Admission.rejected(code, message), Optional.empty());
    }
}
