package io.factfleet.bridge.internal;

import io.factfleet.schema.FactEnvelope;

/**
 * One fact of a batch: the decoded envelope, and the bytes the bridge produces for it (the
 * device's own wire-format bytes for an Avro batch; the re-encoded fact for a JSON batch).
 */
public record SubmittedFact(FactEnvelope fact, byte[] wireBytes) {
}
