package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.factfleet.bridge.BridgeError;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import io.factfleet.core.SignatureVerifier;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the parser and checker of the devices' signed-request {@code Authorization} header
 * ({@link RequestSignatures#parse} and {@link DeviceAuthenticator}); the input is the header's bytes (UTF-8) of a
 * fixed request, {@code POST /v1/authorities/fuzz-site/facts}, at a fixed server time.
 *
 * <p>Contract: {@code parse} never throws (absent or malformed is empty; what it returns has an authority, a device,
 * a key and a nonce of 32+ lower-case hex digits); {@code authenticate} returns the caller or throws the
 * {@link ApiException} that the HTTP layer answers as 401 (UNAUTHENTICATED, STALE_REQUEST) or, wrapped in an
 * {@link DeviceAuthenticator.AttributedException}, REPLAYED_REQUEST. Anything else is a finding.
 */
@ExtendWith(FuzzStats.class)
class DeviceAuthenticatorFuzzTest {
    static final long SKEW = 300_000;
    static final String METHOD = "POST";
    static final String PATH = "/v1/authorities/fuzz-site/facts";
    static final byte[] BODY = "{\"facts\": []}".getBytes(StandardCharsets.UTF_8);
    static final Set<BridgeError> REFUSALS = EnumSet.of(BridgeError.UNAUTHENTICATED, BridgeError.STALE_REQUEST);

    static final AuthorityGenesis SITE = FuzzFixtures.authority("fuzz-site", 3, 2);
    static final MutableClock CLOCK = new MutableClock(FuzzFixtures.T0);
    static final DeviceAuthenticator AUTHENTICATOR = new DeviceAuthenticator((id, device) -> {
        if (!id.equals(SITE.authorityId())) {
            throw ApiException.of(BridgeError.UNKNOWN_AUTHORITY, "no authority " + id);
        }
        return TestRosters.of(SITE, 1);
    }, new ReplayCache(SKEW, CLOCK), SignatureVerifier.bouncyCastle(), SKEW, CLOCK);

    @FuzzTest
    void authenticate(final byte[] input) {
        FuzzStats.executed(DeviceAuthenticatorFuzzTest.class);
        final String header = new String(input, StandardCharsets.UTF_8);
        final Optional<RequestSignatures.Credentials> parsed = RequestSignatures.parse(header);
        parsed.ifPresent(c -> {
            assertThat(c.authorityId()).isNotNull();
            assertThat(c.deviceId()).isNotNull();
            assertThat(c.keyId()).isNotNull();
            assertThat(c.nonce()).matches("[0-9a-f]{32,}");
            assertThat(c.signature()).isNotNull();
        });
        try {
            final Caller caller = AUTHENTICATOR.authenticate(METHOD, PATH, header, BODY);
            assertThat(parsed).isPresent();
            assertThat(caller.deviceId()).isEqualTo(parsed.get().deviceId());
        } catch (final DeviceAuthenticator.AttributedException replayed) {
            assertThat(replayed.error().error()).isEqualTo(BridgeError.REPLAYED_REQUEST);
        } catch (final ApiException refused) {
            assertThat(refused.error()).as("%s", refused).isIn(REFUSALS);
            assertThat(refused.status()).isEqualTo(401);
        }
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        for (int device = 0; device < 2; device++) {
            final String nonce = Hashing.hex(Hashing.sha256(("nonce-" + device).getBytes(StandardCharsets.UTF_8))).substring(0, 32);
            seeds.put("seed-device-" + device, RequestSignatures.header(METHOD, PATH, BODY, FuzzFixtures.T0, nonce, SITE.authorityId(),
                    SITE.deviceIds().get(device), SITE.deviceKeys().get(device)).getBytes(StandardCharsets.UTF_8));
        }
        return seeds;
    }

    @Test
    void theCommittedSeedsAreHeadersThatAuthenticate() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(DeviceAuthenticatorFuzzTest.class, "authenticate", DeviceAuthenticatorFuzzTest::validInputs);
        assertThat(seeds).containsOnlyKeys("seed-device-0", "seed-device-1");
        // A fresh replay cache: the seeds may have been used by the fuzz test in this JVM already.
        final DeviceAuthenticator fresh = new DeviceAuthenticator((id, device) -> TestRosters.of(SITE, 1), new ReplayCache(SKEW, CLOCK),
                SignatureVerifier.bouncyCastle(), SKEW, CLOCK);
        seeds.forEach((name, header) -> assertThat(fresh.authenticate(METHOD, PATH, new String(header, StandardCharsets.UTF_8), BODY).deviceId())
                .as(name).isEqualTo(SITE.deviceIds().get(name.endsWith("0") ? 0 : 1)));
    }
}
