package io.factfleet.console;

/**
 * Burrow-style health of a consumer group's partition (or of a whole group: its worst partition), from best to worst.
 * {@link #code()} is what {@code /metrics} exports.
 */
public enum LagStatus {
    /** Keeping up: lag not growing over the window, or zero. */
    OK(0),
    /** Consuming, but the lag grew over the whole window. */
    WARN(1),
    /** The committed offset did not move over the window while there was lag. */
    STALL(2),
    /** The group has no members (empty) or no longer exists. */
    STOP(3),
    /** The committed offset is below the log start offset: records were deleted before the group read them. */
    ERROR(4);

    private final int code;

    LagStatus(final int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The worse of the two. */
    public LagStatus worst(final LagStatus other) {
        return other.code > code ? other : this;
    }
}
