package io.factfleet.device;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.core.Canonical;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Snapshots;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.snapshot.SnapshotPointer;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the device's decoder of the snapshot the bridge relays ({@code GET /v1/authorities/{a}/snapshot}): the JSON
 * answer ({@link BridgeClient#answer}, {@link BridgeClient#snapshotOf}), the pointer, blob and completion in it
 * ({@link DeviceAgent.Relayed#of}), and both verifications the agent runs before it trusts one: from the operator's
 * genesis when the replica is empty ({@code verify}), against the replica's own roster when it compacts
 * ({@code verifyAgainst}). A bridge is not trusted: all of it comes from outside.
 *
 * <p>Input: the first byte picks the framing. 0: the rest is the answer body as sent. 1: two bytes of pointer length,
 * the pointer, then the blob (the test wraps them in the JSON answer). 2: as 1, but the test first makes the
 * completion name the blob's content id and digest, as a bridge that forges consistently would, so that the fuzzer
 * gets past the hashes to the roster chain and the certificate.
 *
 * <p>Contract: a verified snapshot, a {@link BridgeException} (what {@code DeviceAgent.sync} documents: its caller
 * retries) or a {@link Snapshots.SnapshotException} (the snapshot is refused). Anything else is a finding.
 */
@ExtendWith(FuzzStats.class)
class RelayedSnapshotFuzzTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final FuzzFixtures.Snapshot SNAPSHOT = FuzzFixtures.snapshot(FuzzFixtures.authority("fuzz-site", 3, 2), 4);
    /** The replica's state when it compacts: the authority's facts up to the snapshot. */
    static final MaintenanceState TRUSTED = SNAPSHOT.state();

    @FuzzTest
    void decode(final byte[] input) {
        FuzzStats.executed(RelayedSnapshotFuzzTest.class);
        if (input.length == 0) {
            return;
        }
        try {
            final byte[] body = body(input[0], Arrays.copyOfRange(input, 1, input.length));
            final DeviceAgent.Relayed relayed = DeviceAgent.Relayed.of(BridgeClient.snapshotOf(BridgeClient.answer(body)));
            verifyBothWays(relayed);
        } catch (final BridgeException | Snapshots.SnapshotException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }

    private static void verifyBothWays(final DeviceAgent.Relayed relayed) {
        try {
            final Snapshots.Verified verified = relayed.verify(FuzzFixtures.operatorKeys());
            assertThat(verified.state().getAuthorityId()).isEqualTo(relayed.blob().getAuthorityId());
        } catch (final Snapshots.SnapshotException refused) {
            assertThat(refused.code()).isNotBlank();
        }
        final MaintenanceState compacted = relayed.verifyAgainst(TRUSTED);
        assertThat(compacted.getAuthorityId()).isEqualTo(TRUSTED.getAuthorityId());
    }

    /** The answer body for an input of the given framing. */
    static byte[] body(final byte framing, final byte[] rest) {
        final int mode = Byte.toUnsignedInt(framing) % 3;
        if (mode == 0 || rest.length < 2) {
            return rest;
        }
        final int pointerLength = Math.min(rest.length - 2, ((rest[0] & 0xff) << 8) | (rest[1] & 0xff));
        byte[] pointer = Arrays.copyOfRange(rest, 2, 2 + pointerLength);
        final byte[] blob = Arrays.copyOfRange(rest, 2 + pointerLength, rest.length);
        if (mode == 2) {
            pointer = consistent(pointer, blob);
        }
        return answer("fuzz-p1", pointer, blob);
    }

    /** The pointer with its completion rewritten to name {@code blob}'s cid and digest; unchanged when it does not decode. */
    private static byte[] consistent(final byte[] pointerBytes, final byte[] blobBytes) {
        try {
            final SnapshotPointer pointer = Canonical.decode(pointerBytes, SnapshotPointer.class);
            final FactEnvelope completion = Canonical.decode(Canonical.array(pointer.getCompletion()), FactEnvelope.class);
            final SnapshotBlob blob = Canonical.decode(blobBytes, SnapshotBlob.class);
            if (!(completion.getBody().getPayload() instanceof SnapshotCompleted completed)) {
                return pointerBytes;
            }
            completed.setBlobCid(Snapshots.cid(blobBytes));
            completed.getStatement().setDigest(ByteBuffer.wrap(Snapshots.digestOf(blob)));
            pointer.setCompletion(ByteBuffer.wrap(Canonical.bytes(completion)));
            return Canonical.bytes(pointer);
        } catch (final IllegalArgumentException notDecodable) {
            return pointerBytes;
        }
    }

    static byte[] answer(final String proposalId, final byte[] pointer, final byte[] blob) {
        final ObjectNode a = JSON.createObjectNode();
        a.put("proposalId", proposalId);
        a.put("pointer", Base64.getEncoder().encodeToString(pointer));
        a.put("blob", Base64.getEncoder().encodeToString(blob));
        return a.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] framed(final int mode, final byte[] pointer, final byte[] blob) {
        final byte[] out = new byte[3 + pointer.length + blob.length];
        out[0] = (byte) mode;
        out[1] = (byte) (pointer.length >> 8);
        out[2] = (byte) pointer.length;
        System.arraycopy(pointer, 0, out, 3, pointer.length);
        System.arraycopy(blob, 0, out, 3 + pointer.length, blob.length);
        return out;
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        final byte[] answer = answer(SNAPSHOT.pointer().getProposalId(), SNAPSHOT.pointerBytes(), SNAPSHOT.blobBytes());
        final byte[] json = new byte[answer.length + 1];
        System.arraycopy(answer, 0, json, 1, answer.length);
        seeds.put("seed-json-answer", json);
        seeds.put("seed-framed", framed(1, SNAPSHOT.pointerBytes(), SNAPSHOT.blobBytes()));
        seeds.put("seed-framed-consistent", framed(2, SNAPSHOT.pointerBytes(), SNAPSHOT.blobBytes()));
        return seeds;
    }

    @Test
    void theCommittedSeedsAreSnapshotsThatVerifyBothWays() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(RelayedSnapshotFuzzTest.class, "decode", RelayedSnapshotFuzzTest::validInputs);
        assertThat(seeds).hasSize(3);
        seeds.forEach((name, input) -> {
            final DeviceAgent.Relayed relayed = DeviceAgent.Relayed.of(BridgeClient.snapshotOf(BridgeClient.answer(
                    body(input[0], Arrays.copyOfRange(input, 1, input.length)))));
            assertThat(relayed.verify(FuzzFixtures.operatorKeys()).coveredFactIds()).as(name).hasSize(5);
            assertThat(relayed.verifyAgainst(TRUSTED)).as(name).isEqualTo(SNAPSHOT.state());
        });
    }
}
