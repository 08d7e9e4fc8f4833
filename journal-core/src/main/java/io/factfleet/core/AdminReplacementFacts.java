package io.factfleet.core;

import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AdminReplacementStatement;
import io.factfleet.schema.FactEnvelope;
import java.nio.ByteBuffer;

/** Builds a certified admin replacement for an authority whose device keys are at hand. */
public final class AdminReplacementFacts {
    private AdminReplacementFacts() {
    }

    /**
     * The first M devices of {@code authority} certify replacing its admin key by {@code newAdmin}
     * from {@code fromEpoch}, effective at {@code activationEpoch}; device 0 submits the fact.
     */
    public static FactEnvelope replace(final AuthorityGenesis authority, final long fromEpoch, final Ed25519Keys.SigningKey newAdmin,
                                       final long activationEpoch) {
        final AdminReplacementStatement statement = new AdminReplacementStatement(authority.authorityId(), fromEpoch,
                authority.adminKey().keyId(), ByteBuffer.wrap(newAdmin.publicKey()), activationEpoch);
        return authority.device(0).sign(fromEpoch, new AdminReplacement(statement,
                ThresholdCertificates.of(statement, authority.deviceKeys().subList(0, authority.threshold()))));
    }
}
