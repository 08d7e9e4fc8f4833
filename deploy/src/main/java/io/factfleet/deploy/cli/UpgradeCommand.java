package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code factfleet upgrade ...}: upgrades through the OTA coordinator's HTTP API
 * (ota-coordinator/README.md).
 *
 * <p>Exit codes ({@link ExitCodes}): 0 done (for {@code watch}: the rollout COMPLETED); 7 the coordinator refused the
 * request (the message says why); 2 usage error; 8 {@code watch}: the rollout HALTED; 9 {@code watch}:
 * the rollout was CANCELLED; 3 the coordinator could not be reached.
 */
@Command(name = "upgrade", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Propose, watch and steer upgrades through the OTA coordinator.",
        subcommands = {UpgradeCommand.Propose.class, UpgradeCommand.Status.class, UpgradeCommand.Watch.class,
                UpgradeCommand.Approve.class, UpgradeCommand.Pause.class, UpgradeCommand.Resume.class, UpgradeCommand.Cancel.class})
public final class UpgradeCommand implements Runnable {
    public static final int OK = 0;
    public static final int REFUSED = ExitCodes.REFUSED;
    public static final int HALTED = ExitCodes.DID_NOT_COMPLETE;
    public static final int CANCELLED = ExitCodes.CANCELLED;
    public static final int UNREACHABLE = ExitCodes.UNREACHABLE;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--ota", defaultValue = "http://localhost:8083", description = "the OTA coordinator's URL (default ${DEFAULT-VALUE})")
    URI ota;

    @Option(names = "--output", defaultValue = "text", description = "text or json (default ${DEFAULT-VALUE})")
    String output;

    @CommandLine.Mixin
    OperatorIdentity identity = new OperatorIdentity();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;


    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    boolean json() {
        return "json".equalsIgnoreCase(output);
    }

    /** An HTTP answer; status 0 when the coordinator could not be reached. */
    record Answer(int status, JsonNode body, String error) {
    }

    Answer call(final String method, final String path, final String body) {
        try {
            final URI uri = ota.resolve(path);
            final HttpRequest.Builder request = identity.sign(HttpRequest.newBuilder(uri), body == null ? "GET" : method, uri, body)
                    .timeout(Duration.ofSeconds(30));
            if (body == null) {
                request.GET();
            } else {
                request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
            }
            final HttpResponse<String> r = identity.http().send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed;
            try {
                parsed = JSON.readTree(r.body());
            } catch (final IOException e) {
                parsed = JSON.createObjectNode().put("message", r.body());
            }
            return new Answer(r.statusCode(), parsed, null);
        } catch (final OperatorHttp.CommandFailure e) {
            return new Answer(0, null, e.getMessage());
        } catch (final IOException e) {
            return new Answer(0, null, "cannot reach the OTA coordinator at " + ota + ": " + e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, null, "interrupted");
        }
    }

    /** Prints an answer (JSON as is, or a line) and maps it to an exit code. */
    int finish(final Answer a, final String okLine) {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (a.status() == 0) {
            err.println("factfleet upgrade: " + a.error());
            err.flush();
            return UNREACHABLE;
        }
        if (json()) {
            out.println(a.body());
            out.flush();
        }
        if (a.status() >= 400) {
            err.println("factfleet upgrade: " + a.status() + " " + a.body().path("code").asText("ERROR") + ": " + a.body().path("message").asText());
            err.flush();
            return a.status() == 401 || a.status() == 403 ? ExitCodes.DENIED : REFUSED;
        }
        if (!json()) {
            out.println(okLine);
            out.flush();
        }
        return OK;
    }

    /** One line per wave: {@code [#####-----] canary 3/5 ready, 1 not ready, 0 rejected, 1 silent OPEN}. */
    public static String render(final JsonNode upgrade) {
        final StringBuilder s = new StringBuilder();
        s.append(upgrade.path("proposalId").asText()).append(": ").append(upgrade.path("packageId").asText()).append(' ')
                .append(upgrade.path("version").asLong()).append(' ').append(upgrade.path("kind").asText()).append(", ")
                .append(upgrade.path("state").asText()).append(upgrade.path("activated").asBoolean() ? ", activated" : ", not activated");
        if (!upgrade.path("activationFence").isNull() && !upgrade.path("activationFence").isMissingNode()) {
            s.append(", fence epoch ").append(upgrade.path("activationFence").asLong());
        }
        for (final JsonNode w : upgrade.path("waves")) {
            final int devices = w.path("devices").asInt();
            final int ready = w.path("ready").asInt();
            final int width = 20;
            final int filled = devices == 0 ? width : (int) Math.round((double) ready * width / devices);
            s.append(System.lineSeparator()).append("  [").append("#".repeat(filled)).append("-".repeat(width - filled)).append("] ")
                    .append(w.path("name").asText()).append(' ').append(ready).append('/').append(devices).append(" ready, ")
                    .append(w.path("notReady").asInt()).append(" not ready, ").append(w.path("rejected").asInt()).append(" rejected, ")
                    .append(w.path("silent").asInt()).append(" silent, needs ").append(w.path("successThresholdPercent").asInt()).append("% ")
                    .append(w.path("state").asText());
        }
        return s.toString();
    }

    static JsonNode find(final JsonNode upgrades, final String proposalId) {
        for (final JsonNode u : upgrades) {
            if (u.path("proposalId").asText().equals(proposalId)) {
                return u;
            }
        }
        return null;
    }

    // ---- subcommands ----------------------------------------------------------------------------

    @Command(name = "propose", mixinStandardHelpOptions = true,
            description = "Propose an upgrade: a file holding a signed UpgradeProposed fact (--fact) or an UpgradeProposed "
                    + "(metadata and threshold certificate, --proposal, signed by the coordinator's admin key), canonical Avro binary.")
    static final class Propose implements Callable<Integer> {
        @ParentCommand
        UpgradeCommand parent;
        @Option(names = "--authority", required = true)
        String authority;
        @Option(names = "--fact", description = "file: a signed UpgradeProposed FactEnvelope, canonical Avro binary")
        Path fact;
        @Option(names = "--proposal", description = "file: an UpgradeProposed (metadata and certificate), canonical Avro binary")
        Path proposal;

        @Override
        public Integer call() throws IOException {
            if ((fact == null) == (proposal == null)) {
                throw new CommandLine.ParameterException(parent.spec.commandLine(), "give exactly one of --fact and --proposal");
            }
            final String field = fact != null ? "fact" : "proposal";
            final byte[] bytes = Files.readAllBytes(fact != null ? fact : proposal);
            final Answer a = parent.call("POST", "/authorities/" + authority + "/upgrades",
                    JSON.writeValueAsString(Map.of(field, Base64.getEncoder().encodeToString(bytes))));
            return parent.finish(a, "proposed " + a.body().path("proposalId").asText() + " as fact " + a.body().path("factId").asText());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Every upgrade of an authority, with its waves.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        UpgradeCommand parent;
        @Option(names = "--authority", required = true)
        String authority;

        @Override
        public Integer call() {
            final Answer a = parent.call("GET", "/authorities/" + authority + "/upgrades", null);
            final StringBuilder lines = new StringBuilder();
            if (a.status() == 200) {
                a.body().forEach(u -> lines.append(lines.length() == 0 ? "" : System.lineSeparator()).append(render(u)));
            }
            return parent.finish(a, lines.length() == 0 ? "no upgrades" : lines.toString());
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Show a rollout's progress until it completes (exit 0), halts (3) or is cancelled (4).")
    static final class Watch implements Callable<Integer> {
        @ParentCommand
        UpgradeCommand parent;
        @Option(names = "--authority", required = true)
        String authority;
        @Option(names = "--proposal", required = true)
        String proposal;
        @Option(names = "--interval", defaultValue = "PT2S", description = "time between polls, ISO-8601 (default ${DEFAULT-VALUE})")
        Duration interval;

        @Override
        public Integer call() throws InterruptedException {
            final PrintWriter out = parent.spec.commandLine().getOut();
            String last = null;
            while (true) {
                final Answer a = parent.call("GET", "/authorities/" + authority + "/upgrades", null);
                if (a.status() != 200) {
                    return parent.finish(a, "");
                }
                final JsonNode upgrade = find(a.body(), proposal);
                if (upgrade == null) {
                    return parent.finish(new Answer(404, JSON.createObjectNode().put("code", "UNKNOWN_PROPOSAL")
                            .put("message", "authority " + authority + " has no upgrade " + proposal), null), "");
                }
                final String shown = parent.json() ? upgrade.toString() : render(upgrade);
                if (!shown.equals(last)) {
                    out.println(shown);
                    out.flush();
                    last = shown;
                }
                switch (upgrade.path("state").asText()) {
                    case "COMPLETED":
                        return OK;
                    case "HALTED":
                        return HALTED;
                    case "CANCELLED":
                        return CANCELLED;
                    default:
                        Thread.sleep(interval.toMillis());
                }
            }
        }
    }

    /** approve, pause, resume, cancel. */
    abstract static class Action implements Callable<Integer> {
        @ParentCommand
        UpgradeCommand parent;
        @Option(names = "--authority", required = true)
        String authority;
        @Option(names = "--proposal", required = true)
        String proposal;
        @Option(names = "--reason", defaultValue = "operator")
        String reason;

        abstract String action();

        @Override
        public Integer call() throws IOException {
            final Answer a = parent.call("POST", "/authorities/" + authority + "/upgrades/" + proposal + "/" + action(),
                    JSON.writeValueAsString(Map.of("reason", reason)));
            return parent.finish(a, action() + " " + proposal + ": rollout " + a.body().path("state").asText() + " (fact "
                    + a.body().path("factId").asText() + ")");
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true, description = "Approve a rollout that waits for approval: wave 0 opens.")
    static final class Approve extends Action {
        @Override
        String action() {
            return "approve";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a rolling rollout.")
    static final class Pause extends Action {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused rollout.")
    static final class Resume extends Action {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a rollout that has not completed.")
    static final class Cancel extends Action {
        @Override
        String action() {
            return "cancel";
        }
    }
}
