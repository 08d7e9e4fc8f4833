package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.auth.OperatorCredential;
import io.factfleet.auth.OperatorEntry;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.core.RosterBatches;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import io.factfleet.testkit.TestOperators;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's bulk provisioning end to end on an in-process cluster: the snapshot coordinator prepares a roster batch from
 * a device manifest, M current devices co-sign its statement offline, the coordinator signs the fact with the admin key
 * and publishes it through ingest, and the reducer's roster shows the new devices at the next epoch. Every refusal is
 * an HTTP answer that names what is wrong, and leaves every fact topic as it was.
 */
class RosterBatchEnrolmentIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final Ed25519Keys.SigningKey VIEWER = Ed25519Keys.generate();
    /** The site that enrols 10,000 devices. */
    private static final AuthorityGenesis BIG = AuthorityGenesis.generate("site-big", 5, 3);
    /** Refusals only: its roster never changes. */
    private static final AuthorityGenesis SITE = AuthorityGenesis.generate("site-refusals", 5, 3);
    /** Epochs moving under a prepared batch, and submissions repeated. */
    private static final AuthorityGenesis MOVING = AuthorityGenesis.generate("site-moving", 4, 2);

    @TempDir
    static Path dir;
    private static InProcessSpine spine;
    private static SnapshotCoordinatorService coordinator;
    /** A second instance of the same coordinator: each owns one of the two partitions, and forwards to the other. */
    private static SnapshotCoordinatorService second;

    @BeforeAll
    static void startTheStack() throws Exception {
        final TestOperators operators = TestOperators.create(dir.resolve("operators"))
                .with(OperatorEntry.ed25519("viewer", List.of(Hashing.hex(VIEWER.publicKey())), Map.of("*", List.of("viewer"))));
        spine = InProcessSpine.start(KAFKA, dir, OPERATOR, 1, 2, 1, operators);
        final Properties props = operators.serviceProps();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("schema.registry.url", spine.registryUrl);
        props.put("state.dir", dir.resolve("coordinator").toString());
        props.put(SnapshotConfig.HTTP_PORT, "0");
        props.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
        props.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        final AdminKeyRing ring = AdminKeyRing.of(Map.of(BIG.authorityId(), BIG.adminKey(), SITE.authorityId(), SITE.adminKey(),
                MOVING.authorityId(), MOVING.adminKey()));
        coordinator = new SnapshotCoordinatorService(SnapshotConfig.of(props, ring)).start();
        final Properties secondProps = new Properties();
        secondProps.putAll(props);
        secondProps.put("state.dir", dir.resolve("coordinator-2").toString());
        second = new SnapshotCoordinatorService(SnapshotConfig.of(secondProps, ring)).start();
        Await.until("both coordinators are RUNNING", Duration.ofSeconds(90), () -> coordinator.streamsState() == KafkaStreams.State.RUNNING
                && second.streamsState() == KafkaStreams.State.RUNNING);
        for (final AuthorityGenesis g : List.of(BIG, SITE, MOVING)) {
            spine.publish(g.genesisFact(OPERATOR));
        }
        for (final AuthorityGenesis g : List.of(BIG, SITE, MOVING)) {
            Await.until(g.authorityId() + " is known to both coordinators and the reducer", Duration.ofSeconds(90),
                    () -> send(TestOperators.get(coordinator.httpUri().resolve("/authorities/" + g.authorityId() + "/snapshots/status"))).statusCode() == 200
                            && send(TestOperators.get(second.httpUri().resolve("/authorities/" + g.authorityId() + "/snapshots/status"))).statusCode() == 200
                            && rosterEpoch(g) == 0);
        }
    }

    @AfterAll
    static void stopTheStack() {
        if (second != null) {
            second.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
        if (spine != null) {
            spine.close();
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static HttpResponse<String> send(final HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(final String path, final JsonNode body) throws Exception {
        return post(coordinator, path, body);
    }

    private static HttpResponse<String> post(final SnapshotCoordinatorService instance, final String path, final JsonNode body) throws Exception {
        return send(TestOperators.post(instance.httpUri().resolve(path), body.toString()).header("Content-Type", "application/json"));
    }

    private static JsonNode roster(final AuthorityGenesis g) throws Exception {
        final HttpResponse<String> r = send(TestOperators.get(URI.create(spine.reducer(0).httpUri() + "/authorities/" + g.authorityId() + "/roster")));
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    private static long rosterEpoch(final AuthorityGenesis g) throws Exception {
        final JsonNode roster = roster(g);
        return roster == null ? -1 : roster.path("identityEpoch").asLong(-1);
    }

    private static String row(final String deviceId) {
        return deviceId + "," + Hashing.hex(Ed25519Keys.generate().publicKey());
    }

    private static ObjectNode batch(final String manifest, final List<String> remove, final Integer newThreshold) {
        final ObjectNode body = JSON.createObjectNode().put("manifest", manifest);
        remove.forEach(body.putArray("remove")::add);
        if (newThreshold == null) {
            body.putNull("newThreshold");
        } else {
            body.put("newThreshold", newThreshold);
        }
        return body;
    }

    private static JsonNode prepare(final AuthorityGenesis g, final ObjectNode batch) throws Exception {
        final HttpResponse<String> r = post("/authorities/" + g.authorityId() + "/roster/batches/prepare", batch);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** The co-signature of device {@code index} of {@code g} over the prepared statement, as {@code devices cosign} prints it. */
    private static ObjectNode cosignature(final AuthorityGenesis g, final int index, final JsonNode prepared) {
        final byte[] statement = HexFormat.of().parseHex(prepared.path("statementHex").asText());
        final byte[] signature = Canonical.array(RosterBatches.cosign(statement, g.deviceKeys().get(index)).getSignature());
        return JSON.createObjectNode().put("deviceId", g.deviceIds().get(index)).put("signature", Hashing.hex(signature));
    }

    private static ObjectNode submission(final ObjectNode batch, final JsonNode prepared, final List<ObjectNode> signatures) {
        final ObjectNode body = batch.deepCopy();
        body.put("fromEpoch", prepared.path("fromEpoch").asLong());
        body.put("issuedAtMillis", prepared.path("issuedAtMillis").asLong());
        signatures.forEach(body.putArray("signatures")::add);
        return body;
    }

    private static HttpResponse<String> submit(final AuthorityGenesis g, final ObjectNode body) throws Exception {
        return post("/authorities/" + g.authorityId() + "/roster/batches", body);
    }

    /** The end offsets of every fact topic: what any published fact or rejection would move. */
    private static Map<TopicPartition, Long> factTopicEnds() throws Exception {
        final List<String> topics = List.of(FactFleetTopics.INBOUND.name(), FactFleetTopics.JOURNAL.name(), FactFleetTopics.REJECTED.name());
        final Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
        KAFKA.admin().describeTopics(topics).allTopicNames().get().forEach((name, d) -> d.partitions()
                .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        final Map<TopicPartition, Long> ends = new LinkedHashMap<>();
        KAFKA.admin().listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    private static void assertRefused(final HttpResponse<String> r, final int status, final String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        final JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("code").asText()).as(r.body()).isEqualTo(code);
        assertThat(body.path("message").asText()).isNotBlank();
    }

    // ---- the enrolment -----------------------------------------------------------------------

    @Test
    void tenThousandDevicesEnrolInOneBatchCoSignedByMDevicesAndTheReducerShowsThemAtTheNextEpoch() throws Exception {
        final StringBuilder manifest = new StringBuilder("device_id,public_key\n");
        for (int i = 0; i < RosterBatches.MAX_ENTRIES; i++) {
            manifest.append(row(String.format("big-%05d", i))).append('\n');
        }
        final ObjectNode batch = batch(manifest.toString(), List.of(), null);
        final JsonNode prepared = prepare(BIG, batch);
        assertThat(prepared.path("fromEpoch").asLong()).isZero();
        assertThat(prepared.path("toEpoch").asLong()).isEqualTo(1);
        assertThat(prepared.path("enrol").asInt()).isEqualTo(10_000);
        assertThat(prepared.path("remove").asInt()).isZero();
        assertThat(prepared.path("signersNeeded").asInt()).isEqualTo(3);
        assertThat(prepared.path("eligibleSigners")).extracting(JsonNode::asText).containsExactlyElementsOf(BIG.deviceIds());
        final byte[] statement = HexFormat.of().parseHex(prepared.path("statementHex").asText());
        assertThat(prepared.path("statementSha256").asText()).isEqualTo(Hashing.hex(Hashing.sha256(statement)));
        assertThat(RosterBatches.readStatement(statement).getEnrol()).hasSize(10_000);

        final HttpResponse<String> r = submit(BIG, submission(batch, prepared, List.of(cosignature(BIG, 4, prepared), cosignature(BIG, 0, prepared),
                cosignature(BIG, 2, prepared))));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        final JsonNode accepted = JSON.readTree(r.body());
        assertThat(accepted.path("factId").asText()).hasSize(64);
        assertThat(accepted.path("fromEpoch").asLong()).isZero();
        assertThat(accepted.path("toEpoch").asLong()).isEqualTo(1);
        assertThat(accepted.path("enrol").asInt()).isEqualTo(10_000);

        Await.until("the reducer's roster of " + BIG.authorityId() + " is at epoch 1", Duration.ofSeconds(120), () -> rosterEpoch(BIG) == 1);
        final JsonNode roster = roster(BIG);
        assertThat(roster.path("members")).hasSize(10_005);
        assertThat(roster.path("members").findValuesAsText("deviceId")).contains("big-00000", "big-09999", BIG.deviceIds().get(0));
        assertThat(roster.path("threshold").asInt()).isEqualTo(3);
    }

    @Test
    void eitherInstanceAnswersForEveryAuthorityByForwardingToItsOwner() throws Exception {
        // Three authorities on two partitions, one instance owning each: for some, one instance forwards the signed POST
        // with its body to the other, which authenticates the caller again and answers.
        final ObjectNode batch = batch(row("either-1"), List.of(), null);
        for (final AuthorityGenesis g : List.of(SITE, MOVING)) {
            final HttpResponse<String> first = post(coordinator, "/authorities/" + g.authorityId() + "/roster/batches/prepare", batch);
            final HttpResponse<String> other = post(second, "/authorities/" + g.authorityId() + "/roster/batches/prepare", batch);
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
            assertThat(JSON.readTree(other.body()).path("statementSha256")).isEqualTo(JSON.readTree(first.body()).path("statementSha256"));
        }
    }

    // ---- refusals ----------------------------------------------------------------------------

    @Test
    void aManifestWithBadRowsIsRefusedWithEveryLineAndNothingReachesTheJournal() throws Exception {
        final Map<TopicPartition, Long> before = factTopicEnds();
        final String manifest = String.join("\n", "device_id,public_key", row("s-1"), "s-2,abc", row("s-1"), row(SITE.deviceIds().get(1)),
                "s 5," + Hashing.hex(Ed25519Keys.generate().publicKey()), "just-one-field");
        final HttpResponse<String> r = post("/authorities/" + SITE.authorityId() + "/roster/batches/prepare", batch(manifest, List.of("ghost"), null));
        assertRefused(r, 422, "MANIFEST_REFUSED");
        final JsonNode refusals = JSON.readTree(r.body()).path("refusals");
        assertThat(refusals).extracting(n -> n.path("line").asInt() + " " + n.path("code").asText()).containsExactly("3 INVALID_PUBLIC_KEY",
                "4 DUPLICATE_DEVICE", "5 ALREADY_ENROLLED", "6 INVALID_DEVICE_ID", "7 MALFORMED_ROW", "0 NOT_ENROLLED");
        assertThat(refusals).allSatisfy(n -> assertThat(n.path("message").asText()).isNotBlank());
        // The same manifest submitted with co-signatures is refused the same way, before any signature is looked at.
        final ObjectNode body = batch(manifest, List.of(), null).put("fromEpoch", 0);
        body.putArray("signatures");
        assertRefused(submit(SITE, body), 422, "MANIFEST_REFUSED");
        assertThat(factTopicEnds()).as("no fact published or rejected").isEqualTo(before);
        assertThat(rosterEpoch(SITE)).isZero();
    }

    private static ObjectNode goodBatch() {
        return batch(row("s-good-1") + "\n" + row("s-good-2"), List.of(), null);
    }

    @Test
    void tooFewCoSignaturesAreRefused() throws Exception {
        final Map<TopicPartition, Long> before = factTopicEnds();
        final ObjectNode batch = goodBatch();
        final JsonNode prepared = prepare(SITE, batch);
        final HttpResponse<String> r = submit(SITE, submission(batch, prepared, List.of(cosignature(SITE, 0, prepared), cosignature(SITE, 1, prepared))));
        assertRefused(r, 422, "TOO_FEW_SIGNATURES");
        assertThat(JSON.readTree(r.body()).path("message").asText()).contains("2 valid co-signatures of 3");
        assertThat(factTopicEnds()).isEqualTo(before);
    }

    @Test
    void aCoSignatureByADeviceNotOnTheRosterIsRefusedByName() throws Exception {
        final Map<TopicPartition, Long> before = factTopicEnds();
        final ObjectNode batch = goodBatch();
        final JsonNode prepared = prepare(SITE, batch);
        final byte[] statement = HexFormat.of().parseHex(prepared.path("statementHex").asText());
        final ObjectNode stranger = JSON.createObjectNode().put("deviceId", "stranger")
                .put("signature", Hashing.hex(Canonical.array(RosterBatches.cosign(statement, Ed25519Keys.generate()).getSignature())));
        final HttpResponse<String> r = submit(SITE, submission(batch, prepared, List.of(cosignature(SITE, 0, prepared), cosignature(SITE, 1, prepared),
                stranger)));
        assertRefused(r, 422, "COSIGNER_NOT_MEMBER");
        assertThat(JSON.readTree(r.body()).path("refusals")).singleElement().satisfies(n -> assertThat(n.path("deviceId").asText()).isEqualTo("stranger"));
        assertThat(factTopicEnds()).isEqualTo(before);
    }

    @Test
    void aCoSignatureThatDoesNotVerifyIsRefusedByName() throws Exception {
        final Map<TopicPartition, Long> before = factTopicEnds();
        final ObjectNode batch = goodBatch();
        final JsonNode prepared = prepare(SITE, batch);
        final ObjectNode forged = cosignature(SITE, 2, prepared);
        final char[] hex = forged.path("signature").asText().toCharArray();
        hex[10] = hex[10] == '0' ? '1' : '0';
        forged.put("signature", new String(hex));
        final HttpResponse<String> r = submit(SITE, submission(batch, prepared, List.of(cosignature(SITE, 0, prepared), cosignature(SITE, 1, prepared),
                forged)));
        assertRefused(r, 422, "BAD_COSIGNATURE");
        assertThat(JSON.readTree(r.body()).path("message").asText()).contains(SITE.deviceIds().get(2)).contains(prepared.path("statementSha256").asText());
        assertThat(factTopicEnds()).isEqualTo(before);
    }

    @Test
    void aViewerMayNeitherPrepareNorSubmit() throws Exception {
        final Map<TopicPartition, Long> before = factTopicEnds();
        final ObjectNode batch = goodBatch();
        final JsonNode prepared = prepare(SITE, batch);
        final ObjectNode body = submission(batch, prepared, List.of(cosignature(SITE, 0, prepared), cosignature(SITE, 1, prepared),
                cosignature(SITE, 2, prepared)));
        for (final String path : List.of("/roster/batches/prepare", "/roster/batches")) {
            final URI uri = coordinator.httpUri().resolve("/authorities/" + SITE.authorityId() + path);
            final byte[] bytes = (path.endsWith("prepare") ? batch : body).toString().getBytes(StandardCharsets.UTF_8);
            final HttpResponse<String> r = send(OperatorCredential.ed25519(VIEWER).sign(HttpRequest.newBuilder(uri), "POST", uri, bytes)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
            assertRefused(r, 403, "PERMISSION_DENIED");
            assertThat(r.body()).contains("roster.write");
        }
        assertThat(factTopicEnds()).isEqualTo(before);
        assertThat(rosterEpoch(SITE)).isZero();
    }

    // ---- epochs and repeats ------------------------------------------------------------------

    @Test
    void aBatchPreparedBeforeTheEpochMovedIsRefusedAndTheSameSubmissionTwiceIsOneFact() throws Exception {
        final ObjectNode first = batch(row("m-1"), List.of(), null);
        final ObjectNode second = batch(row("m-2"), List.of(MOVING.deviceIds().get(3)), null);
        final JsonNode preparedFirst = prepare(MOVING, first);
        final JsonNode preparedSecond = prepare(MOVING, second);
        final ObjectNode firstSubmission = submission(first, preparedFirst, List.of(cosignature(MOVING, 0, preparedFirst),
                cosignature(MOVING, 1, preparedFirst)));
        final HttpResponse<String> once = submit(MOVING, firstSubmission);
        final HttpResponse<String> twice = submit(MOVING, firstSubmission);
        assertThat(once.statusCode()).as(once.body()).isEqualTo(202);
        assertThat(twice.statusCode()).as(twice.body()).isEqualTo(202);
        final String factId = JSON.readTree(once.body()).path("factId").asText();
        assertThat(JSON.readTree(twice.body()).path("factId").asText()).as("the same statement and co-signatures: the same fact").isEqualTo(factId);
        Await.until("the first batch applied", Duration.ofSeconds(60), () -> rosterEpoch(MOVING) == 1);

        // Submitted again once applied: the same fact, applied.
        final HttpResponse<String> again = submit(MOVING, firstSubmission);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
        assertThat(JSON.readTree(again.body()).path("factId").asText()).isEqualTo(factId);
        assertThat(JSON.readTree(again.body()).path("status").asText()).isEqualTo("APPLIED");

        // The second batch was prepared at epoch 0; its co-signatures speak of epoch 0, so it must be prepared again.
        final Map<TopicPartition, Long> before = factTopicEnds();
        final HttpResponse<String> moved = submit(MOVING, submission(second, preparedSecond, List.of(cosignature(MOVING, 0, preparedSecond),
                cosignature(MOVING, 1, preparedSecond))));
        assertRefused(moved, 409, "EPOCH_MOVED");
        assertThat(JSON.readTree(moved.body()).path("message").asText()).contains("from epoch 0 to 1").contains(factId).contains("prepare it again");
        assertThat(factTopicEnds()).isEqualTo(before);

        final JsonNode reprepared = prepare(MOVING, second);
        assertThat(reprepared.path("fromEpoch").asLong()).isEqualTo(1);
        assertThat(submit(MOVING, submission(second, reprepared, List.of(cosignature(MOVING, 2, reprepared), cosignature(MOVING, 1, reprepared))))
                .statusCode()).isEqualTo(202);
        Await.until("the second batch applied", Duration.ofSeconds(60), () -> rosterEpoch(MOVING) == 2);
        assertThat(roster(MOVING).path("members").findValuesAsText("deviceId")).contains("m-1", "m-2").doesNotContain(MOVING.deviceIds().get(3));
    }
}
