package io.factfleet.core;

/** Why fact-ingest refused a fact. Each code has its own test that sends such a fact. */
public enum RejectionCode {
    /** The record is not in the Confluent wire format (empty, short, or wrong magic byte). */
    MALFORMED_WIRE_FORMAT,
    /** The wire format names a schema id the registry does not know. */
    UNKNOWN_SCHEMA_ID,
    /** The bytes do not decode as a FactEnvelope under the writer's schema. */
    UNDECODABLE,
    /** The record is larger than the configured maximum fact size. */
    TOO_LARGE,
    /** The authority id is not 1-128 letters, digits, '.', '_' or '-'. */
    INVALID_AUTHORITY_ID,
    /** The record key does not name the authority in the fact body. */
    KEY_MISMATCH,
    /** The envelope's factId is not the SHA-256 of its canonical body bytes. */
    FACT_ID_MISMATCH,
    /** No AuthorityCreated fact exists for the authority. */
    UNKNOWN_AUTHORITY,
    /** A second genesis for an authority that already exists. */
    AUTHORITY_EXISTS,
    /** A genesis fact not signed by a trusted operator root key. */
    UNTRUSTED_OPERATOR,
    /** The fact's identity epoch is newer than the authority's current epoch. */
    EPOCH_AHEAD,
    /** The signer key is not on the authority's roster (nor its admin) at the fact's epoch. */
    SIGNER_NOT_ROSTERED,
    /** The signer key belongs to another device than the one the fact names. */
    DEVICE_KEY_MISMATCH,
    /** The signature does not verify. */
    BAD_SIGNATURE,
    /** Signed by an admin key at or after the epoch at which it was replaced. */
    RETIRED_ADMIN,
    /** A roster change whose threshold certificate or preconditions do not hold. */
    INVALID_ROSTER_CHANGE,
    /** A fact whose threshold certificate does not meet the roster's threshold. */
    CERTIFICATE_INVALID,
    /** A snapshot proposal while another proposal of the authority is open. */
    PROPOSAL_OPEN,
    /** A snapshot proposal whose prefix fact count is not the authority's journal fact count: recompute it (the fence now holds new facts). */
    STALE_PREFIX,
    /** Validation itself failed on this record (a bug); the record is kept here for diagnosis. */
    PROCESSING_FAILED
}
