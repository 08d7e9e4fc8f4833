package io.factfleet.device;

import io.factfleet.core.Facts;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.UpgradeChecks;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.UpgradeState;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * What a device decides before it reports readiness for an upgrade, with the same
 * {@link UpgradeChecks} the server uses: the proposal's threshold certificate against the
 * replica's roster, no mix-and-match (this authority, the package the device runs), not expired,
 * a version strictly above the installed one, and the downloaded artifact's length and SHA-256
 * (read as a stream, stopping one byte past the declared length).
 */
public final class UpgradeReadiness {
    private UpgradeReadiness() {
    }

    /** The report to sign: READY, or REJECTED with the check's {@code CODE: sentence}. */
    public record Decision(String proposalId, String packageId, long version, ReadinessStatus status, String reason, UpgradeChecks.Verdict verdict) {
    }

    /**
     * Decides readiness for {@code proposalId}; empty when the replica holds no valid proposal of
     * that id yet (sync first: there is nothing to name in a report).
     */
    public static Optional<Decision> decide(final MaintenanceState replica, final List<FactEnvelope> facts, final String proposalId,
                                            final String packageId, final long installedVersion, final InputStream artifact,
                                            final long nowMillis, final SignatureVerifier verifier) {
        final Optional<UpgradeState> upgrade = replica.getUpgrades().stream().filter(u -> u.getProposalId().equals(proposalId)).findFirst();
        if (upgrade.isEmpty()) {
            return Optional.empty();
        }
        final FactEnvelope fact = facts.stream().filter(f -> Facts.idHex(f).equals(upgrade.get().getFactId())).findFirst().orElse(null);
        if (fact == null) {
            return Optional.empty();
        }
        final UpgradeProposed proposed = (UpgradeProposed) fact.getBody().getPayload();
        UpgradeChecks.Verdict verdict = UpgradeChecks.forDevice(replica, fact.getBody(), proposed, packageId, installedVersion, nowMillis, verifier);
        if (verdict.accepted()) {
            verdict = UpgradeChecks.artifact(artifact, proposed.getMetadata());
        }
        return Optional.of(new Decision(proposalId, proposed.getMetadata().getPackageId(), proposed.getMetadata().getVersion(),
                verdict.accepted() ? ReadinessStatus.READY : ReadinessStatus.REJECTED, verdict.accepted() ? null : verdict.reason(), verdict));
    }
}
