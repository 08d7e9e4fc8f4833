package io.factfleet.auth;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How a service authenticates operators, from Kafka-style properties (the service's own: its properties file, or
 * environment variables as for any other setting, {@code FACTFLEET_FACTFLEET_AUTH_OPERATORS_FILE} for
 * {@code factfleet.auth.operators.file}):
 * <table>
 * <caption>Properties</caption>
 * <tr><th>property</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@value #ENABLED}</td><td>true</td><td>false lets every caller act as admin (embedded tests only; logged as a warning)</td></tr>
 * <tr><td>{@value #OPERATORS_FILE}</td><td>none</td><td>the operators file (JSON, mode 600), re-read when it changes</td></tr>
 * <tr><td>{@value #OPERATORS_RELOAD_MS}</td><td>1000</td><td>how often the operators file is checked for changes</td></tr>
 * <tr><td>{@value #REQUEST_SKEW_MS}</td><td>120000</td><td>how far a signed request's {@code ts} may be from this clock</td></tr>
 * <tr><td>{@value #REPLAY_CACHE_SIZE}</td><td>1000000</td><td>nonces remembered (for twice the skew)</td></tr>
 * <tr><td>{@value #JWKS_URL}</td><td>none</td><td>the identity provider's JWKS URL (enables bearer tokens)</td></tr>
 * <tr><td>{@value #JWKS_FILE}</td><td>none</td><td>a JWKS file instead of a URL (re-read when it changes, like the operators file)</td></tr>
 * <tr><td>{@value #JWT_ISSUER}</td><td>none</td><td>the {@code iss} tokens must carry (required with a JWKS)</td></tr>
 * <tr><td>{@value #JWT_AUDIENCE}</td><td>none</td><td>an {@code aud} tokens must carry (required with a JWKS)</td></tr>
 * <tr><td>{@value #JWT_ROLES_CLAIM}</td><td>{@value #DEFAULT_ROLES_CLAIM}</td><td>the claim listing {@code role@authority} grants</td></tr>
 * <tr><td>{@value #JWT_CLOCK_SKEW_S}</td><td>60</td><td>tolerance on {@code exp} and {@code nbf}</td></tr>
 * <tr><td>{@value #METRICS_OPEN}</td><td>false</td><td>true serves {@code /metrics} without credentials (for a scraper)</td></tr>
 * </table>
 *
 * @param enabled          whether callers are authenticated at all
 * @param operatorsFile    the operators file, if any
 * @param operatorsReload  how often it is checked for changes
 * @param requestSkew      the signed requests' skew window
 * @param replayCacheSize  nonces remembered
 * @param jwksUrl          the JWKS URL, if any
 * @param jwksFile         the JWKS file, if any
 * @param jwtIssuer        the required issuer
 * @param jwtAudience      the required audience
 * @param jwtRolesClaim    the roles claim
 * @param jwtClockSkew     tolerance on token times
 * @param metricsOpen      whether {@code /metrics} is open
 */
public record OperatorAuthConfig(boolean enabled, Optional<Path> operatorsFile, Duration operatorsReload, Duration requestSkew,
                                 long replayCacheSize, Optional<URI> jwksUrl, Optional<Path> jwksFile, Optional<String> jwtIssuer,
                                 Optional<String> jwtAudience, String jwtRolesClaim, Duration jwtClockSkew, boolean metricsOpen) {
    public static final String ENABLED = "factfleet.auth.enabled";
    public static final String OPERATORS_FILE = "factfleet.auth.operators.file";
    public static final String OPERATORS_RELOAD_MS = "factfleet.auth.operators.reload.ms";
    public static final String REQUEST_SKEW_MS = "factfleet.auth.request.skew.ms";
    public static final String REPLAY_CACHE_SIZE = "factfleet.auth.replay.cache.size";
    public static final String JWKS_URL = "factfleet.auth.jwt.jwks.url";
    public static final String JWKS_FILE = "factfleet.auth.jwt.jwks.file";
    public static final String JWT_ISSUER = "factfleet.auth.jwt.issuer";
    public static final String JWT_AUDIENCE = "factfleet.auth.jwt.audience";
    public static final String JWT_ROLES_CLAIM = "factfleet.auth.jwt.roles.claim";
    public static final String JWT_CLOCK_SKEW_S = "factfleet.auth.jwt.clock.skew.seconds";
    public static final String METRICS_OPEN = "factfleet.auth.metrics.open";
    public static final String DEFAULT_ROLES_CLAIM = "factfleet_roles";

    /**
     * The settings among {@code properties} (other keys are ignored, so a service's whole configuration may be passed).
     *
     * @throws IllegalArgumentException naming the property that is wrong
     */
    public static OperatorAuthConfig from(final Map<?, ?> properties) {
        final boolean enabled = bool(properties, ENABLED, true);
        final OperatorAuthConfig config = new OperatorAuthConfig(enabled,
                text(properties, OPERATORS_FILE).map(Path::of),
                Duration.ofMillis(number(properties, OPERATORS_RELOAD_MS, 1_000)),
                Duration.ofMillis(number(properties, REQUEST_SKEW_MS, 120_000)),
                number(properties, REPLAY_CACHE_SIZE, 1_000_000),
                text(properties, JWKS_URL).map(URI::create),
                text(properties, JWKS_FILE).map(Path::of),
                text(properties, JWT_ISSUER), text(properties, JWT_AUDIENCE),
                text(properties, JWT_ROLES_CLAIM).orElse(DEFAULT_ROLES_CLAIM),
                Duration.ofSeconds(number(properties, JWT_CLOCK_SKEW_S, 60)),
                bool(properties, METRICS_OPEN, false));
        if (config.jwksUrl.isPresent() && config.jwksFile.isPresent()) {
            throw new IllegalArgumentException("set " + JWKS_URL + " or " + JWKS_FILE + ", not both");
        }
        if (config.jwtEnabled() && (config.jwtIssuer.isEmpty() || config.jwtAudience.isEmpty())) {
            throw new IllegalArgumentException("bearer tokens need " + JWT_ISSUER + " and " + JWT_AUDIENCE
                    + " (the identity provider's issuer and the audience it puts in tokens for FactFleet)");
        }
        if (enabled && config.operatorsFile.isEmpty() && !config.jwtEnabled()) {
            throw new IllegalArgumentException("operators are authenticated (" + ENABLED + "=true) but nobody could be: set "
                    + OPERATORS_FILE + " (the operators file; ./factfleet run creates one in its data directory) or "
                    + JWKS_URL + " with " + JWT_ISSUER + " and " + JWT_AUDIENCE);
        }
        return config;
    }

    /** Whether bearer tokens are accepted. */
    public boolean jwtEnabled() {
        return jwksUrl.isPresent() || jwksFile.isPresent();
    }

    private static Optional<String> text(final Map<?, ?> p, final String key) {
        final Object value = p.get(key);
        return value == null || value.toString().isBlank() ? Optional.empty() : Optional.of(value.toString().strip());
    }

    private static boolean bool(final Map<?, ?> p, final String key, final boolean fallback) {
        final Optional<String> value = text(p, key);
        if (value.isEmpty()) {
            return fallback;
        }
        if (!value.get().equalsIgnoreCase("true") && !value.get().equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(key + " must be true or false, not '" + value.get() + "'");
        }
        return Boolean.parseBoolean(value.get());
    }

    private static long number(final Map<?, ?> p, final String key, final long fallback) {
        final Optional<String> value = text(p, key);
        try {
            final long n = value.map(Long::parseLong).orElse(fallback);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a positive whole number, not '" + value.orElse("") + "'");
        }
    }
}
