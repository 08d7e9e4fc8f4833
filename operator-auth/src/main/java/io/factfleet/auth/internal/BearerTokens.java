package io.factfleet.auth.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.Refusal;
import java.io.IOException;
import java.net.MalformedURLException;
import java.text.ParseException;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Validates OIDC/JWT bearer tokens with nimbus-jose-jwt: the signature against the JWKS (asymmetric algorithms only,
 * so a token cannot be forged with a public key as an HMAC secret), the issuer, the audience, {@code exp} (required)
 * and {@code nbf}.
 */
public final class BearerTokens {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    /** A validated token's claims, or why it is refused. */
    public sealed interface Outcome {
        record Valid(JWTClaimsSet claims) implements Outcome {
        }

        record Invalid(Refusal refusal) implements Outcome {
        }
    }

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    public BearerTokens(final OperatorAuthConfig config, final LongSupplier clock) {
        final JWKSource<SecurityContext> keys;
        try {
            keys = config.jwksUrl().isPresent()
                    ? JWKSourceBuilder.create(config.jwksUrl().get().toURL()).build()
                    : new FollowedJwkFile(config.jwksFile().orElseThrow(), config.operatorsReload(), clock);
        } catch (final MalformedURLException e) {
            throw new IllegalArgumentException(OperatorAuthConfig.JWKS_URL + " is not a URL: " + e.getMessage(), e);
        } catch (final IOException | ParseException e) {
            throw new IllegalArgumentException("cannot read the JWKS file " + config.jwksFile().orElseThrow() + ": " + e.getMessage(), e);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        final DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(Set.of(config.jwtAudience().orElseThrow()),
                new JWTClaimsSet.Builder().issuer(config.jwtIssuer().orElseThrow()).build(), Set.of("sub", "exp"), null);
        claims.setMaxClockSkew((int) config.jwtClockSkew().toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    public Outcome validate(final String token) {
        try {
            return new Outcome.Valid(processor.process(token, null));
        } catch (final ExpiredJWTException e) {
            return new Outcome.Invalid(new Refusal(Refusal.Code.TOKEN_EXPIRED, "the bearer token has expired; get a new one from your identity provider"));
        } catch (final ParseException e) {
            return new Outcome.Invalid(new Refusal(Refusal.Code.BAD_TOKEN, "the bearer token is not a signed JWT: " + e.getMessage()));
        } catch (final BadJOSEException | JOSEException e) {
            return new Outcome.Invalid(new Refusal(Refusal.Code.BAD_TOKEN, "the bearer token does not validate: " + e.getMessage()));
        }
    }
}
