package io.factfleet.core;

import io.factfleet.schema.state.MaintenanceState;

/** The canonical digest of a state: SHA-256 of its Avro binary encoding. */
public final class StateDigest {
    private StateDigest() {
    }

    public static byte[] of(final MaintenanceState state) {
        return Hashing.sha256(Canonical.bytes(state));
    }

    public static String hex(final MaintenanceState state) {
        return Hashing.hex(of(state));
    }
}
