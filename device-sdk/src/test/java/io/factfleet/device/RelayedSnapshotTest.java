package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Snapshots;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Regression tests of what RelayedSnapshotFuzzTest found: a relayed snapshot that does not decode is refused, never a crash. */
class RelayedSnapshotTest {
    private static final FuzzFixtures.Snapshot SNAPSHOT = FuzzFixtures.snapshot(FuzzFixtures.authority("relayed", 3, 2), 2);

    private static void assertRefused(final BridgeClient.Snapshot relayed, final String code) {
        assertThatThrownBy(() -> DeviceAgent.Relayed.of(relayed))
                .isInstanceOfSatisfying(Snapshots.SnapshotException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void aBlobThatDoesNotDecodeIsRefused() {
        // The fuzzer's finding: a blob with a negative length inside threw Canonical.decode's IllegalArgumentException out of sync().
        final byte[] blob = SNAPSHOT.blobBytes().clone();
        blob[0] = 0x33; // the authority id's length: -26
        assertRefused(new BridgeClient.Snapshot("p", SNAPSHOT.pointerBytes(), blob), "SNAPSHOT_UNDECODABLE");
    }

    @Test
    void aPointerOrCompletionThatDoesNotDecodeIsRefused() {
        assertRefused(new BridgeClient.Snapshot("p", Arrays.copyOf(SNAPSHOT.pointerBytes(), 10), SNAPSHOT.blobBytes()), "SNAPSHOT_UNDECODABLE");
        assertRefused(new BridgeClient.Snapshot("p", new byte[0], SNAPSHOT.blobBytes()), "SNAPSHOT_UNDECODABLE");
    }

    @Test
    void anAnswerWhoseBlobIsNotBase64IsABadResponse() {
        // The fuzzer's finding: Base64's IllegalArgumentException escaped BridgeClient.snapshot() instead of a BridgeException.
        final com.fasterxml.jackson.databind.JsonNode answer = BridgeClient.answer(
                "{\"proposalId\": \"p\", \"pointer\": \"AAAA\", \"blob\": \"AAA=A\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThatThrownBy(() -> BridgeClient.snapshotOf(answer))
                .isInstanceOfSatisfying(BridgeException.class, e -> assertThat(e.code()).isEqualTo("BAD_RESPONSE"));
    }
}
