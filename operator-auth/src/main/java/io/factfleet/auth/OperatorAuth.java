package io.factfleet.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.auth.internal.Authenticator;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.security.RouteRole;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator authentication and authorization for one HTTP service. Install it in the service's Javalin configuration
 * and declare an {@link AccessRule} on every route:
 * <pre>{@code
 * OperatorAuth auth = OperatorAuth.create(OperatorAuthConfig.from(properties), meterRegistry);
 * Javalin app = Javalin.create(c -> auth.configure(c));
 * app.get("/health", health, AccessRule.open());
 * app.post("/authorities/{id}/snapshots", propose, AccessRule.authority(Permission.SNAPSHOT_PROPOSE));
 * }</pre>
 * Before a matched route's handler runs, the caller is authenticated (Ed25519-signed request, bearer token, basic
 * login or a TLS client certificate; see {@link Caller.Method}) and its grants checked against the rule. A refusal answers 401 or 403 with
 * {@code {"code", "message"}}, is counted in {@code factfleet_auth_refused_total{reason}} and logged with the caller
 * (never the credential). A route without a rule is refused: new endpoints are closed until someone decides who may
 * call them. {@link #routes()} lists every route with its rule, for tests over all of them.
 */
public final class OperatorAuth {
    /** The Javalin context attribute holding the authenticated {@link Caller}. */
    public static final String CALLER_ATTRIBUTE = "factfleet.auth.caller";
    /** The refusal counter's name (Prometheus: {@code factfleet_auth_refused_total}). */
    public static final String REFUSED_METRIC = "factfleet.auth.refused";
    private static final Logger LOG = LoggerFactory.getLogger(OperatorAuth.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<HandlerType> ENDPOINT_TYPES = Set.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH,
            HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS);
    private static final Caller UNAUTHENTICATED_ADMIN = new Caller("auth-disabled", Caller.Method.DISABLED,
            Grants.of(Grants.EVERY_AUTHORITY, Role.ADMIN));

    /**
     * A route of the service and what it requires.
     *
     * @param method the HTTP method
     * @param path   the path template, e.g. {@code /authorities/{id}/state}
     * @param rule   its access rule; empty for a route that declares none (and is therefore refused)
     */
    public record Route(String method, String path, Optional<AccessRule> rule) {
    }

    /** Whether a request may proceed: the caller, or why not. */
    public record Decision(Optional<Caller> caller, Optional<Refusal> refusal) {
        static Decision allow(final Caller caller) {
            return new Decision(Optional.ofNullable(caller), Optional.empty());
        }

        static Decision refuse(final Refusal refusal) {
            return new Decision(Optional.empty(), Optional.of(refusal));
        }

        public boolean allowed() {
            return refusal.isEmpty();
        }
    }

    private final OperatorAuthConfig config;
    private final Authenticator authenticator;
    private final MeterRegistry meters;
    private final List<Route> routes = new CopyOnWriteArrayList<>();

    private OperatorAuth(final OperatorAuthConfig config, final MeterRegistry meters, final LongSupplier clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.authenticator = new Authenticator(config, clock);
        if (!config.enabled()) {
            LOG.warn("Operator authentication is OFF ({}=false): every caller may act as admin on every authority", OperatorAuthConfig.ENABLED);
        }
    }

    /**
     * @throws IllegalArgumentException when the operators file or JWKS cannot be read
     */
    public static OperatorAuth create(final OperatorAuthConfig config, final MeterRegistry meters) {
        return new OperatorAuth(config, meters, System::currentTimeMillis);
    }

    /** As {@link #create(OperatorAuthConfig, MeterRegistry)} with the settings among a service's properties. */
    public static OperatorAuth fromProperties(final Map<?, ?> properties, final MeterRegistry meters) {
        return create(OperatorAuthConfig.from(properties), meters);
    }

    /** The configuration in force. */
    public OperatorAuthConfig config() {
        return config;
    }

    /** Records the routes as they are added and checks every matched request before its handler. */
    public void configure(final JavalinConfig javalin) {
        javalin.events(events -> events.handlerAdded(meta -> {
            if (ENDPOINT_TYPES.contains(meta.getHttpMethod())) {
                routes.add(new Route(meta.getHttpMethod().name(), meta.getPath(), rule(meta.getRoles())));
            }
        }));
        javalin.router.mount(routing -> routing.beforeMatched(this::guard));
    }

    /** Every route added so far, with its rule (empty when it declares none). */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    /** The caller a handler runs for (present once {@link #configure} guarded the request). */
    public static Optional<Caller> caller(final Context ctx) {
        return Optional.ofNullable(ctx.attribute(CALLER_ATTRIBUTE));
    }

    private static Optional<AccessRule> rule(final Set<RouteRole> roles) {
        final List<AccessRule> rules = new ArrayList<>();
        for (final RouteRole r : roles) {
            if (r instanceof AccessRule rule) {
                rules.add(rule);
            }
        }
        return rules.size() == 1 ? Optional.of(rules.get(0)) : Optional.empty();
    }

    private void guard(final Context ctx) {
        final Optional<AccessRule> rule = rule(ctx.routeRoles());
        final String query = ctx.queryString();
        final String pathWithQuery = ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query);
        final Decision decision = rule.isEmpty()
                ? refuseUnruled(ctx.method().name(), ctx.endpointHandlerPath())
                : decide(rule.get(), ctx.method().name(), pathWithQuery, ctx.header("Authorization"), ctx.bodyAsBytes(),
                        name -> ctx.pathParamMap().get(name), ctx.ip(), clientCertificate(ctx));
        if (decision.allowed()) {
            decision.caller().ifPresent(c -> ctx.attribute(CALLER_ATTRIBUTE, c));
            return;
        }
        final Refusal refusal = decision.refusal().orElseThrow();
        if (refusal.status() == 401) {
            authenticator.schemes().forEach(s -> ctx.res().addHeader("WWW-Authenticate", s));
        }
        ctx.status(refusal.status()).contentType("application/json")
                .result(JSON.createObjectNode().put("code", refusal.code().name()).put("message", refusal.message()).toString());
        ctx.skipRemainingHandlers();
    }

    /** The client certificate of the request's TLS connection (Jetty's servlet attribute), when it presented one. */
    private static Optional<java.security.cert.X509Certificate> clientCertificate(final Context ctx) {
        final Object chain = ctx.req().getAttribute("jakarta.servlet.request.X509Certificate");
        return chain instanceof java.security.cert.X509Certificate[] certificates && certificates.length > 0
                ? Optional.of(certificates[0]) : Optional.empty();
    }

    private Decision refuseUnruled(final String method, final String path) {
        LOG.error("Refused {} {}: the route declares no access rule (declare one with AccessRule where the route is added)", method, path);
        return count(Decision.refuse(new Refusal(Refusal.Code.NO_ACCESS_RULE, method + " " + path
                + " declares no access rule, so nobody may call it until it does")));
    }

    /**
     * Decides one request against {@code rule} (what the Javalin guard does; usable without Javalin).
     *
     * @param pathParams the request's path parameters by name (for {@link AccessRule.PerAuthority})
     * @param remote     the caller's address, for the log
     */
    public Decision decide(final AccessRule rule, final String method, final String pathWithQuery, final String authorization, final byte[] body,
                           final UnaryOperator<String> pathParams, final String remote) {
        return decide(rule, method, pathWithQuery, authorization, body, pathParams, remote, Optional.empty());
    }

    /**
     * As {@link #decide(AccessRule, String, String, String, byte[], UnaryOperator, String)} for a request whose TLS
     * connection presented {@code clientCertificate} (verified by the TLS layer against the truststore).
     */
    public Decision decide(final AccessRule rule, final String method, final String pathWithQuery, final String authorization, final byte[] body,
                           final UnaryOperator<String> pathParams, final String remote,
                           final Optional<java.security.cert.X509Certificate> clientCertificate) {
        if (rule instanceof AccessRule.Open || (rule instanceof AccessRule.Metrics && config.metricsOpen())) {
            return Decision.allow(null);
        }
        if (!config.enabled()) {
            return Decision.allow(UNAUTHENTICATED_ADMIN);
        }
        final Authenticator.Outcome outcome = authenticator.authenticate(method, pathWithQuery, authorization, body, clientCertificate);
        if (outcome.refusal().isPresent()) {
            return refused(outcome.refusal().get(), method, pathWithQuery, outcome.claimed(), remote);
        }
        final Caller caller = outcome.caller().orElseThrow();
        final Permission permission;
        final Optional<String> authority;
        if (rule instanceof AccessRule.PerAuthority per) {
            permission = per.permission();
            authority = Optional.ofNullable(pathParams.apply(per.pathParam()));
        } else if (rule instanceof AccessRule.Global global) {
            permission = global.permission();
            authority = Optional.empty();
        } else {
            permission = Permission.METRICS_READ;
            authority = Optional.empty();
        }
        if (caller.grants().allows(permission, authority)) {
            return Decision.allow(caller);
        }
        final String scope = authority.map(a -> "authority " + a).orElse("every authority ('*'; this resource belongs to none)");
        final Refusal refusal = caller.grants().hasAnyOn(authority)
                ? new Refusal(Refusal.Code.PERMISSION_DENIED, caller.id() + "'s roles on " + scope + " do not give " + permission.label()
                        + "; an admin can grant a role that does (" + rolesWith(permission) + ")")
                : new Refusal(Refusal.Code.OTHER_AUTHORITY, caller.id() + " has no role on " + scope + "; an admin can grant one in the operators file");
        return refused(refusal, method, pathWithQuery, caller.id(), remote);
    }

    private static String rolesWith(final Permission permission) {
        final List<String> roles = new ArrayList<>();
        for (final Role r : Role.values()) {
            if (r.allows(permission)) {
                roles.add(r.label());
            }
        }
        return String.join(", ", roles);
    }

    private Decision refused(final Refusal refusal, final String method, final String pathWithQuery, final String claimed, final String remote) {
        LOG.warn("Refused {} {} from {} at {}: {} {}", method, pathWithQuery, claimed, remote, refusal.code(), refusal.message());
        return count(Decision.refuse(refusal));
    }

    private Decision count(final Decision decision) {
        decision.refusal().ifPresent(r -> Counter.builder(REFUSED_METRIC).description("Requests refused by operator authentication or authorization")
                .tag("reason", r.code().name()).register(meters).increment());
        return decision;
    }
}
