package io.factfleet.core;

import io.factfleet.schema.FactBody;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.ActivatedPackage;
import io.factfleet.schema.state.ActivationClaim;
import io.factfleet.schema.state.DeviceState;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.UpgradeState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Verification of upgrades in one place, in the spirit of TUF: the reducer, the OTA coordinator,
 * the edge bridge and the device SDK all ask this class, and every refusal carries its own
 * {@link Code}. A {@link Verdict}'s {@link Verdict#reason()} starts with the code's name, so a
 * reason stored in state or sent over HTTP can be matched by code.
 *
 * <p>Release keys: an upgrade's metadata is certified by the authority's roster at the identity
 * epoch of the {@code UpgradeProposed} fact, with that roster's threshold M (see
 * docs/decisions.md). A key rotation or removal therefore also rotates the release keys.
 */
public final class UpgradeChecks {
    private UpgradeChecks() {
    }

    /** Why an upgrade, a readiness report, an activation, a rollout step or a session is refused. */
    public enum Code {
        /** Fewer than M distinct rostered keys produced a valid signature over the metadata. */
        THRESHOLD_NOT_MET,
        /** The threshold is only reached by counting one key more than once. */
        DUPLICATE_SIGNER,
        /** The threshold is only reached by counting keys that are not on the roster at the epoch. */
        UNROSTERED_SIGNER,
        /** The threshold is only reached by counting signatures that do not verify. */
        BAD_SIGNATURE,
        /** The metadata names another authority than the one it is verified for (mix-and-match). */
        AUTHORITY_MISMATCH,
        /** The metadata or report names another package or version than expected (mix-and-match). */
        PACKAGE_MISMATCH,
        /** The version is below the installed (or activated) version of the package. */
        VERSION_ROLLBACK,
        /** The version equals the installed (or activated) version: a replay of an old release. */
        VERSION_REPLAYED,
        /** The metadata has expired (freeze attack) or was issued after its expiry. */
        EXPIRED,
        /** The artifact's SHA-256 differs from the metadata's. */
        HASH_MISMATCH,
        /** The artifact goes on past its declared length (endless data); reading stopped there. */
        LENGTH_EXCEEDED,
        /** The artifact ended before its declared length. */
        LENGTH_SHORT,
        /** A report or rollout step signed at an identity epoch older than the proposal's (a replay). */
        STALE_EPOCH,
        /** Signed by an admin key at or after the epoch its replacement activated. */
        RETIRED_ADMIN,
        /** The signer is not on the roster (nor the admin) at the fact's epoch. */
        SIGNER_NOT_ROSTERED,
        /** A readiness report not signed by a rostered device (an admin cannot be ready for a device). */
        SIGNER_NOT_DEVICE,
        /** A rollout step not signed by the authority's admin. */
        NOT_ADMIN,
        /** A HARD upgrade without an activation fence epoch. */
        HARD_FORK_WITHOUT_FENCE,
        /** A HARD upgrade whose fence is not after the epoch it is proposed at. */
        FENCE_NOT_AHEAD,
        /** The rollout plan is malformed (percentages out of range, count and percent, bad filter). */
        INVALID_PLAN,
        /** No valid upgrade proposal with that id is known. */
        UNKNOWN_PROPOSAL,
        /** A soft-fork activation before M distinct rostered devices reported READY. */
        ACTIVATION_NOT_JUSTIFIED,
        /** A hard-fork activation before the identity epoch reached the fence. */
        ACTIVATION_BEFORE_FENCE,
        /** An activation whose package, version or fence differs from its proposal's. */
        ACTIVATION_MISMATCH,
        /** A rollout step the rollout's state does not allow (or whose threshold is not met). */
        INVALID_TRANSITION,
        /** After a hard fork's fence, a device below the target version; it must install it first. */
        UPGRADE_REQUIRED
    }

    /** A decision: accepted, or refused with a code and a sentence a user can act on. */
    public record Verdict(Code code, String message) {
        private static final Verdict OK = new Verdict(null, "accepted");

        public static Verdict ok() {
            return OK;
        }

        public static Verdict refuse(final Code code, final String message) {
            return new Verdict(code, message);
        }

        public boolean accepted() {
            return code == null;
        }

        /** {@code CODE: message}, or "accepted". */
        public String reason() {
            return code == null ? message : code.name() + ": " + message;
        }

        /** The code a stored reason starts with, if any. */
        public static Optional<Code> codeOf(final String reason) {
            if (reason == null) {
                return Optional.empty();
            }
            final int colon = reason.indexOf(':');
            final String name = colon < 0 ? reason : reason.substring(0, colon);
            for (final Code code : Code.values()) {
                if (code.name().equals(name)) {
                    return Optional.of(code);
                }
            }
            return Optional.empty();
        }
    }

    // ---- metadata -----------------------------------------------------------------------------

    /**
     * The clock-free checks on an {@code UpgradeProposed} fact against the authority's state: the
     * metadata names this authority, a HARD upgrade has a fence after the fact's epoch, the plan is
     * well formed, it was not issued after its own expiry, and its certificate is signed by M
     * distinct keys of the roster at the fact's epoch.
     */
    public static Verdict proposal(final MaintenanceState state, final FactBody body, final UpgradeProposed proposed,
                                   final SignatureVerifier verifier) {
        final UpgradeMetadata m = proposed.getMetadata();
        if (!m.getAuthorityId().equals(state.getAuthorityId())) {
            return Verdict.refuse(Code.AUTHORITY_MISMATCH, "the upgrade metadata names authority " + m.getAuthorityId()
                    + ", not " + state.getAuthorityId());
        }
        final Verdict shape = shape(m, body.getIdentityEpoch());
        if (!shape.accepted()) {
            return shape;
        }
        if (body.getIssuedAtMillis() >= m.getExpiresAtMillis()) {
            return Verdict.refuse(Code.EXPIRED, "the metadata expired at " + m.getExpiresAtMillis() + " but was issued at "
                    + body.getIssuedAtMillis() + "; re-sign it with a later expiry");
        }
        final Optional<RosterAtEpoch> roster = Rosters.at(state, body.getIdentityEpoch());
        if (roster.isEmpty()) {
            return Verdict.refuse(Code.SIGNER_NOT_ROSTERED, "no roster is known at epoch " + body.getIdentityEpoch());
        }
        return certificate(ThresholdCertificates.verify(proposed.getCertificate(), m, roster.get(), verifier));
    }

    /** Names the reason a certificate falls short, or accepts it (extra bad signatures are harmless). */
    public static Verdict certificate(final ThresholdCertificates.Check check) {
        if (check.valid()) {
            return Verdict.ok();
        }
        final String detail = check.describe();
        final int missing = check.threshold() - check.distinctValidSigners();
        if (check.duplicateSignatures() > 0 && check.duplicateSignatures() >= missing) {
            return Verdict.refuse(Code.DUPLICATE_SIGNER, "a key signed more than once and counts once: " + detail);
        }
        if (check.unrosteredSignatures() > 0 && check.unrosteredSignatures() >= missing) {
            return Verdict.refuse(Code.UNROSTERED_SIGNER, "signatures by keys not on the roster do not count: " + detail);
        }
        if (check.invalidSignatures() > 0 && check.invalidSignatures() >= missing) {
            return Verdict.refuse(Code.BAD_SIGNATURE, "signatures that do not verify do not count: " + detail);
        }
        return Verdict.refuse(Code.THRESHOLD_NOT_MET, "collect more release signatures: " + detail);
    }

    /** Kind, fence and plan checks that need no state. */
    public static Verdict shape(final UpgradeMetadata m, final long proposedAtEpoch) {
        if (m.getKind() == UpgradeKind.HARD) {
            if (m.getActivationFence() == null) {
                return Verdict.refuse(Code.HARD_FORK_WITHOUT_FENCE, "a HARD upgrade must name its activation fence epoch");
            }
            if (m.getActivationFence() <= proposedAtEpoch) {
                return Verdict.refuse(Code.FENCE_NOT_AHEAD, "the fence epoch " + m.getActivationFence()
                        + " must be after the epoch the upgrade is proposed at (" + proposedAtEpoch + ")");
            }
        }
        if (m.getArtifactLength() < 0 || m.getArtifactSha256().remaining() != 32) {
            return Verdict.refuse(Code.INVALID_PLAN, "the artifact needs a 32-byte SHA-256 and a non-negative length");
        }
        return plan(m.getPlan());
    }

    /** A plan is well formed when every wave's numbers are in range and its filter compiles. */
    public static Verdict plan(final RolloutPlan plan) {
        for (int i = 0; i < plan.getWaves().size(); i++) {
            final RolloutWave w = plan.getWaves().get(i);
            final String where = "wave " + i + " (" + w.getName() + "): ";
            if (w.getDeviceCount() != null && w.getDevicePercent() != null) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "give deviceCount or devicePercent, not both");
            }
            if (w.getDeviceCount() != null && w.getDeviceCount() < 1) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "deviceCount must be at least 1");
            }
            if (w.getDevicePercent() != null && (w.getDevicePercent() < 1 || w.getDevicePercent() > 100)) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "devicePercent must be 1..100");
            }
            if (w.getSuccessThresholdPercent() < 1 || w.getSuccessThresholdPercent() > 100) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "successThresholdPercent must be 1..100");
            }
            if (w.getErrorThresholdCount() != null && w.getErrorThresholdCount() < 0) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "errorThresholdCount must not be negative");
            }
            if (w.getErrorThresholdPercent() != null && (w.getErrorThresholdPercent() < 0 || w.getErrorThresholdPercent() > 100)) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "errorThresholdPercent must be 0..100");
            }
            if (w.getTimeoutMillis() < 0) {
                return Verdict.refuse(Code.INVALID_PLAN, where + "timeoutMillis must not be negative (0 = no timeout)");
            }
            if (w.getDeviceFilter() != null) {
                try {
                    Pattern.compile(w.getDeviceFilter());
                } catch (final PatternSyntaxException e) {
                    return Verdict.refuse(Code.INVALID_PLAN, where + "deviceFilter is not a regular expression: " + e.getDescription());
                }
            }
        }
        return Verdict.ok();
    }

    /** Mix-and-match: the metadata must be for this authority and this package. */
    public static Verdict expected(final UpgradeMetadata m, final String authorityId, final String packageId) {
        if (!m.getAuthorityId().equals(authorityId)) {
            return Verdict.refuse(Code.AUTHORITY_MISMATCH, "the metadata is for authority " + m.getAuthorityId() + ", not " + authorityId);
        }
        if (!m.getPackageId().equals(packageId)) {
            return Verdict.refuse(Code.PACKAGE_MISMATCH, "the metadata is for package " + m.getPackageId() + ", not " + packageId);
        }
        return Verdict.ok();
    }

    /** Freeze: metadata past its expiry is refused. */
    public static Verdict expiry(final UpgradeMetadata m, final long nowMillis) {
        return nowMillis >= m.getExpiresAtMillis()
                ? Verdict.refuse(Code.EXPIRED, "the metadata expired at " + m.getExpiresAtMillis() + " (now " + nowMillis + "); ask for fresh metadata")
                : Verdict.ok();
    }

    /** Rollback and replay: the version must be strictly greater than the installed one. */
    public static Verdict version(final String packageId, final long version, final long installedVersion) {
        if (version < installedVersion) {
            return Verdict.refuse(Code.VERSION_ROLLBACK, packageId + " " + version + " is below the installed version " + installedVersion);
        }
        if (version == installedVersion) {
            return Verdict.refuse(Code.VERSION_REPLAYED, packageId + " " + version + " is already installed");
        }
        return Verdict.ok();
    }

    // ---- artifacts ----------------------------------------------------------------------------

    /**
     * Hashes an artifact while reading it and stops one byte past the declared length, so an endless
     * stream costs at most {@code artifactLength + 1} bytes. Does not close {@code in}.
     */
    public static Verdict artifact(final InputStream in, final UpgradeMetadata m) {
        final MessageDigest sha256 = Hashing.sha256();
        final long declared = m.getArtifactLength();
        final byte[] buffer = new byte[64 * 1024];
        long read = 0;
        try {
            while (read <= declared) {
                final int want = (int) Math.min(buffer.length, declared + 1 - read);
                final int n = in.read(buffer, 0, want);
                if (n < 0) {
                    break;
                }
                if (read + n > declared) {
                    return Verdict.refuse(Code.LENGTH_EXCEEDED, "the artifact goes on past its declared length of " + declared
                            + " bytes; reading stopped there");
                }
                sha256.update(buffer, 0, n);
                read += n;
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("reading the artifact failed: " + e.getMessage(), e);
        }
        if (read < declared) {
            return Verdict.refuse(Code.LENGTH_SHORT, "the artifact ended after " + read + " of its declared " + declared + " bytes");
        }
        if (!MessageDigest.isEqual(sha256.digest(), Canonical.array(m.getArtifactSha256()))) {
            return Verdict.refuse(Code.HASH_MISMATCH, "the artifact's SHA-256 differs from the metadata's; download it again");
        }
        return Verdict.ok();
    }

    // ---- what a device checks before it reports readiness ------------------------------------

    /**
     * Everything a device checks on metadata before it downloads: the proposal's certificate
     * against the device's replica, no mix-and-match, not expired, a strictly newer version.
     */
    public static Verdict forDevice(final MaintenanceState replica, final FactBody body, final UpgradeProposed proposed,
                                    final String expectedPackage, final long installedVersion, final long nowMillis,
                                    final SignatureVerifier verifier) {
        final UpgradeMetadata m = proposed.getMetadata();
        Verdict v = expected(m, replica.getAuthorityId(), expectedPackage);
        if (v.accepted()) {
            v = proposal(replica, body, proposed, verifier);
        }
        if (v.accepted()) {
            v = expiry(m, nowMillis);
        }
        if (v.accepted()) {
            v = version(m.getPackageId(), m.getVersion(), installedVersion);
        }
        return v;
    }

    // ---- signers ------------------------------------------------------------------------------

    /** Who signed a fact, as the upgrade rules see it. */
    public static Verdict signer(final MaintenanceState state, final FactBody body) {
        final Optional<RosterAtEpoch> roster = Rosters.at(state, body.getIdentityEpoch());
        if (roster.isEmpty()) {
            return Verdict.refuse(Code.SIGNER_NOT_ROSTERED, "no roster is known at epoch " + body.getIdentityEpoch());
        }
        final Rosters.Signer signer = Rosters.signerAt(state, roster.get(), body.getSignerKeyId(), body.getIdentityEpoch());
        if (signer instanceof Rosters.RetiredAdminSigner retired) {
            return Verdict.refuse(Code.RETIRED_ADMIN, "key " + body.getSignerKeyId() + " was retired as admin from epoch "
                    + retired.retired().getActivationEpoch() + " and cannot sign at epoch " + body.getIdentityEpoch());
        }
        if (signer instanceof Rosters.Unknown) {
            return Verdict.refuse(Code.SIGNER_NOT_ROSTERED, "key " + body.getSignerKeyId() + " is not on the roster at epoch "
                    + body.getIdentityEpoch());
        }
        return Verdict.ok();
    }

    /** A rollout step must be signed by the admin of its epoch (not retired). */
    public static Verdict admin(final MaintenanceState state, final FactBody body) {
        final Verdict v = signer(state, body);
        if (!v.accepted()) {
            return v;
        }
        final RosterAtEpoch roster = Rosters.at(state, body.getIdentityEpoch()).orElseThrow();
        return Rosters.signerAt(state, roster, body.getSignerKeyId(), body.getIdentityEpoch()) instanceof Rosters.Admin
                ? Verdict.ok()
                : Verdict.refuse(Code.NOT_ADMIN, "rollout steps are signed by the authority's admin key, not by device " + body.getDeviceId());
    }

    /** A readiness report must be signed by a rostered device. */
    public static Verdict device(final MaintenanceState state, final FactBody body) {
        final Verdict v = signer(state, body);
        if (!v.accepted()) {
            return v;
        }
        final RosterAtEpoch roster = Rosters.at(state, body.getIdentityEpoch()).orElseThrow();
        return Rosters.signerAt(state, roster, body.getSignerKeyId(), body.getIdentityEpoch()) instanceof Rosters.Member
                ? Verdict.ok()
                : Verdict.refuse(Code.SIGNER_NOT_DEVICE, "readiness is reported by a rostered device, not by " + body.getDeviceId());
    }

    // ---- readiness and activation (derived in the reducer's finishing pass) -------------------

    /** Whether a readiness report counts for its proposal. */
    public static Verdict readiness(final UpgradeState upgrade, final long reportEpoch, final String packageId, final long version) {
        if (upgrade.getProblem() != null) {
            return Verdict.refuse(Code.UNKNOWN_PROPOSAL, "proposal " + upgrade.getProposalId() + " is not rolling out: " + upgrade.getProblem());
        }
        if (reportEpoch < upgrade.getProposalEpoch()) {
            return Verdict.refuse(Code.STALE_EPOCH, "the report is signed at epoch " + reportEpoch + ", before the proposal's epoch "
                    + upgrade.getProposalEpoch());
        }
        if (!upgrade.getPackageId().equals(packageId) || upgrade.getVersion() != version) {
            return Verdict.refuse(Code.PACKAGE_MISMATCH, "the report names " + packageId + " " + version + ", the proposal is "
                    + upgrade.getPackageId() + " " + upgrade.getVersion());
        }
        return Verdict.ok();
    }

    /**
     * Whether an activation is justified by the fact set: soft forks by M distinct rostered devices
     * that reported READY (ever: READY reports only accumulate, so this is monotone in the set);
     * hard forks by the authority's identity epoch having reached the fence.
     */
    public static Verdict activation(final MaintenanceState state, final UpgradeState upgrade, final ActivationClaim claim) {
        if (upgrade == null) {
            return Verdict.refuse(Code.UNKNOWN_PROPOSAL, "no valid upgrade proposal " + claim.getProposalId() + " is known");
        }
        if (upgrade.getProblem() != null) {
            return Verdict.refuse(Code.UNKNOWN_PROPOSAL, "proposal " + upgrade.getProposalId() + " is refused: " + upgrade.getProblem());
        }
        if (!upgrade.getPackageId().equals(claim.getPackageId()) || upgrade.getVersion() != claim.getToVersion()
                || !java.util.Objects.equals(upgrade.getActivationFence(), claim.getActivationFence())) {
            return Verdict.refuse(Code.ACTIVATION_MISMATCH, "the activation names " + claim.getPackageId() + " " + claim.getToVersion()
                    + " fence " + claim.getActivationFence() + ", the proposal is " + upgrade.getPackageId() + " " + upgrade.getVersion()
                    + " fence " + upgrade.getActivationFence());
        }
        if (upgrade.getKind() == UpgradeKind.HARD) {
            return state.getIdentityEpoch() >= upgrade.getActivationFence() ? Verdict.ok()
                    : Verdict.refuse(Code.ACTIVATION_BEFORE_FENCE, "the identity epoch is " + state.getIdentityEpoch()
                    + ", the fence is " + upgrade.getActivationFence());
        }
        return upgrade.getEverReadyCount() >= upgrade.getRequiredReady() && upgrade.getRequiredReady() > 0 ? Verdict.ok()
                : Verdict.refuse(Code.ACTIVATION_NOT_JUSTIFIED, upgrade.getEverReadyCount() + " distinct rostered devices reported READY, "
                + upgrade.getRequiredReady() + " required");
    }

    // ---- sessions after a hard fork -----------------------------------------------------------

    /**
     * Whether a device may open a session: after every activated HARD upgrade's fence, its installed
     * version of the package must be at least the target. {@code reported} is what the device says
     * now (for example a request header), preferred over its latest DeviceMetadata fact in state;
     * a device that reported nothing is below the target.
     */
    public static Verdict session(final MaintenanceState state, final String deviceId, final List<InstalledPackage> reported) {
        return session(requiredPackages(state), packageId -> installedVersion(state, deviceId, reported, packageId));
    }

    /** A package every device must have installed to open a session: an activated hard fork past its fence. */
    public record RequiredPackage(String packageId, long version, String proposalId, long activationFence) {
    }

    /** The hard forks in force at the state's identity epoch, the highest version per package. */
    public static List<RequiredPackage> requiredPackages(final MaintenanceState state) {
        final java.util.TreeMap<String, RequiredPackage> required = new java.util.TreeMap<>();
        for (final UpgradeState u : state.getUpgrades()) {
            if (u.getKind() == UpgradeKind.HARD && u.getActivated() && u.getActivationFence() != null
                    && state.getIdentityEpoch() >= u.getActivationFence()) {
                final RequiredPackage candidate = new RequiredPackage(u.getPackageId(), u.getVersion(), u.getProposalId(), u.getActivationFence());
                required.merge(u.getPackageId(), candidate, (x, y) -> x.version() >= y.version() ? x : y);
            }
        }
        return List.copyOf(required.values());
    }

    /**
     * The session rule with the required packages and the device's installed versions already at
     * hand (the edge bridge has them from the reducer's roster answer): refused with
     * {@link Code#UPGRADE_REQUIRED} naming the package and version to install.
     */
    public static Verdict session(final List<RequiredPackage> required, final java.util.function.ToLongFunction<String> installed) {
        for (final RequiredPackage r : required) {
            final long version = installed.applyAsLong(r.packageId());
            if (version < r.version()) {
                return Verdict.refuse(Code.UPGRADE_REQUIRED, "install " + r.packageId() + " version " + r.version()
                        + " (hard fork " + r.proposalId() + " active since epoch " + r.activationFence() + "); installed: "
                        + (version < 0 ? "none reported" : version));
            }
        }
        return Verdict.ok();
    }

    /** The installed version of a package, from the report or else the device's DeviceMetadata; -1 when unknown. */
    public static long installedVersion(final MaintenanceState state, final String deviceId, final List<InstalledPackage> reported,
                                        final String packageId) {
        if (reported != null) {
            for (final InstalledPackage p : reported) {
                if (p.getPackageId().equals(packageId)) {
                    return p.getVersion();
                }
            }
        }
        for (final DeviceState d : state.getDevices()) {
            if (d.getDeviceId().equals(deviceId)) {
                for (final InstalledPackage p : d.getInstalled()) {
                    if (p.getPackageId().equals(packageId)) {
                        return p.getVersion();
                    }
                }
            }
        }
        return -1;
    }

    /** The highest activated version of a package, or -1. */
    public static long activatedVersion(final MaintenanceState state, final String packageId) {
        for (final ActivatedPackage a : state.getActivated()) {
            if (a.getPackageId().equals(packageId)) {
                return a.getVersion();
            }
        }
        return -1;
    }

    /** Cache validity: an entry for {@code key} is valid at {@code epoch} only when epoch exceeds its floor. */
    public static boolean cacheValid(final MaintenanceState state, final String key, final long epoch) {
        return epoch > cacheFloor(state, key);
    }

    /** The epoch floor of a cache key, or -1 when it was never invalidated (every epoch is valid). */
    public static long cacheFloor(final MaintenanceState state, final String key) {
        for (final io.factfleet.schema.state.CacheFloor floor : state.getCacheFloors()) {
            if (floor.getKey().equals(key)) {
                return floor.getEpochFloor();
            }
        }
        return -1;
    }
}
