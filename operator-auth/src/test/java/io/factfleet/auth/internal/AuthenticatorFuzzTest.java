package io.factfleet.auth.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.auth.OperatorsFile;
import io.factfleet.auth.Refusal;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.FuzzFixtures;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import io.factfleet.core.FuzzStats;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the operators' {@code Authorization} header parser ({@link Authenticator}) in all three schemes: the
 * signed {@code FactFleet-Operator-Ed25519 key=..,ts=..,nonce=..,sig=..}, {@code Bearer <JWT>} and
 * {@code Basic <base64>}. The input is the header's bytes (UTF-8) of a fixed request at a fixed time.
 *
 * <p>Contract: {@code authenticate} never throws; it returns a caller or exactly one {@link Refusal} with a 401
 * code (which {@code OperatorAuth} answers with {@code WWW-Authenticate}). An exception would reach the service's
 * catch-all as a 500: a finding.
 */
@ExtendWith(FuzzStats.class)
class AuthenticatorFuzzTest {
    static final String METHOD = "PUT";
    static final String PATH = "/config";
    static final byte[] BODY = "{\"compatibility\": \"FULL\"}".getBytes(StandardCharsets.UTF_8);
    static final String ISSUER = "https://idp.fuzz.example/";
    static final String AUDIENCE = "factfleet";
    static final Ed25519Keys.SigningKey OPERATOR = FuzzFixtures.key("operator-auth/root");
    /** A fixed P-256 key of the test identity provider (derived, so the committed bearer token seed stays valid). */
    static final ECKey IDP = ecKey(new BigInteger(1, Hashing.sha256("factfleet-fuzz/idp".getBytes(StandardCharsets.UTF_8))));
    static final String PASSWORD = "fuzz-password";

    static final Authenticator AUTHENTICATOR = authenticator();

    private static Authenticator authenticator() {
        try {
            final Path dir = Files.createTempDirectory("authenticator-fuzz");
            dir.toFile().deleteOnExit();
            final Path jwks = dir.resolve("jwks.json");
            Files.writeString(jwks, new JWKSet(IDP.toPublicJWK()).toString());
            final Path operators = dir.resolve("operators.json");
            // Cost 4 instead of the file's 10: the fuzzer tries many passwords, and the cost is not what is tested.
            final String bcrypt = OpenBSDBCrypt.generate("2y", PASSWORD.toCharArray(), new byte[16], 4);
            OperatorsFile.write(operators, List.of(
                    OperatorEntry.ed25519("root", List.of(Hashing.hex(OPERATOR.publicKey())), Map.of("*", List.of("admin"))),
                    new OperatorEntry("carol", List.of(), "carol@example.com", null, null, Map.of("b", List.of("operator"))),
                    new OperatorEntry("svc", List.of(), null, null, new OperatorEntry.BasicLogin("svc", bcrypt), Map.of("*", List.of("service")))));
            jwks.toFile().deleteOnExit();
            operators.toFile().deleteOnExit();
            final OperatorAuthConfig config = OperatorAuthConfig.from(Map.of(
                    OperatorAuthConfig.OPERATORS_FILE, operators.toString(),
                    OperatorAuthConfig.JWKS_FILE, jwks.toString(),
                    OperatorAuthConfig.JWT_ISSUER, ISSUER,
                    OperatorAuthConfig.JWT_AUDIENCE, AUDIENCE,
                    OperatorAuthConfig.OPERATORS_RELOAD_MS, "3600000"));
            return new Authenticator(config, () -> FuzzFixtures.T0);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ECKey ecKey(final BigInteger d) {
        final org.bouncycastle.jce.spec.ECNamedCurveParameterSpec p256 = org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("P-256");
        final org.bouncycastle.math.ec.ECPoint q = p256.getG().multiply(d).normalize();
        final byte[] dBytes = org.bouncycastle.util.BigIntegers.asUnsignedByteArray(32, d);
        return new ECKey.Builder(Curve.P_256, Base64URL.encode(q.getAffineXCoord().getEncoded()), Base64URL.encode(q.getAffineYCoord().getEncoded()))
                .d(Base64URL.encode(dBytes)).keyID("fuzz-idp").build();
    }

    @FuzzTest
    void authenticate(final byte[] input) {
        FuzzStats.executed(AuthenticatorFuzzTest.class);
        final Authenticator.Outcome outcome = AUTHENTICATOR.authenticate(METHOD, PATH, new String(input, StandardCharsets.UTF_8), BODY);
        assertThat(outcome.caller().isPresent()).as("a caller or a refusal, not both").isNotEqualTo(outcome.refusal().isPresent());
        outcome.refusal().ifPresent(r -> assertThat(r.status()).isEqualTo(401));
        assertThat(outcome.claimed()).isNotNull();
    }

    static Map<String, byte[]> validInputs() {
        final Map<String, byte[]> seeds = new TreeMap<>();
        final String nonce = Hashing.hex(Hashing.sha256("operator-nonce".getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        final byte[] signature = OPERATOR.sign(RequestSignatures.message(RequestSignatures.OPERATOR_CONTEXT, METHOD, PATH, FuzzFixtures.T0, nonce, BODY));
        seeds.put("seed-signed", (RequestSignatures.OPERATOR_SCHEME + " key=" + OPERATOR.keyId() + ",ts=" + FuzzFixtures.T0 + ",nonce=" + nonce
                + ",sig=" + Hashing.hex(signature)).getBytes(StandardCharsets.UTF_8));
        seeds.put("seed-basic", ("Basic " + Base64.getEncoder().encodeToString(("svc:" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .getBytes(StandardCharsets.UTF_8));
        try {
            final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("fuzz-idp").build(), new JWTClaimsSet.Builder()
                    .issuer(ISSUER).audience(AUDIENCE).subject("carol@example.com").expirationTime(new Date(4_102_444_800_000L))
                    .claim(OperatorAuthConfig.DEFAULT_ROLES_CLAIM, List.of("viewer@a", "operator@b")).build());
            jwt.sign(new ECDSASigner(IDP));
            seeds.put("seed-bearer", ("Bearer " + jwt.serialize()).getBytes(StandardCharsets.UTF_8));
        } catch (final com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
        return seeds;
    }

    @Test
    void theCommittedSeedsAuthenticateInEachScheme() {
        final Map<String, byte[]> seeds = FuzzFixtures.seedCorpus(AuthenticatorFuzzTest.class, "authenticate", AuthenticatorFuzzTest::validInputs);
        assertThat(seeds).containsOnlyKeys("seed-signed", "seed-basic", "seed-bearer");
        final Authenticator fresh = authenticator();
        seeds.forEach((name, header) -> assertThat(fresh.authenticate(METHOD, PATH, new String(header, StandardCharsets.UTF_8), BODY).caller())
                .as(name).isPresent());
    }
}
