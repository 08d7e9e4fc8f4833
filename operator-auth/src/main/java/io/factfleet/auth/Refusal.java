package io.factfleet.auth;

/**
 * Why a request was refused: an HTTP status, a code and a sentence saying what to do. Answered as
 * {@code {"code": ..., "message": ...}} and counted in {@code factfleet_auth_refused_total{reason=<code>}}.
 *
 * @param code    the reason
 * @param message what went wrong and what to do; never contains a secret
 */
public record Refusal(Code code, String message) {
    /** The reasons a request is refused. */
    public enum Code {
        /** No Authorization header. */
        UNAUTHENTICATED(401),
        /** An Authorization header of a scheme this service does not accept, or one that does not parse. */
        MALFORMED_CREDENTIALS(401),
        /** A signature by a key, or a login, the operators file does not list. */
        UNKNOWN_OPERATOR(401),
        /** A signature that does not verify. */
        BAD_SIGNATURE(401),
        /** A signed request whose timestamp is outside the skew window. */
        STALE_REQUEST(401),
        /** A signed request whose nonce was already used. */
        REPLAYED_REQUEST(401),
        /** A bearer token that does not validate (signature, issuer, audience, shape). */
        BAD_TOKEN(401),
        /** A bearer token past its expiry. */
        TOKEN_EXPIRED(401),
        /** A basic-auth password that does not match. */
        BAD_PASSWORD(401),
        /** The caller's roles on the authority lack the permission. */
        PERMISSION_DENIED(403),
        /** The caller has no role at all on the authority the request is about. */
        OTHER_AUTHORITY(403),
        /** The route declares no access rule: refused until it does (fail closed). */
        NO_ACCESS_RULE(403);

        private final int status;

        Code(final int status) {
            this.status = status;
        }

        /** 401 or 403. */
        public int status() {
            return status;
        }
    }

    /** The HTTP status to answer. */
    public int status() {
        return code.status();
    }
}
