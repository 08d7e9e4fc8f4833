package io.factfleet.bridge;

/**
 * The stable machine codes of the bridge's error answers ({@code {"code": ..., "message": ...}},
 * edge-bridge/PROTOCOL.md) and of per-fact {@code REJECTED} results, with the HTTP status each
 * error answer carries. A device branches on the code; the message says what to do.
 */
public enum BridgeError {
    /** No or malformed {@code Authorization}, bad signature, or a key not rostered for that device. */
    UNAUTHENTICATED(401),
    /** The request's {@code ts} is outside the clock-skew window; the message gives the server time. */
    STALE_REQUEST(401),
    /** The path names another authority than the signer's. */
    WRONG_AUTHORITY(403),
    /** The path names another device than the signer. */
    WRONG_DEVICE(403),
    /** The nonce was already used by this key within the skew window. */
    REPLAYED_REQUEST(409),
    /** The request names an identity epoch older than the authority's; the body has {@code identityEpoch}. */
    EPOCH_ADVANCED(409),
    /** The device's sync cursor names an index the reducer no longer has; the body has {@code indexId}. */
    INDEX_CHANGED(409),
    /** The body is not JSON, or not the expected JSON shape. */
    MALFORMED_JSON(400),
    /** Avro bytes that are not in the Confluent wire format. */
    MALFORMED_WIRE_FORMAT(400),
    /** Avro bytes naming a schema id the registry does not know. */
    UNKNOWN_SCHEMA_ID(400),
    /** Avro bytes (or an Avro-JSON fact) that do not decode as the expected record. */
    UNDECODABLE(400),
    /** A query parameter, path parameter or field is malformed. */
    BAD_REQUEST(400),
    /** The body is larger than {@code bridge.max.body.bytes}. */
    BODY_TOO_LARGE(413),
    /** The batch holds more facts than {@code bridge.max.batch.facts}. */
    BATCH_TOO_LARGE(413),
    /** The Content-Type is neither the Avro batch type nor JSON. */
    UNSUPPORTED_MEDIA_TYPE(415),
    /** The SSE endpoint was called without {@code Accept: text/event-stream}. */
    NOT_ACCEPTABLE(406),
    /** A per-device (requests or artifact downloads) or the global rate limit; {@code Retry-After} says when to retry. */
    RATE_LIMITED(429),
    /** A per-device or the global session limit; {@code Retry-After}. */
    TOO_MANY_SESSIONS(503),
    /** The bridge is near its global session limit and this device's peer score is too low; {@code Retry-After}. */
    SHED_UNDER_LOAD(503),
    /** Kafka did not acknowledge the batch; nothing of it is reported accepted. Retry. */
    KAFKA_UNAVAILABLE(503),
    /** The reducer's store for the authority is moving; {@code Retry-After}. */
    STORE_REBALANCING(503),
    /** The reducer did not answer. */
    REDUCER_UNAVAILABLE(503),
    /** The schema registry did not answer. */
    REGISTRY_UNAVAILABLE(503),
    /** The schema registry answered with an unexpected error. */
    REGISTRY_ERROR(502),
    /** The bridge is not RUNNING (starting, stopping or failed). */
    NOT_RUNNING(503),
    /**
     * After a hard fork's fence, the device's installed version of a package is below the target;
     * the body names {@code packageId} and {@code version} to install. Report the installed versions
     * in {@code X-FactFleet-Installed} once upgraded.
     */
    UPGRADE_REQUIRED(426),
    /** The authority has no completed snapshot: sync from the start instead. */
    NO_SNAPSHOT(404),
    /** The reducer knows no such authority. */
    UNKNOWN_AUTHORITY(404),
    /** No such endpoint. */
    NOT_FOUND(404),
    /** The artifact store holds no artifact with this SHA-256 ({@code GET /v1/authorities/{id}/artifacts/{sha256}}). */
    UNKNOWN_ARTIFACT(404),
    /**
     * No upgrade in the authority's state names this artifact: a device downloads only its own authority's
     * artifacts. An operator proposes the upgrade first; then retry.
     */
    ARTIFACT_NOT_IN_AUTHORITY(404),
    /** This bridge serves no artifacts: {@code bridge.artifacts.dir} is not set. */
    NO_ARTIFACT_STORE(501),
    /** The {@code Range} starts at or past the artifact's end (or is {@code -0}); {@code Content-Range: bytes *&#47;<length>}. */
    RANGE_NOT_SATISFIABLE(416),
    /** The {@code Range} names more than one range; ask for one at a time. {@code Content-Range: bytes *&#47;<length>}. */
    MULTIPLE_RANGES(416),
    /** A {@code bytes} {@code Range} that does not parse (not digits, or the last byte before the first). */
    MALFORMED_RANGE(400),
    /** A bug; the message has the exception. */
    INTERNAL_ERROR(500),

    // ---- per-fact REJECTED codes (in a 200 batch answer) -------------------------------------
    /** The fact's id is not the SHA-256 of its canonical body. */
    FACT_ID_MISMATCH(200),
    /** The fact's wire-format bytes exceed {@code bridge.max.fact.bytes}. */
    TOO_LARGE(200),
    /** The envelope's fixed-size fields have the wrong sizes (signature not 64 bytes, id not 32). */
    MALFORMED_ENVELOPE(200);

    private final int httpStatus;

    BridgeError(final int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** The HTTP status of an error answer with this code (200 for per-fact codes). */
    public int httpStatus() {
        return httpStatus;
    }
}
