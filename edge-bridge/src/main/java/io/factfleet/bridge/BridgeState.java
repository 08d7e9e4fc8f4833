package io.factfleet.bridge;

/**
 * The lifecycle of an {@link EdgeBridgeService}, as {@code GET /health} reports it. Only
 * {@link #RUNNING} serves devices; every other state answers device requests with
 * {@code 503 NOT_RUNNING}.
 *
 * <pre>
 * STOPPED -start()-> STARTING -> RUNNING -stop()-> STOPPING -> STOPPED
 *                        \-> FAILED -stop()-> STOPPED
 * </pre>
 */
public enum BridgeState {
    /** Not started, or stopped. */
    STOPPED,
    /** {@link EdgeBridgeService#start()} is bringing the server, the producer and the scheduler up. */
    STARTING,
    /** Serving devices. */
    RUNNING,
    /** Refusing new requests, finishing those in flight, flushing the producer. */
    STOPPING,
    /** Start failed; the cause was thrown by {@code start()} and logged. {@code stop()} cleans up. */
    FAILED
}
