package io.factfleet.deploy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.EnrolmentManifest;
import io.factfleet.core.Hashing;
import io.factfleet.core.RosterBatches;
import io.factfleet.device.DeviceKeyStore;
import io.factfleet.schema.KeySignature;
import io.factfleet.schema.RosterBatchChange;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code factfleet devices enrol|remove|cosign|keygen}: a site's devices provisioned in one roster batch through the
 * snapshot coordinator (which holds the authority's admin key), co-signed by M devices of the current roster.
 *
 * <p>{@code enrol} and {@code remove} prepare the batch (the coordinator checks every manifest row against the current
 * roster), co-sign its statement with the {@code --cosigner} device key files and/or take the co-signatures of a
 * {@code --signatures} file, submit it, and wait until the reducer's roster is at the next epoch. Without any
 * co-signature they only prepare: the statement is written to {@code --statement-out} for the holders of device keys to
 * sign offline with {@code devices cosign}. The CLI checks that the statement it co-signs is the batch it asked for.
 */
@Command(name = "devices", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Enrol or remove many devices of an authority in one step (a roster batch co-signed by M current devices).",
        footer = {"", "Exit codes: 0 done (or prepared), 2 bad usage or an unreadable file, 3 unreachable, 4 no such authority, 5 not ready (retry), "
                + "7 refused (every refused manifest row or co-signature is printed; nothing was applied), 8 not applied in time or another "
                + "roster change took the epoch, 10 denied."},
        subcommands = {DevicesCommand.Enrol.class, DevicesCommand.Remove.class, DevicesCommand.Cosign.class, DevicesCommand.Keygen.class})
public final class DevicesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What {@code enrol} and {@code remove} share: where the services are, who signs, and the batch's flow. */
    abstract static class BatchCommand implements Callable<Integer> {
        @Option(names = "--authority", required = true, paramLabel = "ID", description = "The authority whose roster changes.")
        String authority;

        @Option(names = "--cosigner", paramLabel = "FILE", description = "A current device's key file (hex seed, mode 600, as the device SDK "
                + "keeps it) to co-sign the batch with here; repeat for M devices.")
        List<Path> cosigners = new ArrayList<>();

        @Option(names = "--signatures", paramLabel = "FILE", description = "Co-signatures collected offline: what `factfleet devices cosign` "
                + "printed, one JSON object per line (or a JSON array).")
        Path signatures;

        @Option(names = "--new-threshold", paramLabel = "M", description = "The roster's threshold after the batch (default: unchanged).")
        Integer newThreshold;

        @Option(names = "--statement-out", defaultValue = "statement.hex", paramLabel = "FILE",
                description = "Where to write the statement to co-sign when no co-signature is given (default: ${DEFAULT-VALUE}).")
        Path statementOut;

        @Option(names = "--url", defaultValue = "http://localhost:8082", paramLabel = "URL",
                description = "The snapshot coordinator's HTTP API, which signs roster changes (default: ${DEFAULT-VALUE}).")
        URI url;

        @Option(names = "--reducer-url", defaultValue = "http://localhost:8080", paramLabel = "URL",
                description = "The reducer's HTTP API, watched until the batch is in force (default: ${DEFAULT-VALUE}).")
        URI reducerUrl;

        @Option(names = "--timeout", defaultValue = "PT2M", paramLabel = "DURATION",
                description = "How long to wait for the reducer to show the batch (ISO-8601, default: ${DEFAULT-VALUE}).")
        Duration timeout;

        @Option(names = "--no-wait", description = "Return once the coordinator accepted the batch.")
        boolean noWait;

        @Option(names = {"-o", "--output"}, defaultValue = "text", paramLabel = "FORMAT",
                description = "text (a progress bar and a summary) or json (one document with the outcome) (default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @CommandLine.Mixin
        OperatorIdentity identity = new OperatorIdentity();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /** The manifest's CSV text ({@code ""} for none). */
        abstract String manifest() throws OperatorHttp.CommandFailure;

        /** The device ids to remove. */
        abstract List<String> removals();

        /** The verb in messages: "enrol" or "remove". */
        abstract String verb();

        boolean json() {
            return output == OutputFormat.json;
        }

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            try {
                return run(out, err);
            } catch (final OperatorHttp.CommandFailure e) {
                if (!json()) {
                    err.println(); // the bar's line, if it was drawn, is not ended
                }
                err.println("factfleet devices " + verb() + ": " + e.getMessage());
                err.flush();
                return e.exitCode;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.FAILURE;
            }
        }

        private int run(final PrintWriter out, final PrintWriter err) throws OperatorHttp.CommandFailure, InterruptedException {
            final long started = System.nanoTime();
            final String manifest = manifest();
            final List<Ed25519Keys.SigningKey> keys = new ArrayList<>();
            for (final Path file : cosigners) {
                try {
                    keys.add(OperatorCredential.readKey(file));
                } catch (final IllegalArgumentException e) {
                    throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "--cosigner " + file + ": " + e.getMessage());
                }
            }
            final List<ObjectNode> collected = signatures == null ? List.of() : readSignatures(signatures);
            final ObjectNode batch = OperatorHttp.JSON.createObjectNode();
            batch.put("manifest", manifest);
            removals().forEach(batch.putArray("remove")::add);
            if (newThreshold == null) {
                batch.putNull("newThreshold");
            } else {
                batch.put("newThreshold", newThreshold);
            }
            final String base = url.toString().replaceAll("/+$", "") + "/authorities/" + URLEncoder.encode(authority, StandardCharsets.UTF_8);
            final boolean bar = !json();
            try (Progress progress = bar ? Progress.start(err, "Roster batch", 3, false) : null) {
                step(progress, "preparing");
                final OperatorHttp.Answer prepared = OperatorHttp.post(URI.create(base + "/roster/batches/prepare"), batch.toString(),
                        "snapshot coordinator", identity);
                if (prepared.status() != 200) {
                    return refused(out, err, progress, prepared);
                }
                final JsonNode p = prepared.body();
                final byte[] statement = HexFormat.of().parseHex(p.path("statementHex").asText());
                checkStatement(statement, manifest, p.path("fromEpoch").asLong());
                final int needed = p.path("signersNeeded").asInt();
                if (keys.isEmpty() && collected.isEmpty()) {
                    close(progress);
                    return prepareOnly(out, err, p, statement);
                }
                if (progress != null) {
                    progress.maxHint(3 + keys.size());
                }
                final ArrayNode cosignatures = OperatorHttp.JSON.createArrayNode();
                collected.forEach(cosignatures::add);
                for (final Ed25519Keys.SigningKey key : keys) {
                    final KeySignature s = RosterBatches.cosign(statement, key);
                    cosignatures.addObject().put("keyId", s.getKeyId()).put("signature", Hashing.hex(Canonical.array(s.getSignature())));
                    step(progress, "co-signed " + cosignatures.size() + " of " + needed);
                }
                final ObjectNode submission = batch.deepCopy();
                submission.put("fromEpoch", p.path("fromEpoch").asLong());
                submission.put("issuedAtMillis", p.path("issuedAtMillis").asLong());
                submission.set("signatures", cosignatures);
                final OperatorHttp.Answer submitted = OperatorHttp.post(URI.create(base + "/roster/batches"), submission.toString(),
                        "snapshot coordinator", identity);
                if (submitted.status() != 202) {
                    return refused(out, err, progress, submitted);
                }
                final JsonNode accepted = submitted.body();
                final long toEpoch = accepted.path("toEpoch").asLong();
                step(progress, "submitted fact " + accepted.path("factId").asText().substring(0, 12) + "…");
                final ObjectNode outcome = OperatorHttp.JSON.createObjectNode();
                outcome.put("authorityId", authority);
                outcome.put("factId", accepted.path("factId").asText());
                outcome.put("fromEpoch", accepted.path("fromEpoch").asLong());
                outcome.put("toEpoch", toEpoch);
                outcome.put("enrolled", accepted.path("enrol").asInt());
                outcome.put("removed", accepted.path("remove").asInt());
                outcome.set("signers", accepted.path("signers"));
                if (noWait) {
                    outcome.put("status", accepted.path("status").asText("SUBMITTED"));
                    outcome.putNull("memberCount");
                } else {
                    final JsonNode roster = awaitRoster(progress, toEpoch);
                    if (!inForce(roster)) {
                        close(progress);
                        throw new OperatorHttp.CommandFailure(ExitCodes.DID_NOT_COMPLETE, "epoch " + toEpoch + " of " + authority
                                + " was taken by another roster change; this batch (fact " + accepted.path("factId").asText()
                                + ") did not apply: run the command again to prepare it against the new roster");
                    }
                    outcome.put("status", "APPLIED");
                    outcome.put("memberCount", roster.path("memberCount").asInt());
                    step(progress, "in force at epoch " + toEpoch);
                }
                outcome.put("seconds", Math.round((System.nanoTime() - started) / 1e6) / 1e3);
                close(progress);
                if (json()) {
                    out.println(outcome);
                } else {
                    out.println(summary(outcome));
                }
                out.flush();
                return ExitCodes.OK;
            }
        }

        /** A refusal of the coordinator, each refused row or co-signature on its own line; nothing was applied. */
        private int refused(final PrintWriter out, final PrintWriter err, final Progress progress, final OperatorHttp.Answer answer) {
            close(progress);
            final JsonNode body = answer.body();
            if (json()) {
                out.println(body);
                out.flush();
            } else {
                err.println("factfleet devices " + verb() + ": refused (HTTP " + answer.status() + " " + body.path("code").asText("ERROR") + "): "
                        + body.path("message").asText());
                for (final JsonNode r : body.path("refusals")) {
                    err.println("  " + (r.has("line") ? "line " + r.path("line").asInt() : "device " + r.path("deviceId").asText()) + ": "
                            + r.path("code").asText() + ": " + r.path("message").asText());
                }
                err.println("Nothing was applied.");
                err.flush();
            }
            return answer.status() == 404 ? ExitCodes.NOT_FOUND : ExitCodes.REFUSED;
        }

        /** No co-signature given: the statement goes to a file for the key holders, with what they run. */
        private int prepareOnly(final PrintWriter out, final PrintWriter err, final JsonNode p, final byte[] statement)
                throws OperatorHttp.CommandFailure {
            try {
                Files.writeString(statementOut, HexFormat.of().formatHex(statement) + "\n", StandardCharsets.US_ASCII);
            } catch (final IOException e) {
                throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "cannot write the statement to " + statementOut + ": " + e.getMessage());
            }
            final ObjectNode outcome = OperatorHttp.JSON.createObjectNode();
            outcome.put("authorityId", authority);
            outcome.put("status", "PREPARED");
            outcome.put("statementFile", statementOut.toString());
            for (final String field : List.of("fromEpoch", "toEpoch", "statementSha256", "enrol", "remove", "signersNeeded", "eligibleSignerCount")) {
                outcome.set(field, p.path(field));
            }
            outcome.set("eligibleSigners", p.path("eligibleSigners"));
            if (json()) {
                out.println(outcome);
            } else {
                out.printf("Prepared a batch of %s: %d to enrol, %d to remove, from epoch %d. Statement (SHA-256 %s) written to %s.%n", authority,
                        p.path("enrol").asInt(), p.path("remove").asInt(), p.path("fromEpoch").asLong(), p.path("statementSha256").asText(),
                        statementOut);
                final List<String> eligible = new ArrayList<>();
                p.path("eligibleSigners").forEach(d -> eligible.add(d.asText()));
                out.printf("It needs %d co-signatures of devices on the roster%s. Each key holder runs:%n", p.path("signersNeeded").asInt(),
                        eligible.isEmpty() ? " (" + p.path("eligibleSignerCount").asInt() + " devices)" : " (" + String.join(", ", eligible) + ")");
                out.printf("  factfleet devices cosign --statement %s --key <device.key> --device-id <id> >> signatures.jsonl%n", statementOut);
                out.printf("then: factfleet devices %s --authority %s ... --signatures signatures.jsonl%n", verb(), authority);
            }
            out.flush();
            return ExitCodes.OK;
        }

        /** Refuses to co-sign a statement that is not the batch this command asked for. */
        private void checkStatement(final byte[] statement, final String manifest, final long fromEpoch) throws OperatorHttp.CommandFailure {
            final RosterBatchChange asked;
            final EnrolmentManifest.Result rows = manifest.isBlank() ? new EnrolmentManifest.Result(List.of(), List.of())
                    : EnrolmentManifest.check(manifest, null);
            asked = EnrolmentManifest.enrolment(authority, fromEpoch, rows.rows(), newThreshold);
            asked.setRemove(removals());
            final RosterBatchChange got;
            try {
                got = RosterBatches.readStatement(statement);
            } catch (final IllegalArgumentException e) {
                throw new OperatorHttp.CommandFailure(ExitCodes.REFUSED, "the coordinator's statement cannot be read (" + e.getMessage()
                        + "); nothing was signed");
            }
            if (!rows.accepted() || !asked.equals(got)) {
                throw new OperatorHttp.CommandFailure(ExitCodes.REFUSED, "the coordinator prepared a statement that is not the batch asked for "
                        + "(authority, epoch, devices or threshold differ); nothing was signed");
            }
        }

        /** Polls the reducer's one-device roster answer until the authority is at {@code toEpoch}. */
        private JsonNode awaitRoster(final Progress progress, final long toEpoch) throws OperatorHttp.CommandFailure, InterruptedException {
            final String device = probe();
            final URI uri = URI.create(reducerUrl.toString().replaceAll("/+$", "") + "/authorities/" + URLEncoder.encode(authority, StandardCharsets.UTF_8)
                    + "/roster?device=" + URLEncoder.encode(device, StandardCharsets.UTF_8));
            final long deadline = System.nanoTime() + timeout.toNanos();
            long seen = -1;
            while (true) {
                JsonNode roster = null;
                try {
                    roster = OperatorHttp.get(uri, "reducer", identity);
                } catch (final OperatorHttp.CommandFailure e) {
                    if (e.exitCode != ExitCodes.NOT_READY && e.exitCode != ExitCodes.NOT_FOUND) {
                        throw e;
                    }
                }
                final long epoch = roster == null ? -1 : roster.path("identityEpoch").asLong(-1);
                if (epoch >= toEpoch) {
                    return roster;
                }
                if (epoch != seen && progress != null) {
                    progress.extraMessage("waiting for the reducer: epoch " + epoch + " -> " + toEpoch);
                    seen = epoch;
                }
                if (System.nanoTime() > deadline) {
                    throw new OperatorHttp.CommandFailure(ExitCodes.DID_NOT_COMPLETE, "the reducer's roster of " + authority + " is at epoch " + epoch
                            + ", not " + toEpoch + ", after " + timeout.toSeconds() + " s; the batch may still apply (factfleet state " + authority
                            + "), or ingest refused it (its reason is on factfleet.facts.rejected)");
                }
                Thread.sleep(250);
            }
        }

        /** The device whose roster entry shows the batch in force: the first enrolled, else the first removed. */
        private String probe() throws OperatorHttp.CommandFailure {
            final List<EnrolmentManifest.Row> rows = EnrolmentManifest.check(manifest(), null).rows();
            return rows.isEmpty() ? removals().get(0) : rows.get(0).deviceId();
        }

        /** Whether the roster answer at the batch's epoch shows this batch (and not another change of that epoch). */
        private boolean inForce(final JsonNode roster) throws OperatorHttp.CommandFailure {
            final boolean member = roster.path("members").size() > 0;
            return EnrolmentManifest.check(manifest(), null).rows().isEmpty() ? !member : member;
        }

        private static String summary(final JsonNode o) {
            final StringBuilder s = new StringBuilder();
            s.append(o.path("status").asText().equals("APPLIED") ? "Applied" : "Submitted").append(" a roster batch of ").append(o.path("authorityId").asText())
                    .append(": ").append(o.path("enrolled").asInt()).append(" enrolled, ").append(o.path("removed").asInt()).append(" removed, epoch ")
                    .append(o.path("fromEpoch").asLong()).append(" -> ").append(o.path("toEpoch").asLong());
            if (!o.path("memberCount").isNull()) {
                s.append(", ").append(o.path("memberCount").asInt()).append(" members");
            }
            final List<String> signers = new ArrayList<>();
            o.path("signers").forEach(d -> signers.add(d.asText()));
            s.append("; co-signed by ").append(String.join(", ", signers)).append("; fact ").append(o.path("factId").asText())
                    .append(" (").append(o.path("seconds").asDouble()).append(" s)");
            return s.toString();
        }

        private static void step(final Progress progress, final String message) {
            if (progress != null) {
                progress.step();
                progress.extraMessage(message);
            }
        }

        private static void close(final Progress progress) {
            if (progress != null) {
                progress.finish();
            }
        }
    }

    /** Co-signatures as {@code devices cosign} prints them: JSON objects, one a line, or a JSON array of them. */
    static List<ObjectNode> readSignatures(final Path file) throws OperatorHttp.CommandFailure {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (final IOException e) {
            throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "--signatures " + file + ": cannot read it (" + e.getMessage() + ")");
        }
        final List<JsonNode> nodes = new ArrayList<>();
        try {
            if (text.startsWith("[")) {
                OperatorHttp.JSON.readTree(text).forEach(nodes::add);
            } else {
                for (final String line : text.split("\r?\n")) {
                    if (!line.isBlank()) {
                        nodes.add(OperatorHttp.JSON.readTree(line));
                    }
                }
            }
        } catch (final IOException e) {
            throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "--signatures " + file + ": not JSON objects, one a line, as `factfleet devices cosign` "
                    + "prints them (" + e.getMessage() + ")");
        }
        final List<ObjectNode> signatures = new ArrayList<>();
        for (final JsonNode n : nodes) {
            if (!n.isObject() || !n.path("signature").isTextual() || !(n.path("deviceId").isTextual() || n.path("keyId").isTextual())) {
                throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "--signatures " + file + ": each co-signature needs \"signature\" and "
                        + "\"deviceId\" or \"keyId\", got " + n);
            }
            final ObjectNode s = OperatorHttp.JSON.createObjectNode();
            for (final String field : List.of("deviceId", "keyId", "signature")) {
                if (n.path(field).isTextual()) {
                    s.put(field, n.path(field).asText());
                }
            }
            signatures.add(s);
        }
        return signatures;
    }

    @Command(name = "enrol", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Enrol every device of a manifest (CSV: device_id,public_key in hex, one a line) in one roster batch.",
            footer = {"", "Without --cosigner or --signatures the batch is only prepared: its statement is written to --statement-out for "
                    + "the device key holders to co-sign (factfleet devices cosign).", "",
                    "Exit codes: 0 done (or prepared), 2 bad usage or an unreadable file, 3 unreachable, 4 no such authority, 5 not ready, "
                            + "7 refused (each refused row is printed with its line; nothing was applied), 8 not applied in time, 10 denied."})
    static final class Enrol extends BatchCommand {
        @Option(names = "--manifest", required = true, paramLabel = "FILE", description = "The devices to enrol: device_id,public_key per line.")
        Path manifestFile;

        @Option(names = "--remove", paramLabel = "DEVICE", description = "A device to remove in the same batch; repeat for more.")
        List<String> remove = new ArrayList<>();

        private String text;

        @Override
        String manifest() throws OperatorHttp.CommandFailure {
            if (text == null) {
                try {
                    text = Files.readString(manifestFile, StandardCharsets.UTF_8);
                } catch (final IOException e) {
                    throw new OperatorHttp.CommandFailure(ExitCodes.USAGE, "--manifest " + manifestFile + ": cannot read it (" + e + ")");
                }
            }
            return text;
        }

        @Override
        List<String> removals() {
            return remove;
        }

        @Override
        String verb() {
            return "enrol";
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Remove devices from an authority's roster in one roster batch.",
            footer = {"", "Exit codes: 0 done (or prepared), 2 bad usage, 3 unreachable, 4 no such authority, 5 not ready, 7 refused, "
                    + "8 not applied in time, 10 denied."})
    static final class Remove extends BatchCommand {
        @Option(names = "--device", required = true, paramLabel = "DEVICE", description = "A device to remove; repeat for more.")
        List<String> devices = new ArrayList<>();

        @Override
        String manifest() {
            return "";
        }

        @Override
        List<String> removals() {
            return devices;
        }

        @Override
        String verb() {
            return "remove";
        }
    }

    @Command(name = "cosign", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Co-sign a prepared roster batch with a device key, offline: prints {\"deviceId\", \"keyId\", \"signature\"} "
                    + "(one JSON line) for the operator's --signatures file.",
                    "What the statement does is printed on the error stream first: read it before you hand the signature over."},
            footer = {"", "Exit codes: 0 signed, 2 bad usage, an unreadable key or a file that is not a roster batch statement."})
    static final class Cosign implements Callable<Integer> {
        @Option(names = "--statement", required = true, paramLabel = "FILE", description = "The statement (hex), as devices enrol wrote it.")
        Path statement;

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "The device's key file (hex seed, mode 600).")
        Path key;

        @Option(names = "--device-id", paramLabel = "ID", description = "The device's id, printed beside its key id.")
        String deviceId;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            final byte[] bytes;
            final RosterBatchChange change;
            final Ed25519Keys.SigningKey signingKey;
            try {
                bytes = HexFormat.of().parseHex(Files.readString(statement, StandardCharsets.US_ASCII).strip());
                change = RosterBatches.readStatement(bytes);
                signingKey = OperatorCredential.readKey(key);
            } catch (final IOException | IllegalArgumentException e) {
                err.println("factfleet devices cosign: " + e.getMessage() + "; nothing was signed");
                err.flush();
                return ExitCodes.USAGE;
            }
            err.printf("Co-signing a roster batch of %s from epoch %d: %d to enrol, %d to remove%s; statement SHA-256 %s%n", change.getAuthorityId(),
                    change.getFromEpoch(), change.getEnrol().size(), change.getRemove().size(),
                    change.getNewThreshold() == null ? "" : ", new threshold " + change.getNewThreshold(), Hashing.hex(Hashing.sha256(bytes)));
            err.flush();
            final KeySignature s = RosterBatches.cosign(bytes, signingKey);
            final ObjectNode printed = OperatorHttp.JSON.createObjectNode();
            if (deviceId != null) {
                printed.put("deviceId", deviceId);
            }
            printed.put("keyId", s.getKeyId());
            printed.put("signature", Hashing.hex(Canonical.array(s.getSignature())));
            out.println(printed);
            out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Create device keys (one key file per device, mode 600, as the device SDK keeps them) and print their manifest "
                    + "(device_id,public_key): for trying enrolment out; real devices create their keys themselves.",
            footer = {"", "Exit codes: 0 done, 2 bad usage or a key file that cannot be written."})
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--prefix", required = true, paramLabel = "PREFIX", description = "Device ids are PREFIX0, PREFIX1, ...")
        String prefix;

        @Option(names = "--count", required = true, paramLabel = "N", description = "How many devices.")
        int count;

        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where to write <device id>.key.")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (count < 1 || count > RosterBatches.MAX_ENTRIES) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--count must be from 1 to " + RosterBatches.MAX_ENTRIES + ", got " + count);
            }
            final PrintWriter out = spec.commandLine().getOut();
            out.println(EnrolmentManifest.HEADER);
            try {
                for (int i = 0; i < count; i++) {
                    final String deviceId = prefix + i;
                    final Ed25519Keys.SigningKey k = DeviceKeyStore.loadOrCreate(dir.resolve(deviceId + ".key"));
                    out.println(deviceId + "," + Hashing.hex(k.publicKey()));
                }
            } catch (final RuntimeException e) {
                spec.commandLine().getErr().println("factfleet devices keygen: " + Objects.requireNonNullElse(e.getMessage(), e.toString()));
                return ExitCodes.USAGE;
            }
            out.flush();
            return ExitCodes.OK;
        }
    }
}
