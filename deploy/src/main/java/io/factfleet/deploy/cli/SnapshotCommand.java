package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code factfleet snapshot propose|status|watch}: talks to the snapshot coordinator's HTTP API.
 *
 * <p>Exit codes ({@link ExitCodes}): 0 done (completed, or the status printed), 4 no such authority, 7 refused (for
 * example PROPOSAL_OPEN, NO_ADMIN_KEY), 8 the proposal aborted or the wait timed out, 3 the coordinator cannot be reached,
 * 5 it is rebalancing (retry).
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true, footer = {"", "Exit codes: 0 done, 2 bad usage, 3 unreachable, 4 no such authority, 5 not ready (retry), 7 refused, 8 aborted or timed out."}, description = "Propose, inspect and watch snapshots of an authority.",
        subcommands = {SnapshotCommand.Propose.class, SnapshotCommand.Status.class, SnapshotCommand.Watch.class})
public final class SnapshotCommand implements Runnable {
    public static final int OK = ExitCodes.OK;
    public static final int REFUSED = ExitCodes.REFUSED;
    public static final int FAILED = ExitCodes.DID_NOT_COMPLETE;
    public static final int UNREACHABLE = ExitCodes.UNREACHABLE;
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every snapshot subcommand shares. */
    static class Common {
        @Parameters(index = "0", paramLabel = "AUTHORITY", description = "The authority id.")
        String authority;

        @Option(names = "--url", defaultValue = "http://localhost:8082", paramLabel = "URL",
                description = "The snapshot coordinator's HTTP API (default: ${DEFAULT-VALUE}).")
        URI url;

        @Option(names = "--output", defaultValue = "text", paramLabel = "text|json", description = "Output format (default: ${DEFAULT-VALUE}).")
        String output;

        @CommandLine.Mixin
        OperatorIdentity identity = new OperatorIdentity();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;


        boolean json() {
            return "json".equalsIgnoreCase(output);
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        HttpResponse<String> send(final HttpRequest request) throws Exception {
            return identity.http().send(request, HttpResponse.BodyHandlers.ofString());
        }

        JsonNode status() throws Exception {
            final URI uri = url.resolve("/authorities/" + authority + "/snapshots/status");
            final HttpResponse<String> r = send(identity.sign(HttpRequest.newBuilder(uri), "GET", uri, null)
                    .timeout(Duration.ofSeconds(10)).GET().build());
            if (r.statusCode() != 200) {
                throw new Refused(r.statusCode(), r.body());
            }
            return JSON.readTree(r.body());
        }

        int unreachable(final Exception e) {
            err().println("factfleet: the snapshot coordinator at " + url + " cannot be reached (" + e + "); is the stack running?");
            return UNREACHABLE;
        }

        int refused(final Refused e) {
            if (json()) {
                out().println(e.body);
            } else {
                err().println("factfleet: refused (HTTP " + e.status + "): " + describe(e.body));
            }
            return e.status == 404 ? ExitCodes.NOT_FOUND : e.status == 503 ? ExitCodes.NOT_READY
                    : e.status == 401 || e.status == 403 ? ExitCodes.DENIED : REFUSED;
        }

        /** Watches the authority until {@code proposalId} (or any open proposal, if null) completes or aborts. */
        int watch(final String proposalId, final Duration timeout, final String errorBefore) throws Exception {
            final long deadline = System.nanoTime() + timeout.toNanos();
            String watching = proposalId;
            String lastLine = "";
            while (System.nanoTime() < deadline) {
                final JsonNode s = status();
                final JsonNode open = s.path("openProposal");
                if (open.isObject()) {
                    watching = open.path("proposalId").asText(); // a retry (STALE_PREFIX, epoch advance) proposes under a new id
                }
                final String error = s.path("lastError").isNull() ? "" : s.path("lastError").asText();
                if (watching == null && !error.isEmpty() && !error.equals(errorBefore)) {
                    err().println("factfleet: the coordinator refused the request: " + error);
                    return REFUSED;
                }
                if (watching != null && watching.equals(s.path("lastSnapshot").path("proposalId").asText())) {
                    if (json()) {
                        out().println(s);
                    } else {
                        out().println();
                        out().printf("Snapshot %s of %s completed: epoch %d, %d facts, blob %s; %d facts (%d bytes) pruned in total%n", watching,
                                authority, s.path("lastSnapshot").path("epoch").asLong(), s.path("lastSnapshot").path("factCount").asLong(),
                                s.path("lastSnapshot").path("blobCid").asText(), s.path("factsPruned").asLong(), s.path("bytesReclaimed").asLong());
                    }
                    out().flush();
                    return OK;
                }
                if (watching != null && !open.isObject()) {
                    if (json()) {
                        out().println(s);
                    } else {
                        out().println();
                        err().println("factfleet: snapshot " + watching + " did not complete: " + s.path("lastError").asText("aborted"));
                    }
                    return FAILED;
                }
                if (open.isObject() && !json()) {
                    final String line = progress(open);
                    if (!line.equals(lastLine)) {
                        out().print("\r" + line);
                        out().flush();
                        lastLine = line;
                    }
                }
                Thread.sleep(250);
            }
            out().println();
            err().println("factfleet: gave up waiting after " + timeout.toSeconds() + " s; the proposal may still complete (factfleet snapshot status "
                    + authority + ")");
            return FAILED;
        }
    }

    static String progress(final JsonNode open) {
        final int approvals = open.path("approvals").asInt();
        final int threshold = Math.max(1, open.path("threshold").asInt());
        final int width = 20;
        final int filled = Math.min(width, approvals * width / threshold);
        return String.format("%s [%s%s] %d/%d approvals, %s%s", open.path("proposalId").asText(), "#".repeat(filled), ".".repeat(width - filled),
                approvals, threshold, open.path("phase").asText(), open.path("problems").size() > 0 ? ", " + open.path("problems").size() + " not counted" : "");
    }

    static String describe(final String body) {
        try {
            final JsonNode error = JSON.readTree(body);
            return error.path("error").asText() + ": " + error.path("message").asText();
        } catch (final Exception e) {
            return body;
        }
    }

    /** A 4xx/5xx answer. */
    static final class Refused extends Exception {
        final int status;
        final String body;

        Refused(final int status, final String body) {
            super("HTTP " + status);
            this.status = status;
            this.body = body;
        }
    }

    @Command(name = "propose", mixinStandardHelpOptions = true, description = "Ask the coordinator for a snapshot of an authority now.")
    static final class Propose extends Common implements Callable<Integer> {
        @Option(names = "--reason", defaultValue = "operator request", description = "Why (recorded in the proposal's status).")
        String reason;

        @Option(names = "--by", defaultValue = "${sys:user.name}", description = "Who asks (default: the user name).")
        String requestedBy;

        @Option(names = "--wait", description = "Watch the proposal until it completes or aborts.")
        boolean wait;

        @Option(names = "--timeout", defaultValue = "PT2M", description = "How long --wait waits (ISO-8601 duration, default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            final String body = JSON.createObjectNode().put("requestedBy", requestedBy).put("reason", reason).toString();
            final HttpResponse<String> r;
            String errorBefore = "";
            try {
                final JsonNode before = status();
                errorBefore = before.path("lastError").isNull() ? "" : before.path("lastError").asText();
            } catch (final Refused e) {
                return refused(e);
            } catch (final ConnectException | HttpTimeoutException e) {
                return unreachable(e);
            }
            try {
                final URI uri = url.resolve("/authorities/" + authority + "/snapshots");
                r = send(identity.sign(HttpRequest.newBuilder(uri), "POST", uri, body).timeout(Duration.ofSeconds(15))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
            } catch (final ConnectException | HttpTimeoutException e) {
                return unreachable(e);
            }
            if (r.statusCode() != 202) {
                return refused(new Refused(r.statusCode(), r.body()));
            }
            if (!wait) {
                out().println(json() ? r.body() : "Snapshot of " + authority + " requested; watch it with: factfleet snapshot watch " + authority);
                return OK;
            }
            try {
                return watch(null, timeout, errorBefore);
            } catch (final Refused e) {
                return refused(e);
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print an authority's snapshot status.")
    static final class Status extends Common implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            final JsonNode s;
            try {
                s = status();
            } catch (final Refused e) {
                return refused(e);
            } catch (final ConnectException | HttpTimeoutException e) {
                return unreachable(e);
            }
            if (json()) {
                out().println(s);
                return OK;
            }
            out().printf("Authority %s: identity epoch %d, %d facts%n", authority, s.path("identityEpoch").asLong(), s.path("factCount").asLong());
            final JsonNode last = s.path("lastSnapshot");
            out().println(last.isObject() ? String.format("Last snapshot: %s at epoch %d (%d facts, blob %s)", last.path("proposalId").asText(),
                    last.path("epoch").asLong(), last.path("factCount").asLong(), last.path("blobCid").asText()) : "Last snapshot: none");
            final JsonNode open = s.path("openProposal");
            out().println(open.isObject() ? "Open proposal: " + progress(open) : "Open proposal: none");
            for (final JsonNode p : open.path("problems")) {
                out().println("  not counted: " + p.path("deviceId").asText() + " " + p.path("problem").asText());
            }
            out().printf("Fence: %s; pruned so far: %d facts, %d bytes%n", s.path("fence").asText(), s.path("factsPruned").asLong(),
                    s.path("bytesReclaimed").asLong());
            if (!s.path("lastError").isNull() && !s.path("lastError").asText().isEmpty()) {
                out().println("Last error: " + s.path("lastError").asText());
            }
            return OK;
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true, description = "Watch the open proposal of an authority until it completes or aborts.")
    static final class Watch extends Common implements Callable<Integer> {
        @Option(names = "--timeout", defaultValue = "PT2M", description = "How long to wait (ISO-8601 duration, default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            try {
                final JsonNode before = status();
                return watch(null, timeout, before.path("lastError").isNull() ? "" : before.path("lastError").asText());
            } catch (final Refused e) {
                return refused(e);
            } catch (final ConnectException | HttpTimeoutException e) {
                return unreachable(e);
            }
        }
    }
}
