package io.factfleet.auth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.auth.Refusal;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import org.junit.jupiter.api.Test;

/** A signed operator request is stale by its timestamp alone, whatever the timestamp (review of the header parser, issue 12). */
class AuthenticatorSkewTest {
    private static Authenticator.Outcome signedAt(final long ts, final int nonce) {
        final String nonceHex = String.format("%032x", nonce);
        final byte[] signature = AuthenticatorFuzzTest.OPERATOR.sign(RequestSignatures.message(RequestSignatures.OPERATOR_CONTEXT,
                AuthenticatorFuzzTest.METHOD, AuthenticatorFuzzTest.PATH, ts, nonceHex, AuthenticatorFuzzTest.BODY));
        return AuthenticatorFuzzTest.AUTHENTICATOR.authenticate(AuthenticatorFuzzTest.METHOD, AuthenticatorFuzzTest.PATH,
                RequestSignatures.OPERATOR_SCHEME + " key=" + AuthenticatorFuzzTest.OPERATOR.keyId() + ",ts=" + ts + ",nonce=" + nonceHex
                        + ",sig=" + Hashing.hex(signature), AuthenticatorFuzzTest.BODY);
    }

    @Test
    void aTimestampWhoseDistanceToTheClockOverflowsIsStale() {
        // clock - ts wraps to Long.MIN_VALUE, whose Math.abs is negative: a correctly signed request this far off was accepted.
        assertThat(signedAt(FuzzFixtures.T0 + Long.MIN_VALUE, 1).refusal()).map(Refusal::code).contains(Refusal.Code.STALE_REQUEST);
        assertThat(signedAt(Long.MAX_VALUE, 2).refusal()).map(Refusal::code).contains(Refusal.Code.STALE_REQUEST);
        assertThat(signedAt(FuzzFixtures.T0, 3).caller()).isPresent();
    }
}
