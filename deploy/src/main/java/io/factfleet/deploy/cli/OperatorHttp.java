package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** GETs JSON for the operator commands and turns failures into a {@link CommandFailure} with an exit code. */
final class OperatorHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private OperatorHttp() {
    }

    /** A failure with its exit code and a message for the operator. */
    static final class CommandFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int exitCode;

        CommandFailure(final int exitCode, final String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    /** A signed GET of {@code uri} as {@code identity}; the JSON of a 200 answer. */
    static JsonNode get(final URI uri, final String service, final OperatorIdentity identity) throws CommandFailure {
        final HttpResponse<String> response = send(identity, identity.sign(HttpRequest.newBuilder(uri), "GET", uri, null)
                .timeout(Duration.ofSeconds(15)).header("Accept", "application/json").GET().build(), service);
        JsonNode body = null;
        try {
            body = JSON.readTree(response.body());
        } catch (final IOException e) {
            if (response.statusCode() == 200) {
                throw new CommandFailure(ExitCodes.FAILURE, "the " + service + " at " + uri + " answered something that is not JSON");
            }
        }
        final String message = body != null && body.hasNonNull("message") ? body.get("message").asText() : response.body();
        return switch (response.statusCode()) {
            case 200 -> body;
            case 404 -> throw new CommandFailure(ExitCodes.NOT_FOUND, message);
            case 401, 403 -> throw denied(service, response.statusCode(), body, message);
            case 503 -> throw new CommandFailure(ExitCodes.NOT_READY, "the " + service + " is not ready: " + message + " (retry in a few seconds)");
            default -> throw new CommandFailure(ExitCodes.FAILURE, "the " + service + " answered HTTP " + response.statusCode() + ": " + message);
        };
    }

    /** An answer other than a denial or a 503: its status and JSON body. */
    record Answer(int status, JsonNode body) {
    }

    /**
     * A signed POST of {@code body} (JSON) to {@code uri} as {@code identity}. A 401 or 403, a 503 and an unreachable
     * service are failures with their exit codes; any other answer is returned for the command to read.
     */
    static Answer post(final URI uri, final String body, final String service, final OperatorIdentity identity) throws CommandFailure {
        final HttpResponse<String> response = send(identity, identity.sign(HttpRequest.newBuilder(uri), "POST", uri, body)
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), service);
        JsonNode parsed;
        try {
            parsed = JSON.readTree(response.body());
        } catch (final IOException e) {
            parsed = null;
        }
        if (parsed == null || !parsed.isObject()) {
            parsed = JSON.createObjectNode().put("code", "HTTP_" + response.statusCode()).put("message", response.body());
        }
        final String message = parsed.path("message").asText(response.body());
        return switch (response.statusCode()) {
            case 401, 403 -> throw denied(service, response.statusCode(), parsed, message);
            case 503 -> throw new CommandFailure(ExitCodes.NOT_READY, "the " + service + " is not ready: " + message + " (retry in a few seconds)");
            default -> new Answer(response.statusCode(), parsed);
        };
    }

    /** Sends {@code request} with the identity's client; an unreachable service or an interruption is a failure. */
    private static HttpResponse<String> send(final OperatorIdentity identity, final HttpRequest request, final String service) throws CommandFailure {
        try {
            return identity.http().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            throw new CommandFailure(ExitCodes.UNREACHABLE, "cannot reach the " + service + " at " + request.uri() + " (" + e + "); is it running? "
                    + "(./factfleet run starts it)");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure(ExitCodes.FAILURE, "interrupted");
        }
    }

    /** A 401 or 403 as a failure that says what to do. */
    static CommandFailure denied(final String service, final int status, final JsonNode body, final String message) {
        final String code = body != null ? body.path("code").asText("") : "";
        return new CommandFailure(ExitCodes.DENIED, "the " + service + " " + (status == 401 ? "did not accept your credentials" : "refused your request")
                + (code.isEmpty() ? "" : " (" + code + ")") + ": " + message
                + (status == 401 ? " (the commands sign with " + OperatorIdentity.DEFAULT_KEY + " unless --key or --token says otherwise)" : ""));
    }
}
