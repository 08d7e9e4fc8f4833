package io.factfleet.bridge.internal;

import io.factfleet.bridge.BridgeError;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.schema.FactBody;
import java.util.Optional;

/**
 * The envelope checks the bridge makes per fact (edge-bridge/PROTOCOL.md): size, fixed field sizes,
 * the fact id is the hash of the body, the fact names the path's authority and, unless the
 * authority's admin key signed it, the submitting device. Signatures and rosters stay with ingest.
 */
public final class FactShape {
    private static final int FACT_ID_BYTES = 32;

    /** Why a fact is refused: a {@link BridgeError} per-fact code and a sentence. */
    public record Rejection(BridgeError code, String message) {
    }

    private FactShape() {
    }

    public static Optional<Rejection> check(final SubmittedFact submitted, final Caller caller, final int maxFactBytes) {
        final FactBody body = submitted.fact().getBody();
        if (submitted.wireBytes().length > maxFactBytes) {
            return reject(BridgeError.TOO_LARGE, "the fact is " + submitted.wireBytes().length + " bytes; facts are at most " + maxFactBytes);
        }
        if (submitted.fact().getFactId().remaining() != FACT_ID_BYTES || submitted.fact().getSignature().remaining() != Ed25519Keys.SIGNATURE_BYTES) {
            return reject(BridgeError.MALFORMED_ENVELOPE, "a fact id is " + FACT_ID_BYTES + " bytes and a signature "
                    + Ed25519Keys.SIGNATURE_BYTES + "; this envelope has " + submitted.fact().getFactId().remaining() + " and "
                    + submitted.fact().getSignature().remaining());
        }
        if (!body.getAuthorityId().equals(caller.authorityId())) {
            return reject(BridgeError.WRONG_AUTHORITY, "the fact names authority " + body.getAuthorityId() + " but device "
                    + caller.deviceId() + " acts for " + caller.authorityId());
        }
        if (!Facts.idMatchesBody(submitted.fact())) {
            return reject(BridgeError.FACT_ID_MISMATCH, "the fact id is not the SHA-256 of the fact's canonical body (computed "
                    + Hashing.hex(Facts.factId(body)) + "); re-seal the fact after changing it");
        }
        final boolean adminSigned = body.getSignerKeyId().equals(caller.roster().adminKeyId());
        if (!adminSigned && !body.getDeviceId().equals(caller.deviceId())) {
            return reject(BridgeError.WRONG_DEVICE, "the fact names device " + body.getDeviceId() + " but was submitted by "
                    + caller.deviceId() + "; a device submits its own facts and those its authority's admin signed");
        }
        return Optional.empty();
    }

    private static Optional<Rejection> reject(final BridgeError code, final String message) {
        return Optional.of(new Rejection(code, message));
    }
}
