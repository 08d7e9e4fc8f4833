package io.factfleet.bridge;

/** Names fixed by the device protocol (edge-bridge/PROTOCOL.md), for the bridge and its clients. */
public final class BridgeProtocol {
    /** Content type of a {@code FactBatch} in the Confluent wire format. */
    public static final String FACT_BATCH_AVRO = "application/vnd.factfleet.fact-batch+avro";
    /**
     * Content type of {@code {"facts": ["<base64 of the FactEnvelope's canonical Avro binary>", ...]}}: what the
     * device SDK sends, needing no schema registry on the device.
     */
    public static final String FACT_BATCH_CANONICAL_JSON = "application/vnd.factfleet.fact-batch+json";
    /** Content type of {@code {"facts": [<FactEnvelope in Avro JSON>, ...]}}. */
    public static final String JSON = "application/json";
    /** Accept type of the binary sync answer (schemas' SyncAnswer, canonical Avro binary, no wire header). */
    public static final String SYNC_ANSWER_AVRO = "application/vnd.factfleet.sync+avro";
    /**
     * The "topic" whose subject ({@code factfleet.bridge.fact-batch-value}) a client registers the
     * {@code FactBatch} schema under when serializing a batch with a topic-name-strategy serializer.
     */
    public static final String FACT_BATCH_SUBJECT_TOPIC = "factfleet.bridge.fact-batch";
    /** Optional request header: the identity epoch the device believes current. */
    public static final String EPOCH_HEADER = "X-FactFleet-Epoch";
    /**
     * Optional request header with the device's installed packages, {@code <packageId>=<version>[,...]};
     * checked against hard forks in force (PROTOCOL.md, "Hard forks"), preferred over the device's
     * latest DeviceMetadata fact.
     */
    public static final String INSTALLED_HEADER = "X-FactFleet-Installed";
    /** Prefix of every device endpoint. */
    public static final String API_PREFIX = "/v1";

    /** The results of one fact in a batch answer. */
    public static final String ACCEPTED = "ACCEPTED";
    /** The journal already holds the fact. */
    public static final String DUPLICATE = "DUPLICATE";
    /** The bridge refused the fact; {@code code} and {@code message} say why. */
    public static final String REJECTED = "REJECTED";

    private BridgeProtocol() {
    }
}
