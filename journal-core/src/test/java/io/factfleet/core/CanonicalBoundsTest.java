package io.factfleet.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.bridge.FactBatch;
import io.factfleet.schema.bridge.SyncAnswer;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Regression tests of CanonicalDecodeFuzzTest's finding: a few bytes whose length or item count field is large were
 * an OutOfMemoryError (Avro allocates what the field says before it reads), under the test JVM's 1 GB heap.
 */
class CanonicalBoundsTest {
    /** Avro's zig-zag varint of {@code value}. */
    static byte[] varint(final long value) {
        long n = (value << 1) ^ (value >> 63);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7F) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
        return out.toByteArray();
    }

    @Test
    void anArrayCountBeyondTheInputIsRefusedBeforeAnythingIsAllocated() {
        // A FactBatch whose array claims 2^30 items: new Object[2^30] before the first item was read.
        final byte[] batch = varint(1L << 30);
        assertThatThrownBy(() -> Canonical.decode(batch, FactBatch.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("items");
    }

    @Test
    void aStringOrBytesLengthBeyondTheInputIsRefusedBeforeAnythingIsAllocated() {
        // A SyncAnswer whose authority id claims 2 GB; a FactEnvelope whose fact id claims 1.5 GB.
        assertThatThrownBy(() -> Canonical.decode(varint(Integer.MAX_VALUE - 8), SyncAnswer.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytes are left");
        assertThatThrownBy(() -> Canonical.decode(varint(1_500_000_000L), FactEnvelope.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytes are left");
    }

    @Test
    void validRecordsStillDecode() {
        final FuzzFixtures.Snapshot snapshot = FuzzFixtures.snapshot(FuzzFixtures.authority("bounds", 3, 2), 3);
        assertThat(Canonical.decode(snapshot.blobBytes(), io.factfleet.schema.snapshot.SnapshotBlob.class)).isEqualTo(snapshot.blob());
        assertThat(Canonical.decode(Canonical.bytes(snapshot.state()), io.factfleet.schema.state.MaintenanceState.class)).isEqualTo(snapshot.state());
        assertThat(Canonical.decode(Canonical.bytes(snapshot.completion()), FactEnvelope.class)).isEqualTo(snapshot.completion());
    }
}
