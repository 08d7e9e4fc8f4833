package io.factfleet.core;

import io.factfleet.schema.CacheInvalidated;
import io.factfleet.schema.DeviceMetadata;
import io.factfleet.schema.FactBody;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.JournalEntry;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.SnapshotApproved;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.UpgradeReadiness;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Signs facts for one device (or admin, or operator) of one authority: builds the body, computes
 * the fact id and seals the envelope. The device SDK, the fleet simulator and tests all sign
 * through this class.
 */
public final class DeviceSigner {
    private final String authorityId;
    private final String deviceId;
    private final Ed25519Keys.SigningKey key;
    private final LongSupplier clock;

    public DeviceSigner(final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key, final LongSupplier clock) {
        this.authorityId = authorityId;
        this.deviceId = deviceId;
        this.key = key;
        this.clock = clock;
    }

    public DeviceSigner(final String authorityId, final String deviceId, final Ed25519Keys.SigningKey key) {
        this(authorityId, deviceId, key, System::currentTimeMillis);
    }

    public String authorityId() {
        return authorityId;
    }

    public String deviceId() {
        return deviceId;
    }

    public Ed25519Keys.SigningKey key() {
        return key;
    }

    /** Signs any payload (one of the FactBody.payload union's records) at {@code identityEpoch}. */
    public FactEnvelope sign(final long identityEpoch, final Object payload) {
        final FactBody body = FactBody.newBuilder()
                .setAuthorityId(authorityId)
                .setDeviceId(deviceId)
                .setIdentityEpoch(identityEpoch)
                .setIssuedAtMillis(clock.getAsLong())
                .setSignerKeyId(key.keyId())
                .setPayload(payload)
                .build();
        return Facts.seal(body, key);
    }

    /** Signs a payload with an explicit issue time, for facts whose id must not depend on a clock (coordinator emissions). */
    public FactEnvelope signAt(final long identityEpoch, final long issuedAtMillis, final Object payload) {
        final FactBody body = FactBody.newBuilder()
                .setAuthorityId(authorityId)
                .setDeviceId(deviceId)
                .setIdentityEpoch(identityEpoch)
                .setIssuedAtMillis(issuedAtMillis)
                .setSignerKeyId(key.keyId())
                .setPayload(payload)
                .build();
        return Facts.seal(body, key);
    }

    public FactEnvelope journalEntry(final long identityEpoch, final byte[] entryKey, final byte[] value) {
        return sign(identityEpoch, new JournalEntry(ByteBuffer.wrap(entryKey), ByteBuffer.wrap(value), null));
    }

    public FactEnvelope cacheInvalidated(final long identityEpoch, final List<String> keys, final long epochFloor) {
        return sign(identityEpoch, new CacheInvalidated(keys, epochFloor));
    }

    public FactEnvelope deviceMetadata(final long identityEpoch, final List<InstalledPackage> installed, final String upgradePolicy) {
        return sign(identityEpoch, new DeviceMetadata(installed, List.of(), upgradePolicy));
    }

    public FactEnvelope readiness(final long identityEpoch, final String proposalId, final String packageId, final long version,
                                  final ReadinessStatus status, final String reason) {
        return sign(identityEpoch, new UpgradeReadiness(proposalId, packageId, version, status, reason));
    }

    /** An approval of a snapshot proposal: the fact is signed, and so is the statement it approves. */
    public FactEnvelope approveSnapshot(final long identityEpoch, final String proposalId, final long epoch, final byte[] digest) {
        final SnapshotStatement statement = new SnapshotStatement(authorityId, proposalId, epoch, ByteBuffer.wrap(digest));
        final byte[] signature = key.sign(ThresholdCertificates.message(statement));
        return sign(identityEpoch, new SnapshotApproved(statement, ByteBuffer.wrap(signature)));
    }
}
