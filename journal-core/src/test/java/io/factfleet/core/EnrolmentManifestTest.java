package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterAtEpoch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A manifest is refused row by row, with line numbers, before anything is signed. */
class EnrolmentManifestTest {
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private final AuthorityGenesis g = AuthorityGenesis.generate("site-9", 4, 3);
    private final MaintenanceState state = Reducer.standard().reduce(g.authorityId(), List.of(g.genesisFact(OPERATOR)));
    private final RosterAtEpoch roster = Rosters.at(state, 0).orElseThrow();

    private static String row(final String deviceId) {
        return deviceId + "," + Hashing.hex(Ed25519Keys.generate().publicKey());
    }

    private EnrolmentManifest.Result check(final String... lines) {
        return EnrolmentManifest.check(String.join("\n", lines), roster);
    }

    @Test
    void aGoodManifestBecomesOneCertifiableBatchThatTheReducerApplies() {
        final EnrolmentManifest.Result result = check(EnrolmentManifest.HEADER, "# site 9, hall B", row("b-1"), "", row("b-2"), row("b-3"));
        assertThat(result.accepted()).isTrue();
        assertThat(result.rows()).extracting(EnrolmentManifest.Row::line).containsExactly(3, 5, 6);
        final RosterBatchChange change = EnrolmentManifest.enrolment(g.authorityId(), 0, result.rows(), null);
        final FactEnvelope fact = g.admin().sign(0, new RosterBatchChanged(change, ThresholdCertificates.of(change, g.deviceKeys().subList(0, 3))));
        final MaintenanceState after = Reducer.standard().reduce(g.authorityId(), List.of(g.genesisFact(OPERATOR), fact));
        assertThat(after.getRoster()).hasSize(7);
        assertThat(after.getIdentityEpoch()).isEqualTo(1);
    }

    private static void assertOnlyRefusal(final EnrolmentManifest.Result result, final int line, final String code) {
        assertThat(result.accepted()).isFalse();
        assertThat(result.rows()).as("nothing of a refused manifest is kept").isEmpty();
        assertThat(result.refusals()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(line);
            assertThat(r.code()).isEqualTo(code);
            assertThat(r.message()).isNotBlank();
        });
    }

    @Test
    void aDuplicateDeviceIdIsRefusedOnItsSecondLine() {
        final EnrolmentManifest.Result result = check(row("b-1"), row("b-2"), row("b-1"));
        assertOnlyRefusal(result, 3, "DUPLICATE_DEVICE");
        assertThat(result.refusals().get(0).message()).contains("line 1");
    }

    @Test
    void aDuplicateKeyIsRefusedOnItsSecondLine() {
        final String key = Hashing.hex(Ed25519Keys.generate().publicKey());
        assertOnlyRefusal(check("b-1," + key, row("b-2"), "b-3," + key), 3, "DUPLICATE_KEY");
    }

    @Test
    void aMalformedKeyIsRefused() {
        assertOnlyRefusal(check(row("b-1"), "b-2,abc123"), 2, "INVALID_PUBLIC_KEY");
        assertOnlyRefusal(check(row("b-1"), "b-2," + "zz".repeat(32)), 2, "INVALID_PUBLIC_KEY");
    }

    @Test
    void aKeyAlreadyRosteredIsRefused() {
        assertOnlyRefusal(check(row("b-1"), "b-2," + Hashing.hex(g.deviceKeys().get(1).publicKey())), 2, "KEY_IN_USE");
    }

    @Test
    void aDeviceAlreadyRosteredIsRefused() {
        assertOnlyRefusal(check(row(g.deviceIds().get(2))), 1, "ALREADY_ENROLLED");
    }

    @Test
    void aRowWithoutTwoFieldsOrWithABadIdIsRefused() {
        assertOnlyRefusal(check(row("b-1"), "b-2"), 2, "MALFORMED_ROW");
        assertOnlyRefusal(check(row("b 1")), 1, "INVALID_DEVICE_ID");
    }

    @Test
    void everyBadRowIsReportedNotOnlyTheFirst() {
        final EnrolmentManifest.Result result = check(row("b-1"), "b-2,00", row("b-1"), row(g.deviceIds().get(0)));
        assertThat(result.refusals()).extracting(EnrolmentManifest.Refusal::line, EnrolmentManifest.Refusal::code).containsExactly(
                org.assertj.core.groups.Tuple.tuple(2, "INVALID_PUBLIC_KEY"), org.assertj.core.groups.Tuple.tuple(3, "DUPLICATE_DEVICE"),
                org.assertj.core.groups.Tuple.tuple(4, "ALREADY_ENROLLED"));
    }

    @Test
    void anEmptyManifestIsRefused() {
        assertOnlyRefusal(check(EnrolmentManifest.HEADER, "# nothing yet"), 0, "EMPTY_MANIFEST");
    }

    @Test
    void aManifestOverTheBatchLimitIsRefusedAtTheFirstRowOver() {
        final String[] lines = new String[RosterBatches.MAX_ENTRIES + 1];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = row("b-" + i);
        }
        assertOnlyRefusal(check(lines), RosterBatches.MAX_ENTRIES + 1, "BATCH_TOO_LARGE");
    }

    private EnrolmentManifest.Batch batch(final String manifest, final List<String> remove, final Integer newThreshold) {
        return EnrolmentManifest.batch(g.authorityId(), roster, manifest, remove, newThreshold);
    }

    private static void assertOnlyRefusal(final EnrolmentManifest.Batch batch, final int line, final String code, final String where) {
        assertThat(batch.accepted()).isFalse();
        assertThat(batch.statement()).as("nothing of a refused batch is kept").isNull();
        assertThat(batch.refusals()).singleElement().satisfies(r -> {
            assertThat(r.line()).isEqualTo(line);
            assertThat(r.code()).isEqualTo(code);
            assertThat(r.message()).contains(where);
        });
    }

    @Test
    void aBatchEnrolsTheManifestAndRemovesTheListedDevicesFromTheCurrentEpoch() {
        final EnrolmentManifest.Batch batch = batch(row("b-1") + "\n" + row("b-2"), List.of(g.deviceIds().get(3)), 2);
        assertThat(batch.accepted()).isTrue();
        assertThat(batch.statement().getFromEpoch()).isZero();
        assertThat(batch.statement().getEnrol()).extracting(m -> m.getDeviceId()).containsExactly("b-1", "b-2");
        assertThat(batch.statement().getRemove()).containsExactly(g.deviceIds().get(3));
        assertThat(batch.statement().getNewThreshold()).isEqualTo(2);
        assertThat(RosterBatches.problem(roster, batch.statement())).isNull();
    }

    @Test
    void aBatchMayOnlyRemove() {
        assertThat(batch("", List.of(g.deviceIds().get(0)), null).statement().getEnrol()).isEmpty();
    }

    @Test
    void aBatchOfNothingIsRefused() {
        assertOnlyRefusal(batch(" ", List.of(), null), 0, "EMPTY_BATCH", "nothing");
    }

    @Test
    void removingADeviceNotOnTheRosterIsRefusedByItsIndex() {
        assertOnlyRefusal(batch(row("b-1"), List.of(g.deviceIds().get(0), "ghost"), null), 0, "NOT_ENROLLED", "remove[1]");
    }

    @Test
    void removingADeviceTwiceIsRefused() {
        assertOnlyRefusal(batch("", List.of(g.deviceIds().get(0), g.deviceIds().get(0)), null), 0, "DUPLICATE_DEVICE", "remove[1]");
    }

    @Test
    void aThresholdAboveTheMembersLeftIsRefused() {
        assertOnlyRefusal(batch(row("b-1"), List.of(), 6), 0, "INVALID_THRESHOLD", "6 with 5 members");
        assertOnlyRefusal(batch("", List.of(g.deviceIds().get(0), g.deviceIds().get(1)), null), 0, "INVALID_THRESHOLD", "give a new threshold");
    }

    @Test
    void manifestRowsAndRemovalsAreRefusedTogether() {
        final EnrolmentManifest.Batch batch = batch(row("b-1") + "\nb-2,00", List.of("ghost"), null);
        assertThat(batch.refusals()).extracting(EnrolmentManifest.Refusal::line, EnrolmentManifest.Refusal::code).containsExactly(
                org.assertj.core.groups.Tuple.tuple(2, "INVALID_PUBLIC_KEY"), org.assertj.core.groups.Tuple.tuple(0, "NOT_ENROLLED"));
    }

    @Test
    void enrolmentsAndRemovalsTogetherOverTheLimitAreRefused() {
        final StringBuilder manifest = new StringBuilder();
        for (int i = 0; i < RosterBatches.MAX_ENTRIES; i++) {
            manifest.append(row("b-" + i)).append('\n');
        }
        assertOnlyRefusal(batch(manifest.toString(), List.of(g.deviceIds().get(0)), null), 0, "BATCH_TOO_LARGE", "10001 entries");
    }
}
