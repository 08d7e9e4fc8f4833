package io.factfleet.core;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import java.nio.ByteBuffer;
import java.util.List;

/** Builds upgrade metadata and certified proposals; used by tests, the simulator, the bench and the CLI. */
public final class UpgradeFacts {
    private UpgradeFacts() {
    }

    /** Metadata for an artifact: its SHA-256 and length are computed from {@code artifact}. */
    public static UpgradeMetadata metadata(final String authorityId, final String proposalId, final String packageId, final long version,
                                           final byte[] artifact, final UpgradeKind kind, final Long fence, final long expiresAtMillis,
                                           final RolloutPlan plan) {
        return new UpgradeMetadata(authorityId, proposalId, packageId, version, ByteBuffer.wrap(Hashing.sha256(artifact)),
                (long) artifact.length, kind, fence, expiresAtMillis, plan);
    }

    /** A plan without waves and without approval: the upgrade only waits for readiness (or its fence). */
    public static RolloutPlan noWaves() {
        return new RolloutPlan(List.of(), false);
    }

    /** A wave of {@code count} devices with a success threshold, an error count threshold and a timeout (0 = none). */
    public static RolloutWave wave(final String name, final int count, final int successPercent, final Integer errorCount, final long timeoutMillis) {
        return RolloutWave.newBuilder().setName(name).setDeviceCount(count).setSuccessThresholdPercent(successPercent)
                .setErrorThresholdCount(errorCount).setTimeoutMillis(timeoutMillis).build();
    }

    /** The first M devices of {@code authority} certify {@code metadata}; the admin submits it at {@code epoch}. */
    public static FactEnvelope propose(final AuthorityGenesis authority, final long epoch, final UpgradeMetadata metadata) {
        return authority.admin().sign(epoch, new UpgradeProposed(metadata,
                ThresholdCertificates.of(metadata, authority.deviceKeys().subList(0, authority.threshold()))));
    }
}
