package io.factfleet.auth.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jwt.JWTClaimsSet;
import io.factfleet.auth.Caller;
import io.factfleet.auth.Grants;
import io.factfleet.auth.OperatorAuthConfig;
import io.factfleet.auth.OperatorsFile;
import io.factfleet.auth.Refusal;
import io.factfleet.auth.Role;
import io.factfleet.core.Hashing;
import io.factfleet.core.RequestSignatures;
import io.factfleet.core.SignatureVerifier;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Turns an Authorization header into a {@link Caller} or a {@link Refusal}. Three schemes:
 * <ul>
 * <li>{@code FactFleet-Operator-Ed25519 key=<key id>,ts=<millis>,nonce=<32+ hex>,sig=<hex>}: the device scheme's
 *     message ({@link RequestSignatures#message(String, String, String, long, String, byte[])}) under the operator
 *     context; the key must be in the operators file, {@code ts} within the skew window, the nonce unused;</li>
 * <li>{@code Bearer <JWT>}: validated by {@link BearerTokens}; grants from the roles claim plus the operators file's
 *     entry whose {@code jwtSubject} is the token's {@code sub};</li>
 * <li>{@code Basic <base64 user:password>}: the operators file's bcrypt hash (Confluent's registry clients send this).</li>
 * </ul>
 * A request without an Authorization header that came with a client certificate (mutual TLS: the TLS layer has
 * checked it against the service's truststore) is the operator whose {@code tlsSubject} is the certificate's subject.
 */
public final class Authenticator {
    /** A caller or a refusal, with who the caller claimed to be (for logs; never a secret). */
    public record Outcome(Optional<Caller> caller, Optional<Refusal> refusal, String claimed) {
        static Outcome ok(final Caller caller) {
            return new Outcome(Optional.of(caller), Optional.empty(), caller.id());
        }

        static Outcome refused(final Refusal.Code code, final String message, final String claimed) {
            return new Outcome(Optional.empty(), Optional.of(new Refusal(code, message)), claimed);
        }
    }

    private final OperatorAuthConfig config;
    private final Optional<OperatorsFile> operators;
    private final Optional<BearerTokens> tokens;
    private final ReplayCache replays;
    private final SignatureVerifier verifier = SignatureVerifier.bouncyCastle();
    private final LongSupplier clock;
    /** Logins whose bcrypt check passed, by a hash of user, password and stored hash: bcrypt is slow on purpose, once is enough. */
    private final Cache<String, Boolean> checkedLogins = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(10)).maximumSize(10_000).build();

    public Authenticator(final OperatorAuthConfig config, final LongSupplier clock) {
        this.config = config;
        this.clock = clock;
        this.operators = config.operatorsFile().map(f -> OperatorsFile.follow(f, config.operatorsReload()));
        this.tokens = config.jwtEnabled() ? Optional.of(new BearerTokens(config, clock)) : Optional.empty();
        this.replays = new ReplayCache(config.requestSkew(), config.replayCacheSize());
    }

    /** The schemes accepted, for {@code WWW-Authenticate}. */
    public List<String> schemes() {
        return tokens.isPresent() ? List.of(RequestSignatures.OPERATOR_SCHEME, "Bearer", "Basic realm=\"FactFleet\"")
                : List.of(RequestSignatures.OPERATOR_SCHEME, "Basic realm=\"FactFleet\"");
    }

    public Outcome authenticate(final String method, final String pathWithQuery, final String authorization, final byte[] body) {
        return authenticate(method, pathWithQuery, authorization, body, Optional.empty());
    }

    /**
     * @param clientCertificate the TLS client certificate the connection presented, already verified against the
     *                          service's truststore by the TLS layer; used when there is no Authorization header
     */
    public Outcome authenticate(final String method, final String pathWithQuery, final String authorization, final byte[] body,
                                final Optional<java.security.cert.X509Certificate> clientCertificate) {
        if ((authorization == null || authorization.isBlank()) && clientCertificate.isPresent()) {
            return certificate(clientCertificate.get());
        }
        if (authorization == null || authorization.isBlank()) {
            return Outcome.refused(Refusal.Code.UNAUTHENTICATED, "this endpoint needs operator credentials: a request signed with your operator key ("
                    + RequestSignatures.OPERATOR_SCHEME + "; the factfleet CLI does it), a bearer token from your identity provider, or a basic login", "anonymous");
        }
        final int space = authorization.indexOf(' ');
        final String scheme = space < 0 ? authorization : authorization.substring(0, space);
        final String rest = space < 0 ? "" : authorization.substring(space + 1).strip();
        if (scheme.equals(RequestSignatures.OPERATOR_SCHEME)) {
            return signed(method, pathWithQuery, rest, body);
        }
        if (scheme.equalsIgnoreCase("Bearer") && tokens.isPresent()) {
            return bearer(rest);
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            return basic(rest);
        }
        return Outcome.refused(Refusal.Code.MALFORMED_CREDENTIALS, "this service accepts the Authorization schemes " + String.join(", ", schemes())
                + "; '" + scheme + "' is not one of them" + (scheme.equals(RequestSignatures.SCHEME) ? " (that is the devices' scheme, for the edge bridge)" : ""),
                "anonymous");
    }

    private Outcome signed(final String method, final String pathWithQuery, final String params, final byte[] body) {
        final Map<String, String> p = new LinkedHashMap<>();
        for (final String part : params.split(",")) {
            final int eq = part.indexOf('=');
            if (eq > 0) {
                p.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
            }
        }
        final String keyId = p.get("key");
        final String nonce = p.get("nonce");
        final long ts;
        final byte[] signature;
        try {
            ts = Long.parseLong(p.getOrDefault("ts", ""));
            signature = Hashing.unhex(p.getOrDefault("sig", ""));
        } catch (final RuntimeException e) {
            return malformedSignature(keyId);
        }
        if (keyId == null || nonce == null || nonce.length() < 32 || !nonce.matches("[0-9a-f]+") || signature.length == 0) {
            return malformedSignature(keyId);
        }
        final String claimed = "key " + keyId;
        final Optional<OperatorDirectory.Key> key = directory().flatMap(d -> d.byKeyId(keyId));
        if (key.isEmpty()) {
            return Outcome.refused(Refusal.Code.UNKNOWN_OPERATOR, "key " + keyId + " is not in this service's operators file; ask an admin to add "
                    + "your public key (README, Security)", claimed);
        }
        final long now = clock.getAsLong();
        final long maxSkew = config.requestSkew().toMillis();
        // Not Math.abs(now - ts) > maxSkew: for ts = now + Long.MIN_VALUE the difference wraps and its absolute value is negative.
        if (ts < now - maxSkew || ts > now + maxSkew) {
            return Outcome.refused(Refusal.Code.STALE_REQUEST, "ts " + ts + " is more than " + maxSkew + " ms from this service's clock ("
                    + now + "); sign with the current time and check the clocks", claimed);
        }
        final byte[] message = RequestSignatures.message(RequestSignatures.OPERATOR_CONTEXT, method, pathWithQuery, ts, nonce, body);
        if (!verifier.verify(key.get().publicKey(), message, signature)) {
            return Outcome.refused(Refusal.Code.BAD_SIGNATURE, "the signature does not verify with key " + keyId + " over '"
                    + RequestSignatures.OPERATOR_CONTEXT + "\\n<METHOD>\\n<path with query>\\n<ts>\\n<nonce>\\n<hex SHA-256 of the body>'", claimed);
        }
        // Recorded only once the signature holds, so a forger cannot use up an operator's nonces.
        if (!replays.firstUse(keyId, nonce)) {
            return Outcome.refused(Refusal.Code.REPLAYED_REQUEST, "nonce " + nonce + " was already used with key " + keyId
                    + "; sign every request with a fresh nonce", key.get().operator().entry().id());
        }
        return Outcome.ok(new Caller(key.get().operator().entry().id(), Caller.Method.ED25519, key.get().operator().grants()));
    }

    private Outcome certificate(final java.security.cert.X509Certificate certificate) {
        final javax.security.auth.x500.X500Principal subject = certificate.getSubjectX500Principal();
        final String claimed = "certificate " + subject.getName();
        // The TLS layer has checked the chain and its validity dates against the truststore.
        final Optional<OperatorDirectory.Known> known = directory().flatMap(d -> d.byTlsSubject(subject));
        if (known.isEmpty()) {
            return Outcome.refused(Refusal.Code.UNKNOWN_OPERATOR, "no operator in this service's operators file has the tlsSubject '"
                    + subject.getName() + "' of your client certificate; ask an admin to add it (README, Security)", claimed);
        }
        return Outcome.ok(new Caller(known.get().entry().id(), Caller.Method.MTLS, known.get().grants()));
    }

    private static Outcome malformedSignature(final String keyId) {
        return Outcome.refused(Refusal.Code.MALFORMED_CREDENTIALS, "the Authorization header is not '" + RequestSignatures.OPERATOR_SCHEME
                + " key=<key id>,ts=<millis>,nonce=<16+ random bytes, lower-case hex>,sig=<hex>'", keyId == null ? "anonymous" : "key " + keyId);
    }

    private Outcome bearer(final String token) {
        final BearerTokens.Outcome outcome = tokens.orElseThrow().validate(token);
        if (outcome instanceof BearerTokens.Outcome.Invalid invalid) {
            return new Outcome(Optional.empty(), Optional.of(invalid.refusal()), "a bearer token");
        }
        final JWTClaimsSet claims = ((BearerTokens.Outcome.Valid) outcome).claims();
        final String subject = claims.getSubject();
        final Optional<OperatorDirectory.Known> listed = directory().flatMap(d -> d.bySubject(subject));
        final Grants grants = tokenGrants(claims).union(listed.map(OperatorDirectory.Known::grants).orElse(Grants.none()));
        return Outcome.ok(new Caller(listed.map(k -> k.entry().id()).orElse("jwt:" + subject), Caller.Method.JWT, grants));
    }

    /** {@code role@authority} strings in the configured claim; anything else grants nothing. */
    private Grants tokenGrants(final JWTClaimsSet claims) {
        final List<String> values;
        try {
            values = claims.getStringListClaim(config.jwtRolesClaim());
        } catch (final ParseException e) {
            return Grants.none();
        }
        if (values == null) {
            return Grants.none();
        }
        final Map<String, Set<Role>> byAuthority = new HashMap<>();
        for (final String value : values) {
            final int at = value.indexOf('@');
            if (at <= 0 || at == value.length() - 1) {
                continue;
            }
            Role.byLabel(value.substring(0, at)).ifPresent(role ->
                    byAuthority.computeIfAbsent(value.substring(at + 1), a -> EnumSet.noneOf(Role.class)).add(role));
        }
        return new Grants(byAuthority);
    }

    private Outcome basic(final String encoded) {
        final String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (final IllegalArgumentException e) {
            return Outcome.refused(Refusal.Code.MALFORMED_CREDENTIALS, "the Basic credentials are not base64 of user:password", "anonymous");
        }
        final int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return Outcome.refused(Refusal.Code.MALFORMED_CREDENTIALS, "the Basic credentials are not base64 of user:password", "anonymous");
        }
        final String user = decoded.substring(0, colon);
        final String password = decoded.substring(colon + 1);
        final String claimed = "user " + user;
        final Optional<OperatorDirectory.Known> known = directory().flatMap(d -> d.byBasicUser(user));
        if (known.isEmpty()) {
            return Outcome.refused(Refusal.Code.UNKNOWN_OPERATOR, "user " + user + " has no basic login in this service's operators file", claimed);
        }
        final String hash = known.get().entry().basic().bcrypt();
        final String cacheKey = Hashing.hex(Hashing.sha256((user + "\0" + password + "\0" + hash).getBytes(StandardCharsets.UTF_8)));
        if (checkedLogins.getIfPresent(cacheKey) == null) {
            if (!OpenBSDBCrypt.checkPassword(hash, password.toCharArray())) {
                return Outcome.refused(Refusal.Code.BAD_PASSWORD, "wrong password for user " + user, claimed);
            }
            checkedLogins.put(cacheKey, Boolean.TRUE);
        }
        return Outcome.ok(new Caller(known.get().entry().id(), Caller.Method.BASIC, known.get().grants()));
    }

    private Optional<OperatorDirectory> directory() {
        return operators.map(OperatorsFile::directory);
    }
}
