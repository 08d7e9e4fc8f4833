package io.factfleet.snapshot.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.EnrolmentManifest;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.RosterBatches;
import io.factfleet.core.Rosters;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterBatchChange;
import io.factfleet.schema.RosterBatchChanged;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEpoch;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Bulk roster changes through the coordinator, which holds the authority's admin key: an operator prepares a batch from
 * a device manifest (every refused row answered with its line, nothing kept), M holders of current device keys co-sign
 * the prepared statement offline, and the coordinator checks each co-signature, signs the {@link RosterBatchChanged}
 * fact with the admin key and publishes it through ingest.
 *
 * <ul>
 *   <li>{@code POST /authorities/{id}/roster/batches/prepare} body {@code {"manifest": "<csv>", "remove": [ids],
 *       "newThreshold": n|null}}: 200 {@code {authorityId, fromEpoch, toEpoch, statementHex, statementSha256, enrol, remove,
 *       threshold, newThreshold, signersNeeded, eligibleSignerCount, eligibleSigners, issuedAtMillis}}
 *       ({@code eligibleSigners} lists the roster's device ids up to {@value #LISTED_SIGNERS}, else null); 422
 *       {@code MANIFEST_REFUSED} with {@code refusals: [{code, line, message}]}.</li>
 *   <li>{@code POST /authorities/{id}/roster/batches}: the same body plus {@code fromEpoch}, {@code signatures:
 *       [{deviceId | keyId, signature}]} (hex) and the prepare answer's {@code issuedAtMillis} (so that a retried
 *       submission is the same fact): 202 {@code {authorityId, factId, fromEpoch, toEpoch, enrol, remove, signers,
 *       status}}; 409 {@code EPOCH_MOVED}; 422 {@code MANIFEST_REFUSED} or the first co-signature refusal's code
 *       ({@code TOO_FEW_SIGNATURES}, {@code COSIGNER_NOT_MEMBER}, {@code BAD_COSIGNATURE}, ...) with every refusal in
 *       {@code refusals: [{code, deviceId, message}]}. Submitting the same statement and co-signatures again answers
 *       the same fact id, {@code status} {@code SUBMITTED} while it is on its way and {@code APPLIED} once it advanced
 *       the epoch.</li>
 * </ul>
 * Both answer 409 {@code NO_ADMIN_KEY} or {@code NOT_ADMIN} when the coordinator cannot sign for the authority, 400
 * {@code MALFORMED_JSON} / {@code BAD_REQUEST} for a body it cannot read; a submission answers 503 {@code PUBLISH_FAILED}
 * when Kafka did not take the fact (the same submission again is the same fact). The service routes a request to the instance
 * owning the authority before it gets here.
 */
public final class RosterBatchHttpApi {
    /** The most device ids a prepare answer lists as eligible co-signers; above it, only their count. */
    public static final int LISTED_SIGNERS = 100;
    private static final int UNPROCESSABLE = 422;

    private final AdminKeyRing keys;
    private final String actor;
    private final SignatureVerifier verifier;
    private final Consumer<FactEnvelope> publish;
    private final LongSupplier clock;

    /**
     * @param publish produces a fact to the inbound topic and returns once Kafka acknowledged it
     * @param clock   the issue time of a prepared batch's fact
     */
    public RosterBatchHttpApi(final AdminKeyRing keys, final String actor, final SignatureVerifier verifier, final Consumer<FactEnvelope> publish,
                              final LongSupplier clock) {
        this.keys = keys;
        this.actor = actor;
        this.verifier = verifier;
        this.publish = publish;
        this.clock = clock;
    }

    /** What an operator asked for: the manifest, removals and threshold, and for a submission the co-signatures. */
    private record Request(String manifest, List<String> remove, Integer newThreshold, Long fromEpoch, Long issuedAtMillis,
                           List<RosterBatches.Cosignature> signatures) {
    }

    /** A request that cannot be read, with its code and message. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final String code;

        BadRequest(final String code, final String message) {
            super(message);
            this.code = code;
        }
    }

    /** {@code POST /authorities/{id}/roster/batches/prepare} for an authority whose state this instance holds. */
    public void prepare(final Context ctx, final MaintenanceState state) {
        final Request request = read(ctx, false);
        if (request == null || !canSign(ctx, state)) {
            return;
        }
        final RosterAtEpoch current = Rosters.at(state, state.getIdentityEpoch()).orElseThrow();
        final EnrolmentManifest.Batch batch = EnrolmentManifest.batch(state.getAuthorityId(), current, request.manifest(), request.remove(),
                request.newThreshold());
        if (!batch.accepted()) {
            manifestRefused(ctx, batch);
            return;
        }
        final RosterBatchChange statement = batch.statement();
        final byte[] bytes = RosterBatches.statement(statement);
        final ObjectNode answer = Json.MAPPER.createObjectNode();
        answer.put("authorityId", state.getAuthorityId());
        answer.put("fromEpoch", statement.getFromEpoch());
        answer.put("toEpoch", statement.getFromEpoch() + 1);
        answer.put("statementHex", HexFormat.of().formatHex(bytes));
        answer.put("statementSha256", Hashing.hex(Hashing.sha256(bytes)));
        answer.put("enrol", statement.getEnrol().size());
        answer.put("remove", statement.getRemove().size());
        answer.put("threshold", current.getThreshold());
        if (statement.getNewThreshold() == null) {
            answer.putNull("newThreshold");
        } else {
            answer.put("newThreshold", statement.getNewThreshold());
        }
        answer.put("signersNeeded", current.getThreshold());
        answer.put("eligibleSignerCount", current.getMembers().size());
        if (current.getMembers().size() <= LISTED_SIGNERS) {
            final ArrayNode eligible = answer.putArray("eligibleSigners");
            current.getMembers().forEach(m -> eligible.add(m.getDeviceId()));
        } else {
            answer.putNull("eligibleSigners");
        }
        answer.put("issuedAtMillis", clock.getAsLong());
        ctx.status(200).contentType("application/json").result(answer.toString());
    }

    /**
     * {@code POST /authorities/{id}/roster/batches} for an authority whose state this instance holds; {@code rosterFacts}
     * is the coordinator's store of roster facts (to recognise a submission already applied).
     */
    public void submit(final Context ctx, final MaintenanceState state, final ReadOnlyKeyValueStore<String, byte[]> rosterFacts) {
        final Request request = read(ctx, true);
        if (request == null || !canSign(ctx, state)) {
            return;
        }
        final long fromEpoch = request.fromEpoch();
        if (fromEpoch != state.getIdentityEpoch()) {
            epochMoved(ctx, state, request, rosterFacts);
            return;
        }
        final RosterAtEpoch current = Rosters.at(state, fromEpoch).orElseThrow();
        final EnrolmentManifest.Batch batch = EnrolmentManifest.batch(state.getAuthorityId(), current, request.manifest(), request.remove(),
                request.newThreshold());
        if (!batch.accepted()) {
            manifestRefused(ctx, batch);
            return;
        }
        final RosterBatches.Certification certification = RosterBatches.certify(current, batch.statement(), request.signatures(), verifier);
        if (!certification.certified()) {
            final ObjectNode body = error(certification.refusals().get(0).code(), certification.refusals().size() == 1
                    ? certification.refusals().get(0).message()
                    : certification.refusals().size() + " co-signatures refused (each below); nothing was published: "
                    + certification.refusals().get(0).message());
            final ArrayNode refusals = body.putArray("refusals");
            for (final RosterBatches.CosignRefusal r : certification.refusals()) {
                refusals.addObject().put("code", r.code()).put("deviceId", r.signer()).put("message", r.message());
            }
            ctx.status(UNPROCESSABLE).contentType("application/json").result(body.toString());
            return;
        }
        final long issuedAt = request.issuedAtMillis() != null ? request.issuedAtMillis() : clock.getAsLong();
        final DeviceSigner admin = keys.signer(state.getAuthorityId(), actor).orElseThrow();
        final FactEnvelope fact = admin.signAt(fromEpoch, issuedAt, new RosterBatchChanged(batch.statement(), certification.certificate()));
        try {
            publish.accept(fact);
        } catch (final RuntimeException e) {
            ctx.header("Retry-After", "2");
            ctx.status(503).contentType("application/json").result(error("PUBLISH_FAILED", "the batch was checked and signed as fact "
                    + Facts.idHex(fact) + " but Kafka did not take it (" + e.getMessage() + "); send the same submission again: it is the same fact")
                    .toString());
            return;
        }
        final ObjectNode answer = accepted(state.getAuthorityId(), Facts.idHex(fact), batch.statement(), "SUBMITTED");
        final ArrayNode signers = answer.putArray("signers");
        certification.signers().forEach(signers::add);
        ctx.status(202).contentType("application/json").result(answer.toString());
    }

    /**
     * The roster is no longer at the request's epoch: the same batch already applied (an earlier submission of this
     * statement advanced the epoch) answers as accepted; anything else must be prepared and co-signed again.
     */
    private void epochMoved(final Context ctx, final MaintenanceState state, final Request request,
                            final ReadOnlyKeyValueStore<String, byte[]> rosterFacts) {
        final long fromEpoch = request.fromEpoch();
        final Optional<RosterEpoch> next = Rosters.header(state, fromEpoch + 1);
        if (fromEpoch >= 0 && next.isPresent()) {
            final RosterAtEpoch then = Rosters.at(state, fromEpoch).orElseThrow();
            final EnrolmentManifest.Batch batch = EnrolmentManifest.batch(state.getAuthorityId(), then, request.manifest(), request.remove(),
                    request.newThreshold());
            final byte[] cause = rosterFacts.get(JournalKey.of(state.getAuthorityId(), next.get().getCauseFactId()));
            if (batch.accepted() && cause != null
                    && Canonical.decode(cause, FactEnvelope.class).getBody().getPayload() instanceof RosterBatchChanged applied
                    && applied.getStatement().equals(batch.statement())) {
                ctx.status(202).contentType("application/json")
                        .result(accepted(state.getAuthorityId(), next.get().getCauseFactId(), batch.statement(), "APPLIED").toString());
                return;
            }
        }
        final String by = next.map(h -> " (advanced by fact " + h.getCauseFactId() + ")").orElse("");
        final ObjectNode body = error("EPOCH_MOVED", fromEpoch < state.getIdentityEpoch()
                ? "the roster of " + state.getAuthorityId() + " moved from epoch " + fromEpoch + " to " + state.getIdentityEpoch() + by
                + " since the batch was prepared; prepare it again and collect co-signatures of the new statement"
                : "the batch is from epoch " + fromEpoch + " but the roster of " + state.getAuthorityId() + " is at epoch " + state.getIdentityEpoch()
                + "; prepare it again");
        body.put("fromEpoch", fromEpoch);
        body.put("identityEpoch", state.getIdentityEpoch());
        ctx.status(409).contentType("application/json").result(body.toString());
    }

    private static ObjectNode accepted(final String authority, final String factId, final RosterBatchChange statement, final String status) {
        final ObjectNode answer = Json.MAPPER.createObjectNode();
        answer.put("authorityId", authority);
        answer.put("factId", factId);
        answer.put("fromEpoch", statement.getFromEpoch());
        answer.put("toEpoch", statement.getFromEpoch() + 1);
        answer.put("enrol", statement.getEnrol().size());
        answer.put("remove", statement.getRemove().size());
        answer.put("status", status);
        return answer;
    }

    private static void manifestRefused(final Context ctx, final EnrolmentManifest.Batch batch) {
        final int n = batch.refusals().size();
        final ObjectNode body = error("MANIFEST_REFUSED", n + " entr" + (n == 1 ? "y" : "ies") + " of the batch refused (each with its manifest "
                + "line; line 0 is about the batch as a whole or a removal); nothing was kept: fix them and prepare again");
        final ArrayNode refusals = body.putArray("refusals");
        for (final EnrolmentManifest.Refusal r : batch.refusals()) {
            refusals.addObject().put("code", r.code()).put("line", r.line()).put("message", r.message());
        }
        ctx.status(UNPROCESSABLE).contentType("application/json").result(body.toString());
    }

    /** Whether this coordinator holds the authority's current admin key; answers 409 when not. */
    private boolean canSign(final Context ctx, final MaintenanceState state) {
        final String authority = state.getAuthorityId();
        final Optional<io.factfleet.core.Ed25519Keys.SigningKey> admin = keys.adminKey(authority);
        if (admin.isEmpty()) {
            ctx.status(409).contentType("application/json").result(error("NO_ADMIN_KEY", "the coordinator's key ring "
                    + "(factfleet.coordinator.admin.keys) has no admin key for " + authority + "; it cannot sign the batch").toString());
            return false;
        }
        if (!admin.get().keyId().equals(state.getAdminKeyId())) {
            ctx.status(409).contentType("application/json").result(error("NOT_ADMIN", "the key ring's key for " + authority
                    + " is not its current admin key " + state.getAdminKeyId() + "; put the current admin key in the ring").toString());
            return false;
        }
        return true;
    }

    /** The request's fields, or null after answering 400. */
    private static Request read(final Context ctx, final boolean submission) {
        try {
            final JsonNode body;
            try {
                body = Json.MAPPER.readTree(ctx.body());
            } catch (final Exception e) {
                throw new BadRequest("MALFORMED_JSON", "the body must be JSON like {\"manifest\": \"device_id,public_key\\n...\", \"remove\": [], "
                        + "\"newThreshold\": null}: " + e.getMessage());
            }
            if (body == null || !body.isObject()) {
                throw new BadRequest("MALFORMED_JSON", "the body must be a JSON object with manifest, remove and newThreshold");
            }
            final JsonNode manifest = body.path("manifest");
            if (!manifest.isMissingNode() && !manifest.isNull() && !manifest.isTextual()) {
                throw new BadRequest("BAD_REQUEST", "manifest must be the manifest's CSV text (device_id,public_key per line)");
            }
            final List<String> remove = new ArrayList<>();
            final JsonNode removals = body.path("remove");
            if (!removals.isMissingNode() && !removals.isNull()) {
                if (!removals.isArray()) {
                    throw new BadRequest("BAD_REQUEST", "remove must be an array of device ids");
                }
                for (final JsonNode id : removals) {
                    if (!id.isTextual()) {
                        throw new BadRequest("BAD_REQUEST", "remove must be an array of device ids (strings), got " + id);
                    }
                    remove.add(id.asText());
                }
            }
            final JsonNode threshold = body.path("newThreshold");
            if (!threshold.isMissingNode() && !threshold.isNull() && !threshold.canConvertToInt()) {
                throw new BadRequest("BAD_REQUEST", "newThreshold must be a whole number or null, got " + threshold);
            }
            final Integer newThreshold = threshold.isMissingNode() || threshold.isNull() ? null : threshold.intValue();
            if (!submission) {
                return new Request(manifest.isTextual() ? manifest.asText() : null, remove, newThreshold, null, null, List.of());
            }
            final JsonNode from = body.path("fromEpoch");
            if (!from.canConvertToLong()) {
                throw new BadRequest("BAD_REQUEST", "fromEpoch must be the prepared batch's epoch (a whole number)");
            }
            final JsonNode issued = body.path("issuedAtMillis");
            if (!issued.isMissingNode() && !issued.isNull() && !issued.canConvertToLong()) {
                throw new BadRequest("BAD_REQUEST", "issuedAtMillis must be the prepare answer's issuedAtMillis (a whole number) or absent");
            }
            final JsonNode signatures = body.path("signatures");
            if (!signatures.isArray()) {
                throw new BadRequest("BAD_REQUEST", "signatures must be an array of {\"deviceId\": ..., \"signature\": \"<hex>\"} "
                        + "(factfleet devices cosign prints them)");
            }
            final List<RosterBatches.Cosignature> cosignatures = new ArrayList<>();
            for (final JsonNode s : signatures) {
                final String deviceId = s.path("deviceId").isTextual() ? s.path("deviceId").asText() : null;
                final String keyId = s.path("keyId").isTextual() ? s.path("keyId").asText() : null;
                final String hex = s.path("signature").asText("");
                final byte[] signature;
                try {
                    signature = HexFormat.of().parseHex(hex);
                } catch (final IllegalArgumentException e) {
                    throw new BadRequest("BAD_REQUEST", "the signature of " + (deviceId != null ? deviceId : keyId) + " must be hex");
                }
                cosignatures.add(new RosterBatches.Cosignature(deviceId, keyId, signature));
            }
            return new Request(manifest.isTextual() ? manifest.asText() : null, remove, newThreshold, from.longValue(),
                    issued.canConvertToLong() ? issued.longValue() : null, cosignatures);
        } catch (final BadRequest e) {
            ctx.status(400).contentType("application/json").result(error(e.code, e.getMessage()).toString());
            return null;
        }
    }

    private static ObjectNode error(final String code, final String message) {
        return Json.MAPPER.createObjectNode().put("error", code).put("code", code).put("message", message);
    }
}
