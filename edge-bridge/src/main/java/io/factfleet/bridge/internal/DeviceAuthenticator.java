package io.factfleet.bridge.internal;

import io.factfleet.bridge.BridgeError;
import io.factfleet.core.RequestSignatures;
import io.factfleet.core.SignatureVerifier;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Checks a signed request (edge-bridge/PROTOCOL.md, "Authentication"), cheapest check first: the
 * header parses, {@code ts} is within the skew window, the key is rostered for the device on the
 * authority's current roster, the Ed25519 signature verifies over the request, and only then is
 * the nonce recorded (so a forged request cannot use up a device's nonces).
 */
public final class DeviceAuthenticator {
    private final RosterSource rosters;
    private final ReplayCache replays;
    private final SignatureVerifier verifier;
    private final long skewMillis;
    private final Clock clock;

    public DeviceAuthenticator(final RosterSource rosters, final ReplayCache replays, final SignatureVerifier verifier, final long skewMillis,
                               final Clock clock) {
        this.rosters = rosters;
        this.replays = replays;
        this.verifier = verifier;
        this.skewMillis = skewMillis;
        this.clock = clock;
    }

    /**
     * The device that signed this request.
     *
     * @param pathWithQuery the raw request target, as signed
     * @throws ApiException {@code UNAUTHENTICATED}, {@code STALE_REQUEST} or {@code REPLAYED_REQUEST};
     *                      or the reducer's error when the roster cannot be read
     */
    public Caller authenticate(final String method, final String pathWithQuery, final String authorization, final byte[] body) {
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.of(BridgeError.UNAUTHENTICATED, "this endpoint needs an 'Authorization: " + RequestSignatures.SCHEME
                    + " authority=...,device=...,key=...,ts=...,nonce=...,sig=...' header (PROTOCOL.md)");
        }
        final Optional<RequestSignatures.Credentials> parsed = RequestSignatures.parse(authorization);
        if (parsed.isEmpty()) {
            throw ApiException.of(BridgeError.UNAUTHENTICATED, "the Authorization header is not '" + RequestSignatures.SCHEME
                    + " authority=...,device=...,key=...,ts=<millis>,nonce=<16+ random bytes, lower-case hex>,sig=<hex>'");
        }
        final RequestSignatures.Credentials credentials = parsed.get();
        final long now = clock.millis();
        // Not Math.abs(now - ts) > skew: for ts = now + Long.MIN_VALUE the difference wraps and its absolute value is negative.
        if (credentials.timestampMillis() < now - skewMillis || credentials.timestampMillis() > now + skewMillis) {
            throw ApiException.of(BridgeError.STALE_REQUEST, "ts " + credentials.timestampMillis() + " is more than " + skewMillis
                    + " ms from the server time " + now + " (" + Instant.ofEpochMilli(now) + "); fix the device clock and sign again")
                    .with("serverTimeMillis", now);
        }
        final Roster roster;
        try {
            roster = rosters.roster(credentials.authorityId(), credentials.deviceId());
        } catch (final ApiException e) {
            if (e.error() == BridgeError.UNKNOWN_AUTHORITY) {
                throw ApiException.of(BridgeError.UNAUTHENTICATED, "authority " + credentials.authorityId() + " is not known to the journal");
            }
            throw e;
        }
        final Roster.Member member = roster.member(credentials.deviceId(), credentials.keyId()).orElseThrow(() ->
                ApiException.of(BridgeError.UNAUTHENTICATED, "key " + credentials.keyId() + " is not rostered for device "
                        + credentials.deviceId() + " of " + credentials.authorityId() + " at identity epoch " + roster.identityEpoch()));
        if (!RequestSignatures.verify(credentials, member.publicKey(), method, pathWithQuery, body, verifier)) {
            throw ApiException.of(BridgeError.UNAUTHENTICATED, "the request signature does not verify with device "
                    + credentials.deviceId() + "'s key; sign 'factfleet-request-v1"
                    + "\\n<METHOD>\\n<path with query>\\n<ts>\\n<nonce>\\n<hex SHA-256 of the body>'");
        }
        final Caller caller = new Caller(credentials.authorityId(), credentials.deviceId(), credentials.keyId(), roster);
        if (!replays.firstUse(credentials.keyId(), credentials.nonce(), credentials.timestampMillis())) {
            throw new AttributedException(caller, ApiException.of(BridgeError.REPLAYED_REQUEST, "nonce " + credentials.nonce()
                    + " was already used by key " + credentials.keyId() + "; sign every request with a fresh nonce"));
        }
        return caller;
    }

    /** An authentication failure by a device whose signature verified, so it is the device's doing (peer scores). */
    public static final class AttributedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Caller caller;
        private final ApiException error;

        AttributedException(final Caller caller, final ApiException error) {
            super(error.getMessage(), error);
            this.caller = caller;
            this.error = error;
        }

        public Caller caller() {
            return caller;
        }

        public ApiException error() {
            return error;
        }
    }
}
