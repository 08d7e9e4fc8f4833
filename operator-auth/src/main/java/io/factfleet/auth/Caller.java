package io.factfleet.auth;

/**
 * Who made a request, as authenticated, with what they are granted.
 *
 * @param id     the operator's id in the operators file (or a token's subject when the file does not name it);
 *               what logs and refusals show, never a secret
 * @param method how the caller authenticated
 * @param grants the caller's roles per authority
 */
public record Caller(String id, Method method, Grants grants) {
    /** How a caller authenticated. */
    public enum Method {
        /** A request signed with an Ed25519 key listed in the operators file. */
        ED25519,
        /** An OIDC/JWT bearer token validated against the configured JWKS. */
        JWT,
        /** A TLS client certificate whose subject the operators file lists (mutual TLS). */
        MTLS,
        /** HTTP basic auth against a bcrypt hash in the operators file (Confluent's schema registry clients use it). */
        BASIC,
        /** Authentication is switched off ({@code factfleet.auth.enabled=false}): everybody is admin. */
        DISABLED
    }
}
