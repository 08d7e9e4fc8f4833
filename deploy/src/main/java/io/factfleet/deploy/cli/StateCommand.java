package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code factfleet state <authority>}: an authority's maintenance state, from the reducer's interactive queries. */
@Command(name = "state", mixinStandardHelpOptions = true, description = "Show an authority's maintenance state as the reducer computed it.",
        footer = {"", "Exit codes: 0 done, 1 unexpected failure, 2 bad usage, 3 service unreachable, 4 not found, 5 service not ready (503, retry), 10 denied."})
public final class StateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "AUTHORITY", description = "The authority id.")
    String authority;

    @Option(names = "--reducer-url", defaultValue = "http://localhost:8080", paramLabel = "URL",
            description = "The reducer's HTTP API (default: ${DEFAULT-VALUE}).")
    URI reducerUrl;

    @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
            description = "text or json (the reducer's answer, unchanged) (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @CommandLine.Mixin
    OperatorIdentity identity = new OperatorIdentity();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final JsonNode answer;
        try {
            answer = OperatorHttp.get(URI.create(reducerUrl.toString().replaceAll("/+$", "") + "/authorities/"
                    + URLEncoder.encode(authority, StandardCharsets.UTF_8) + "/state"), "reducer", identity);
        } catch (final OperatorHttp.CommandFailure e) {
            err.println("factfleet state: " + e.getMessage());
            err.flush();
            return e.exitCode;
        }
        if (output == OutputFormat.json) {
            out.println(answer.toString());
            out.flush();
            return ExitCodes.OK;
        }
        final JsonNode s = answer.path("state");
        out.printf("authority       %s%n", answer.path("authorityId").asText());
        out.printf("identity epoch  %d%n", s.path("identityEpoch").asLong());
        final long snapshotEpoch = s.path("snapshotEpoch").asLong();
        out.printf("snapshot epoch  %s%n", snapshotEpoch < 0 ? "none (no snapshot completed)" : Long.toString(snapshotEpoch));
        out.printf("roster          %d device(s), threshold %d%n", s.path("roster").size(), s.path("threshold").asInt());
        out.printf("facts           %d (%d journal entries)%n", s.path("factCount").asLong(), s.path("journalEntryCount").asLong());
        int open = 0;
        for (final JsonNode p : s.path("proposals")) {
            if ("OPEN".equals(p.path("status").asText())) {
                out.printf("open proposal   %s -> epoch %d: %d / %d approvals%n", p.path("proposalId").asText(), p.path("targetEpoch").asLong(),
                        p.path("countedApprovals").asInt(), s.path("threshold").asInt());
                open++;
            }
        }
        if (open == 0) {
            out.println("open proposals  none");
        }
        for (final JsonNode u : s.path("upgrades")) {
            out.printf("upgrade         %s %s %d (%s): %d ready, %d not ready, %d rejected%s%n", u.path("proposalId").asText(),
                    u.path("packageId").asText(), u.path("version").asLong(), u.path("kind").asText(), u.path("readyCount").asInt(),
                    u.path("notReadyCount").asInt(), u.path("rejectedCount").asInt(), u.path("activated").asBoolean() ? ", activated" : "");
        }
        out.printf("digest          %s%n", answer.path("digest").asText());
        out.printf("served by       %s%n", answer.path("servedBy").asText());
        out.flush();
        return ExitCodes.OK;
    }
}
