package io.factfleet.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.AccessRule;
import io.factfleet.auth.OperatorAuth;
import io.factfleet.auth.Permission;
import io.factfleet.console.internal.ConsolePages;
import io.factfleet.console.internal.JsonHttp;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' console: the {@link LagMonitor} and an HTTP server with
 * <ul>
 * <li>{@code GET /lag}, {@code /fleet}, {@code /rollouts}: pages (server-rendered, refreshed by polling the JSON below);</li>
 * <li>{@code GET /api/lag}, {@code /api/fleet}, {@code /api/rollouts}: {@link LagReport}, {@link FleetReport},
 *     {@link RolloutReport} as JSON, plus {@code html}, the page's fragment;</li>
 * <li>{@code GET /metrics}: Prometheus text (the lag monitor's figures per group, topic and partition);</li>
 * <li>{@code GET /health}: 200.</li>
 * </ul>
 * The lag pages need {@code lag.read} on {@code *}, the fleet and rollout pages {@code state.read} on {@code *} (they show
 * every authority), {@code /metrics} {@link AccessRule#metrics()}; a browser logs in with a basic login from the
 * operators file (401 asks it to). The console reads the other services with its own identity
 * ({@code factfleet.auth.client.key.file}, granted {@code viewer} on {@code *}).
 *
 * <pre>{@code
 * ConsoleService console = new ConsoleService(ConsoleConfig.of(props)).start();
 * URI pages = console.uri();   // http://localhost:8070
 * console.stop();
 * }</pre>
 */
public final class ConsoleService implements AutoCloseable {
    /** The pages poll their JSON this often. */
    public static final long REFRESH_MILLIS = 1_500;
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleService.class);

    private final ConsoleConfig config;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private LagMonitor monitor;
    private FleetSource fleet;
    private Javalin http;
    private final OperatorAuth auth;

    public ConsoleService(final ConsoleConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.auth = OperatorAuth.create(config.auth(), registry);
    }

    /** Who may call what (the routes and their rules, for tests over every endpoint). */
    public OperatorAuth auth() {
        return auth;
    }

    /** Starts the lag monitor (first sample at once) and the HTTP server. */
    public synchronized ConsoleService start() {
        if (http != null) {
            throw new IllegalStateException("the console is already started");
        }
        new JvmMemoryMetrics().bindTo(registry);
        monitor = new LagMonitor(config, registry).start();
        fleet = new FleetSource(config);
        final Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            auth.configure(c);
            config.tls().serve(c, config.httpBindHost(), config.httpPort());
        });
        final AccessRule lag = AccessRule.global(Permission.LAG_READ);
        final AccessRule everyAuthority = AccessRule.global(Permission.STATE_READ);
        app.get("/", ctx -> ctx.redirect("/lag"), lag);
        app.get("/health", ctx -> ctx.json(java.util.Map.of("status", "UP")), AccessRule.open());
        app.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(registry.scrape()), AccessRule.metrics());
        page(app, "/lag", "Lag", monitor::report, ConsolePages::lag, lag);
        page(app, "/fleet", "Fleet", fleet::fleet, ConsolePages::fleet, everyAuthority);
        page(app, "/rollouts", "Rollouts", fleet::rollouts, ConsolePages::rollouts, everyAuthority);
        http = app.start(config.httpBindHost(), config.httpPort());
        LOG.info("Console serving {} (lag sampled every {} ms over a {} ms window)", uri(), config.sampleInterval().toMillis(), config.window().toMillis());
        return this;
    }

    private static <T> void page(final Javalin app, final String path, final String title, final Supplier<T> data, final Function<T, String> fragment,
                                 final AccessRule rule) {
        final String api = "/api" + path;
        app.get(path, ctx -> html(ctx, ConsolePages.page(title, path, api, REFRESH_MILLIS, fragment.apply(data.get()))), rule);
        app.get(api, ctx -> {
            final T value = data.get();
            final ObjectNode body = JsonHttp.JSON.valueToTree(value);
            body.put("html", fragment.apply(value));
            ctx.contentType("application/json").header("Cache-Control", "no-store").result(JsonHttp.JSON.writeValueAsString(body));
        }, rule);
    }

    private static void html(final Context ctx, final String body) {
        ctx.contentType("text/html; charset=utf-8").header("Cache-Control", "no-store").result(body);
    }

    /** Stops the HTTP server and the lag monitor. Idempotent. */
    public synchronized void stop() {
        if (http != null) {
            http.stop();
            http = null;
        }
        if (monitor != null) {
            monitor.close();
            monitor = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The lag monitor (to sample on demand in tests and tools). */
    public LagMonitor lagMonitor() {
        if (monitor == null) {
            throw new IllegalStateException("the console is not started");
        }
        return monitor;
    }

    /** The port the HTTP server bound. */
    public int port() {
        if (http == null) {
            throw new IllegalStateException("the console is not started");
        }
        return http.port();
    }

    /** {@code http://localhost:<port>}. */
    public URI uri() {
        return URI.create(config.tls().scheme() + "://localhost:" + port());
    }
}
