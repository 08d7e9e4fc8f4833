package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Reducer;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.core.UpgradeChecks;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.state.MaintenanceState;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpgradeReadinessTest {
    private static final AuthorityGenesis AUTHORITY = AuthorityGenesis.generate("sdk-ota", 3, 2);
    private static final byte[] ARTIFACT = "firmware 7".getBytes();
    private final List<FactEnvelope> facts = new ArrayList<>(List.of(AUTHORITY.genesisFact(Ed25519Keys.generate())));

    private Optional<UpgradeReadiness.Decision> decide(final String packageId, final long installed, final byte[] artifact, final long now) {
        final MaintenanceState state = Reducer.standard().reduce(AUTHORITY.authorityId(), facts);
        return UpgradeReadiness.decide(state, facts, "u7", packageId, installed, new ByteArrayInputStream(artifact), now,
                SignatureVerifier.bouncyCastle());
    }

    private void propose(final long expiresAt) {
        final UpgradeMetadata m = UpgradeFacts.metadata(AUTHORITY.authorityId(), "u7", "fw", 7, ARTIFACT, UpgradeKind.SOFT, null, expiresAt,
                UpgradeFacts.noWaves());
        facts.add(AUTHORITY.admin().sign(0, new io.factfleet.schema.UpgradeProposed(m, io.factfleet.core.ThresholdCertificates.of(m,
                AUTHORITY.deviceKeys().subList(0, 2)))));
    }

    @Test
    void aVerifiedUpgradeIsReportedReady() {
        propose(Long.MAX_VALUE);
        final UpgradeReadiness.Decision d = decide("fw", 6, ARTIFACT, 1).orElseThrow();
        assertThat(d.status()).isEqualTo(ReadinessStatus.READY);
        assertThat(d.reason()).isNull();
        assertThat(d.version()).isEqualTo(7);
    }

    @Test
    void aTamperedDownloadIsRejectedWithItsCode() {
        propose(Long.MAX_VALUE);
        final UpgradeReadiness.Decision d = decide("fw", 6, "firmware 8".getBytes(), 1).orElseThrow();
        assertThat(d.status()).isEqualTo(ReadinessStatus.REJECTED);
        assertThat(d.verdict().code()).isEqualTo(UpgradeChecks.Code.HASH_MISMATCH);
        assertThat(d.reason()).startsWith("HASH_MISMATCH: ");
    }

    @Test
    void anOlderVersionThanInstalledIsRejectedAsARollback() {
        propose(Long.MAX_VALUE);
        assertThat(decide("fw", 9, ARTIFACT, 1).orElseThrow().verdict().code()).isEqualTo(UpgradeChecks.Code.VERSION_ROLLBACK);
    }

    @Test
    void expiredMetadataAndAnotherPackageAreRejected() {
        final long expiresAt = System.currentTimeMillis() + 3_600_000;
        propose(expiresAt);
        assertThat(decide("fw", 6, ARTIFACT, expiresAt).orElseThrow().verdict().code()).isEqualTo(UpgradeChecks.Code.EXPIRED);
        assertThat(decide("bootloader", 6, ARTIFACT, 1).orElseThrow().verdict().code()).isEqualTo(UpgradeChecks.Code.PACKAGE_MISMATCH);
    }

    @Test
    void aProposalTheReplicaDoesNotHoldIsNotDecided() {
        assertThat(decide("fw", 6, ARTIFACT, 1)).isEmpty();
    }

    @Test
    void aCacheEntryIsValidOnlyAboveItsFloor(@TempDir final Path dir) {
        facts.add(AUTHORITY.device(0).cacheInvalidated(0, List.of("img"), 3));
        facts.add(AUTHORITY.device(1).cacheInvalidated(0, List.of("img"), 2)); // floors only rise
        try (LocalReplica replica = LocalReplica.open(dir.resolve("r.db"), AUTHORITY.authorityId(), Reducer.standard())) {
            facts.forEach(replica::add);
            assertThat(replica.isCacheValid("img", 3)).isFalse();
            assertThat(replica.isCacheValid("img", 4)).isTrue();
            assertThat(replica.isCacheValid("other", 0)).isTrue();
        }
    }
}
