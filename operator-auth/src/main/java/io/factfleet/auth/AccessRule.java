package io.factfleet.auth;

import io.javalin.security.RouteRole;

/**
 * What a route requires, declared where the route is added, as Javalin's route role:
 * <pre>{@code
 * app.get("/authorities/{id}/state", handler, AccessRule.authority(Permission.STATE_READ));
 * app.get("/health", handler, AccessRule.open());
 * }</pre>
 * A route without one is refused with {@code NO_ACCESS_RULE} (fail closed), and {@link OperatorAuth#routes()} lists
 * it without a rule so that a test over every route fails.
 */
public sealed interface AccessRule extends RouteRole {

    /** Open to anybody (health checks). */
    record Open() implements AccessRule {
    }

    /** Prometheus metrics: open when {@code factfleet.auth.metrics.open=true}, else {@link Permission#METRICS_READ} on {@code *}. */
    record Metrics() implements AccessRule {
    }

    /** A resource of no authority (registry, lag, lists of every authority): needs the permission on {@code *}. */
    record Global(Permission permission) implements AccessRule {
    }

    /** A resource of the authority named by the path parameter {@code pathParam}: needs the permission on that authority. */
    record PerAuthority(Permission permission, String pathParam) implements AccessRule {
    }

    /** Open to anybody: {@code /health} and nothing else. */
    static AccessRule open() {
        return new Open();
    }

    /** {@code /metrics}: open only when the service is configured so. */
    static AccessRule metrics() {
        return new Metrics();
    }

    /** {@code permission} on {@code *}: for resources of no authority. */
    static AccessRule global(final Permission permission) {
        return new Global(permission);
    }

    /** The permission on the authority in path parameter {@code id}. */
    static AccessRule authority(final Permission permission) {
        return new PerAuthority(permission, "id");
    }

    /** {@code permission} on the authority in path parameter {@code pathParam}. */
    static AccessRule authority(final Permission permission, final String pathParam) {
        return new PerAuthority(permission, pathParam);
    }
}
