package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.RosterMember;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Bulk roster changes: one certified fact, one epoch step, all or nothing, each refusal named. */
class RosterBatchTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private final AuthorityGenesis g = AuthorityGenesis.generate("site-1", 5, 3);
    private final Reducer reducer = Reducer.standard();
    private final FactAdmission admission = new FactAdmission(Map.of(OPERATOR.keyId(), OPERATOR.publicKey()), SignatureVerifier.bouncyCastle());
    private final List<FactEnvelope> facts = new ArrayList<>(List.of(g.genesisFact(OPERATOR)));

    private static List<RosterMember> newDevices(final String prefix, final int n) {
        final List<RosterMember> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add(new RosterMember(prefix + i, ByteBuffer.wrap(Ed25519Keys.generate().publicKey())));
        }
        return members;
    }

    private FactEnvelope batch(final long fromEpoch, final List<RosterMember> enrol, final List<String> remove, final int signers) {
        final RosterBatchChange change = new RosterBatchChange(g.authorityId(), fromEpoch, enrol, remove, null);
        return g.admin().sign(fromEpoch, new RosterBatchChanged(change, ThresholdCertificates.of(change, g.deviceKeys().subList(0, signers))));
    }

    private MaintenanceState state() {
        return reducer.reduce(g.authorityId(), facts);
    }

    private Optional<String> ignoredReason(final MaintenanceState state, final FactEnvelope fact) {
        return state.getIgnored().stream().filter(i -> i.getFactId().equals(Facts.idHex(fact))).map(i -> i.getReason()).findFirst();
    }

    @Test
    void oneBatchEnrolsAThousandDevicesAndAdvancesTheEpochOnce() {
        facts.add(batch(0, newDevices("new-", 1_000), List.of(g.deviceIds().get(4)), 3));
        final MaintenanceState state = state();
        assertThat(state.getIdentityEpoch()).isEqualTo(1);
        assertThat(state.getRoster()).hasSize(1_004);
        assertThat(state.getRoster()).extracting(RosterEntry::getDeviceId).doesNotContain(g.deviceIds().get(4));
        assertThat(state.getRosterEpochs()).extracting(e -> e.getMemberCount()).containsExactly(5, 1_004);
        assertThat(state.getIgnored()).isEmpty();
    }

    @Test
    void theRosterOfAnOldEpochIsDerivedFromSpansNotStoredPerEpoch() {
        facts.add(batch(0, newDevices("new-", 20), List.of(g.deviceIds().get(4)), 3));
        facts.add(batch(1, List.of(), List.of(g.deviceIds().get(3), "new-0"), 3));
        final MaintenanceState state = state();
        assertThat(state.getIdentityEpoch()).isEqualTo(2);
        assertThat(Rosters.at(state, 0).orElseThrow().getMembers()).extracting(RosterEntry::getDeviceId).containsExactlyElementsOf(g.deviceIds());
        assertThat(Rosters.at(state, 1).orElseThrow().getMembers()).hasSize(24).extracting(RosterEntry::getDeviceId)
                .contains("new-0", g.deviceIds().get(3)).doesNotContain(g.deviceIds().get(4));
        assertThat(Rosters.at(state, 2).orElseThrow().getMembers()).hasSize(22);
        // Every key is stored once on the roster or once as a former member, never once per epoch.
        assertThat(state.getRosterHistory()).isEmpty();
        assertThat(state.getRoster().size() + state.getFormerMembers().size()).isEqualTo(25);
        // A device removed at epoch 2 still signs validly at epoch 1.
        facts.add(new DeviceSigner(g.authorityId(), g.deviceIds().get(3), g.deviceKeys().get(3)).journalEntry(1, "k".getBytes(), "v".getBytes()));
        final FactEnvelope afterRemoval = new DeviceSigner(g.authorityId(), g.deviceIds().get(3), g.deviceKeys().get(3))
                .journalEntry(2, "k".getBytes(), "v".getBytes());
        facts.add(afterRemoval);
        final MaintenanceState later = state();
        assertThat(later.getJournalEntryCount()).isEqualTo(1);
        assertThat(ignoredReason(later, afterRemoval)).get().asString().startsWith("SIGNER_NOT_ROSTERED");
    }

    @Test
    void aBatchWithoutAThresholdOfSignaturesIsIgnoredWhole() {
        final FactEnvelope weak = batch(0, newDevices("new-", 10), List.of(), 2);
        facts.add(weak);
        final MaintenanceState state = state();
        assertThat(state.getIdentityEpoch()).isZero();
        assertThat(state.getRoster()).hasSize(5);
        assertThat(ignoredReason(state, weak)).get().asString().startsWith("CERTIFICATE_INVALID");
    }

    private void assertRefused(final List<RosterMember> enrol, final List<String> remove, final String reason, final String where) {
        final FactEnvelope bad = batch(0, enrol, remove, 3);
        facts.add(bad);
        final MaintenanceState state = state();
        assertThat(state.getIdentityEpoch()).as("nothing of the batch applies").isZero();
        assertThat(state.getRoster()).hasSize(5);
        assertThat(ignoredReason(state, bad)).get().asString().startsWith(reason).contains(where);
        // Ingest refuses it at the door with the same reason.
        MaintenanceState roster = null;
        roster = admission.admit(roster, facts.get(0)).rosterStateAfter().orElseThrow();
        final Admission verdict = admission.admit(roster, bad).admission();
        assertThat(verdict).isInstanceOf(Admission.Rejected.class);
        assertThat(((Admission.Rejected) verdict).code()).isEqualTo(RejectionCode.INVALID_ROSTER_CHANGE);
        assertThat(((Admission.Rejected) verdict).message()).startsWith(reason).contains(where);
    }

    @Test
    void aDeviceEnrolledTwiceInOneBatchIsRefusedByItsIndex() {
        final List<RosterMember> enrol = newDevices("new-", 5);
        enrol.add(new RosterMember("new-2", ByteBuffer.wrap(Ed25519Keys.generate().publicKey())));
        assertRefused(enrol, List.of(), "DUPLICATE_DEVICE", "enrol[5]");
    }

    @Test
    void aKeyTwiceInOneBatchIsRefusedByItsIndex() {
        final List<RosterMember> enrol = newDevices("new-", 5);
        enrol.add(new RosterMember("twin", enrol.get(1).getPublicKey()));
        assertRefused(enrol, List.of(), "DUPLICATE_KEY", "enrol[5]");
    }

    @Test
    void aMalformedKeyIsRefusedByItsIndex() {
        final List<RosterMember> enrol = newDevices("new-", 3);
        enrol.add(1, new RosterMember("short", ByteBuffer.wrap(new byte[31])));
        assertRefused(enrol, List.of(), "INVALID_PUBLIC_KEY", "enrol[1]");
    }

    @Test
    void aKeyAlreadyRosteredIsRefused() {
        final List<RosterMember> enrol = newDevices("new-", 3);
        enrol.add(new RosterMember("thief", ByteBuffer.wrap(g.deviceKeys().get(2).publicKey())));
        assertRefused(enrol, List.of(), "KEY_IN_USE", "enrol[3]");
    }

    @Test
    void aDeviceAlreadyRosteredIsRefused() {
        final List<RosterMember> enrol = newDevices("new-", 3);
        enrol.add(new RosterMember(g.deviceIds().get(0), ByteBuffer.wrap(Ed25519Keys.generate().publicKey())));
        assertRefused(enrol, List.of(), "ALREADY_ENROLLED", "enrol[3]");
    }

    @Test
    void removingADeviceNotRosteredIsRefused() {
        assertRefused(newDevices("new-", 2), List.of(g.deviceIds().get(1), "ghost"), "NOT_ENROLLED", "remove[1]");
    }

    @Test
    void enrollingAndRemovingOneDeviceInOneBatchIsRefused() {
        assertRefused(newDevices("new-", 2), List.of("new-1"), "DUPLICATE_DEVICE", "remove[0]");
    }

    @Test
    void anEmptyBatchIsRefused() {
        assertRefused(List.of(), List.of(), "EMPTY_BATCH", "nothing");
    }

    @Test
    void aBatchOverTheLimitIsRefused() {
        assertRefused(newDevices("new-", RosterBatches.MAX_ENTRIES + 1), List.of(), "BATCH_TOO_LARGE", "10001 entries");
    }
}
