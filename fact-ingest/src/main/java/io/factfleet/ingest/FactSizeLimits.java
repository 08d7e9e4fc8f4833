package io.factfleet.ingest;

/**
 * How large an inbound record ingest admits, by kind: every fact up to {@code maxFactBytes}, and a
 * {@code RosterBatchChanged} (a site's devices enrolled or removed in one certified fact) up to
 * {@code maxRosterBatchBytes}, so that provisioning a large site does not raise the limit of every other kind.
 *
 * @param maxFactBytes        {@value IngestConfig#MAX_FACT_BYTES}: the limit of every kind but roster batches
 * @param maxRosterBatchBytes {@value IngestConfig#MAX_ROSTER_BATCH_BYTES}: the limit of a roster batch
 */
public record FactSizeLimits(int maxFactBytes, int maxRosterBatchBytes) {
    public FactSizeLimits {
        if (maxFactBytes < 1 || maxRosterBatchBytes < 1) {
            throw new IllegalArgumentException("fact size limits must be positive, got " + maxFactBytes + " and " + maxRosterBatchBytes);
        }
    }

    /** {@code maxFactBytes} for every kind, and the default limit for roster batches (or {@code maxFactBytes} if larger). */
    public static FactSizeLimits of(final int maxFactBytes) {
        return new FactSizeLimits(maxFactBytes, Math.max(maxFactBytes, IngestConfig.MAX_ROSTER_BATCH_BYTES_DEFAULT));
    }

    /** The largest record of any kind: larger ones are refused before they are decoded. */
    public int largest() {
        return Math.max(maxFactBytes, maxRosterBatchBytes);
    }

    /** The refusal's sentence for a record of {@code bytes} larger than any kind may be, naming both limits. */
    public String tooLarge(final int bytes) {
        return limits(bytes) + "split a roster batch this large into smaller batches; any other fact: put large content in a blob and reference it";
    }

    /** The refusal's sentence for a fact of {@code bytes} over the limit of its kind (a roster batch or not), naming both limits. */
    public String tooLarge(final int bytes, final boolean rosterBatch) {
        return limits(bytes) + (rosterBatch ? "split the batch into smaller batches" : "put large content in a blob and reference it from the fact");
    }

    private String limits(final int bytes) {
        return "the fact is " + bytes + " bytes; the limit is " + maxFactBytes + " bytes (" + IngestConfig.MAX_FACT_BYTES + ") for every kind but a "
                + "RosterBatchChanged, and " + maxRosterBatchBytes + " bytes (" + IngestConfig.MAX_ROSTER_BATCH_BYTES + ") for a RosterBatchChanged; ";
    }
}
