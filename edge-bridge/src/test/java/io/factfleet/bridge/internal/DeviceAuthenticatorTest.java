package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.bridge.BridgeError;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.RequestSignatures;
import io.factfleet.core.SignatureVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;

class DeviceAuthenticatorTest {
    private static final long SKEW = 300_000;
    private static final String PATH = "/v1/authorities/site-1/facts";
    private static final byte[] BODY = "{\"facts\": []}".getBytes(StandardCharsets.UTF_8);

    private final AuthorityGenesis site = AuthorityGenesis.generate("site-1", 3, 2);
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final DeviceAuthenticator authenticator = new DeviceAuthenticator((id, device) -> {
        if (!id.equals("site-1")) {
            throw ApiException.of(BridgeError.UNKNOWN_AUTHORITY, "no " + id);
        }
        return TestRosters.of(site, 3);
    }, new ReplayCache(SKEW, clock), SignatureVerifier.bouncyCastle(), SKEW, clock);

    private String header(final int device, final long ts, final String nonce) {
        return RequestSignatures.header("POST", PATH, BODY, ts, nonce, "site-1", site.deviceIds().get(device), site.deviceKeys().get(device));
    }

    @Test
    void aRequestSignedByARosteredDeviceKeyIsThatDevice() {
        final Caller caller = authenticator.authenticate("POST", PATH, header(1, clock.millis(), nonce(1)), BODY);

        assertThat(caller.authorityId()).isEqualTo("site-1");
        assertThat(caller.deviceId()).isEqualTo(site.deviceIds().get(1));
        assertThat(caller.keyId()).isEqualTo(site.deviceKeys().get(1).keyId());
        assertThat(caller.roster().identityEpoch()).isEqualTo(3);
    }

    @Test
    void noAuthorizationHeaderIsUnauthenticated() {
        assertError(() -> authenticator.authenticate("POST", PATH, null, BODY), BridgeError.UNAUTHENTICATED);
        assertError(() -> authenticator.authenticate("POST", PATH, "Bearer abc", BODY), BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aSignatureOverAnotherBodyOrPathIsUnauthenticated() {
        final String header = header(0, clock.millis(), nonce(2));
        assertError(() -> authenticator.authenticate("POST", PATH, header, "{}".getBytes(StandardCharsets.UTF_8)), BridgeError.UNAUTHENTICATED);
        assertError(() -> authenticator.authenticate("POST", "/v1/authorities/site-1/sync", header(0, clock.millis(), nonce(3)), BODY),
                BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aKeyNotRosteredForTheNamedDeviceIsUnauthenticated() {
        final Ed25519Keys.SigningKey stranger = Ed25519Keys.generate();
        final String strangerHeader = RequestSignatures.header("POST", PATH, BODY, clock.millis(), nonce(4), "site-1", site.deviceIds().get(0), stranger);
        assertError(() -> authenticator.authenticate("POST", PATH, strangerHeader, BODY), BridgeError.UNAUTHENTICATED);

        // Device 1's key claiming to be device 0.
        final String swapped = RequestSignatures.header("POST", PATH, BODY, clock.millis(), nonce(5), "site-1", site.deviceIds().get(0),
                site.deviceKeys().get(1));
        assertError(() -> authenticator.authenticate("POST", PATH, swapped, BODY), BridgeError.UNAUTHENTICATED);
    }

    @Test
    void anUnknownAuthorityIsUnauthenticated() {
        final String header = RequestSignatures.header("POST", PATH, BODY, clock.millis(), nonce(6), "elsewhere", site.deviceIds().get(0),
                site.deviceKeys().get(0));
        assertError(() -> authenticator.authenticate("POST", PATH, header, BODY), BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aTimestampOutsideTheSkewWindowIsStaleAndTheAnswerHasTheServerTime() {
        final ApiException stale = assertError(() -> authenticator.authenticate("POST", PATH, header(0, clock.millis() - SKEW - 1, nonce(7)), BODY),
                BridgeError.STALE_REQUEST);
        assertThat(stale.extra()).containsEntry("serverTimeMillis", clock.millis());
        assertError(() -> authenticator.authenticate("POST", PATH, header(0, clock.millis() + SKEW + 1, nonce(8)), BODY), BridgeError.STALE_REQUEST);
    }

    @Test
    void aTimestampWhoseDistanceToTheServerTimeOverflowsIsStale() {
        // now - ts wraps to Long.MIN_VALUE, and Math.abs(Long.MIN_VALUE) is negative: the skew check let this signed
        // request through (and its replay-cache entry expired at once, so it could be replayed in that millisecond).
        final long ts = clock.millis() + Long.MIN_VALUE;
        assertError(() -> authenticator.authenticate("POST", PATH, header(0, ts, nonce(12)), BODY), BridgeError.STALE_REQUEST);
        assertError(() -> authenticator.authenticate("POST", PATH, header(0, Long.MAX_VALUE, nonce(13)), BODY), BridgeError.STALE_REQUEST);
        assertError(() -> authenticator.authenticate("POST", PATH, header(0, Long.MIN_VALUE, nonce(14)), BODY), BridgeError.STALE_REQUEST);
    }

    @Test
    void aNonceUsedTwiceByTheSameKeyIsAReplayAttributedToTheDevice() {
        final String header = header(2, clock.millis(), nonce(9));
        authenticator.authenticate("POST", PATH, header, BODY);

        assertThatThrownBy(() -> authenticator.authenticate("POST", PATH, header, BODY))
                .isInstanceOfSatisfying(DeviceAuthenticator.AttributedException.class, e -> {
                    assertThat(e.error().error()).isEqualTo(BridgeError.REPLAYED_REQUEST);
                    assertThat(e.caller().deviceId()).isEqualTo(site.deviceIds().get(2));
                });
        // Another key may use the same nonce.
        authenticator.authenticate("POST", PATH, header(1, clock.millis(), nonce(9)), BODY);
    }

    @Test
    void aForgedRequestDoesNotUseUpTheDevicesNonce() {
        final String forged = header(0, clock.millis(), nonce(10)).replaceAll("sig=[0-9a-f]+", "sig=" + "ab".repeat(64));
        assertError(() -> authenticator.authenticate("POST", PATH, forged, BODY), BridgeError.UNAUTHENTICATED);

        authenticator.authenticate("POST", PATH, header(0, clock.millis(), nonce(10)), BODY);
    }

    @Test
    void aNonceIsForgottenOnlyOnceItsRequestWouldBeStaleAnyway() {
        final long ts = clock.millis();
        authenticator.authenticate("POST", PATH, header(0, ts, nonce(11)), BODY);
        clock.advance(Duration.ofMillis(SKEW + 1));

        assertError(() -> authenticator.authenticate("POST", PATH, header(0, ts, nonce(11)), BODY), BridgeError.STALE_REQUEST);
    }

    private static String nonce(final int i) {
        return String.format("%032x", i);
    }

    private static ApiException assertError(final ThrowableAssert.ThrowingCallable call, final BridgeError expected) {
        final ApiException[] caught = new ApiException[1];
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isEqualTo(expected);
            assertThat(e.getMessage()).isNotBlank();
            caught[0] = e;
        });
        return caught[0];
    }
}
