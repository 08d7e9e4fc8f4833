package io.factfleet.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Facts;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.WireFormat;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.JournalEntry;
import io.factfleet.schema.bridge.FactBatch;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bridge over HTTP against a real broker and a fake reducer (so each reducer answer is the
 * test's choice): one test per rejection, the accepted path read back from the inbound topic, and
 * the relays. The same behaviours against the real reducer and ingest are in {@code EdgeBridgeIT}.
 */
class EdgeBridgeHttpTest {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    private static final int MAX_BODY = 200_000;
    private static final int MAX_BATCH = 20;
    private static final AtomicInteger AUTHORITIES = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static final InMemorySchemaRegistryClient REGISTRY = new InMemorySchemaRegistryClient();
    private static final SpecificAvroSerializer<FactEnvelope> FACTS = new SpecificAvroSerializer<>(REGISTRY);
    private static final SpecificAvroSerializer<FactBatch> BATCHES = new SpecificAvroSerializer<>(REGISTRY);
    private static FakeReducer reducer;
    private static EdgeBridgeService bridge;
    private static final List<EdgeBridgeService> EXTRA = new ArrayList<>();

    @BeforeAll
    static void start() {
        KAFKA.createTopic(FactFleetTopics.INBOUND.name(), 3, 1, FactFleetTopics.INBOUND.configs());
        reducer = new FakeReducer();
        bridge = start(Map.of());
    }

    @AfterAll
    static void stop() {
        EXTRA.forEach(EdgeBridgeService::stop);
        if (reducer != null) {
            reducer.close();
        }
    }

    private static EdgeBridgeService start(final Map<String, Object> overrides) {
        final Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put(BridgeConfig.REDUCER_URL, reducer.url());
        props.put(BridgeConfig.HTTP_PORT, 0);
        props.put(BridgeConfig.HTTP_BIND_HOST, "127.0.0.1");
        props.put(BridgeConfig.MAX_BODY_BYTES, MAX_BODY);
        props.put(BridgeConfig.MAX_BATCH_FACTS, MAX_BATCH);
        props.put(BridgeConfig.ROSTER_CACHE_MS, 1);
        props.put(BridgeConfig.PENDING_POLL_INTERVAL_MS, 50);
        props.put(BridgeConfig.RATE_DEVICE_BURST, 1_000);
        props.put(BridgeConfig.RATE_DEVICE_PER_SECOND, 1_000);
        props.put(BridgeConfig.STOP_GRACE_MS, 2_000);
        props.putAll(overrides);
        final EdgeBridgeService started = new EdgeBridgeService(BridgeConfig.of(props), REGISTRY).start();
        EXTRA.add(started);
        return started;
    }

    private static TestDevice device(final EdgeBridgeService on, final AuthorityGenesis authority, final int index) {
        return new TestDevice(URI.create("http://localhost:" + on.port()), authority, index, HTTP);
    }

    private static AuthorityGenesis newAuthority() {
        final AuthorityGenesis authority = AuthorityGenesis.generate("http-" + AUTHORITIES.incrementAndGet(), 3, 2);
        reducer.addAuthority(authority, 0);
        return authority;
    }

    private static TestDevice newDevice() {
        return device(bridge, newAuthority(), 0);
    }

    private static FactEnvelope entry(final TestDevice device, final int i) {
        return device.authority.device(device.deviceId).journalEntry(0, ("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {(byte) i});
    }

    static byte[] wire(final FactEnvelope fact) {
        return FACTS.serialize(FactFleetTopics.INBOUND.name(), fact);
    }

    static byte[] avroBatch(final List<byte[]> facts) {
        return BATCHES.serialize(BridgeProtocol.FACT_BATCH_SUBJECT_TOPIC, new FactBatch(facts.stream().map(ByteBuffer::wrap).toList()));
    }

    static byte[] avroBatchOf(final FactEnvelope... facts) {
        return avroBatch(Stream.of(facts).map(EdgeBridgeHttpTest::wire).toList());
    }

    static byte[] jsonBatchOf(final FactEnvelope... facts) {
        final StringBuilder json = new StringBuilder("{\"facts\": [");
        for (int i = 0; i < facts.length; i++) {
            try {
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                final JsonEncoder encoder = EncoderFactory.get().jsonEncoder(FactEnvelope.getClassSchema(), out);
                new SpecificDatumWriter<>(FactEnvelope.class).write(facts[i], encoder);
                encoder.flush();
                json.append(i == 0 ? "" : ",").append(out.toString(StandardCharsets.UTF_8));
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<String, byte[]>> readInbound(final String authorityId, final int expected) {
        final Map<String, Object> props = new HashMap<>(KAFKA.consumerProps("reader-" + System.nanoTime()));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(FactFleetTopics.INBOUND.name()));
            Await.until(expected + " records of " + authorityId + " on the inbound topic", Duration.ofSeconds(30), () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.key().equals(authorityId)) {
                        out.add(r);
                    }
                });
                return out.size() >= expected;
            });
        }
        return out;
    }

    private static void assertError(final TestDevice.Answer answer, final int status, final BridgeError code) {
        assertThat(answer.status()).as(answer.toString()).isEqualTo(status);
        assertThat(answer.code()).isEqualTo(code.name());
        assertThat(answer.json().path("message").asText()).isNotBlank();
    }

    // ---- submission ---------------------------------------------------------------------------

    @Test
    void anAcceptedAvroBatchIsOnTheInboundTopicAsTheDeviceSentIt() {
        final TestDevice device = newDevice();
        final FactEnvelope first = entry(device, 1);
        final FactEnvelope second = entry(device, 2);

        final TestDevice.Answer answer = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(first, second));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        final JsonNode results = answer.json().get("results");
        assertThat(results).hasSize(2);
        assertThat(results.get(0).get("factId").asText()).isEqualTo(Facts.idHex(first));
        assertThat(results.get(0).get("status").asText()).isEqualTo("ACCEPTED");
        assertThat(results.get(1).get("status").asText()).isEqualTo("ACCEPTED");
        final List<ConsumerRecord<String, byte[]>> records = readInbound(device.authorityId(), 2);
        assertThat(records).extracting(ConsumerRecord::value).containsExactlyInAnyOrder(wire(first), wire(second));
    }

    @Test
    void aJsonBatchIsReencodedAndAcceptedOntoTheInboundTopic() {
        final TestDevice device = newDevice();
        final FactEnvelope fact = entry(device, 3);

        final TestDevice.Answer answer = device.post(device.factsPath(), BridgeProtocol.JSON, jsonBatchOf(fact));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().at("/results/0/status").asText()).isEqualTo("ACCEPTED");
        final byte[] onTopic = readInbound(device.authorityId(), 1).get(0).value();
        assertThat(new SpecificAvroDeserializer<>(REGISTRY, FactEnvelope.class).deserialize("t", onTopic)).isEqualTo(fact);
    }

    @Test
    void aFactAlreadyInTheJournalIsADuplicateAndIsNotProduced() {
        final TestDevice device = newDevice();
        final FactEnvelope known = entry(device, 4);
        final FactEnvelope fresh = entry(device, 5);
        reducer.setStatus(device.authorityId(), Facts.idHex(known), "IN_JOURNAL", null, null);

        final TestDevice.Answer answer = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(known, fresh, fresh));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("results")).extracting(r -> r.get("status").asText()).containsExactly("DUPLICATE", "ACCEPTED", "DUPLICATE");
        assertThat(readInbound(device.authorityId(), 1)).extracting(ConsumerRecord::value).containsExactly(wire(fresh));
    }

    @Test
    void aFactWhoseIdDoesNotMatchItsBodyIsRejectedInA200BatchWhileTheOthersAreAccepted() {
        final TestDevice device = newDevice();
        final FactEnvelope tampered = entry(device, 6);
        tampered.getBody().setPayload(new JournalEntry(ByteBuffer.wrap(new byte[] {1}), ByteBuffer.wrap(new byte[] {42}), null));
        final FactEnvelope good = entry(device, 7);

        final TestDevice.Answer answer = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(tampered, good));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        final JsonNode rejected = answer.json().at("/results/0");
        assertThat(rejected.get("status").asText()).isEqualTo("REJECTED");
        assertThat(rejected.get("code").asText()).isEqualTo("FACT_ID_MISMATCH");
        assertThat(rejected.get("message").asText()).contains("SHA-256");
        assertThat(answer.json().at("/results/1/status").asText()).isEqualTo("ACCEPTED");
        assertThat(readInbound(device.authorityId(), 1)).extracting(ConsumerRecord::value).containsExactly(wire(good));
    }

    @Test
    void malformedJsonIsA400MalformedJson() {
        final TestDevice device = newDevice();
        assertError(device.post(device.factsPath(), BridgeProtocol.JSON, "{\"facts\": [{".getBytes(StandardCharsets.UTF_8)),
                400, BridgeError.MALFORMED_JSON);
    }

    @Test
    void truncatedAvroIsA400Undecodable() {
        final TestDevice device = newDevice();
        final byte[] batch = avroBatchOf(entry(device, 8));
        assertError(device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, Arrays.copyOf(batch, batch.length - 12)),
                400, BridgeError.UNDECODABLE);
    }

    @Test
    void anUnknownSchemaIdIsA400UnknownSchemaId() {
        final TestDevice device = newDevice();
        final byte[] batch = avroBatchOf(entry(device, 9));
        final byte[] unknown = WireFormat.frame(777_777, Arrays.copyOfRange(batch, WireFormat.HEADER_SIZE, batch.length));
        assertError(device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, unknown), 400, BridgeError.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void anOversizedBodyIsA413BodyTooLarge() {
        final TestDevice device = newDevice();
        assertError(device.post(device.factsPath(), BridgeProtocol.JSON, new byte[MAX_BODY + 1]), 413, BridgeError.BODY_TOO_LARGE);
    }

    @Test
    void aBatchOverTheLimitIsA413BatchTooLarge() {
        final TestDevice device = newDevice();
        final List<byte[]> facts = new ArrayList<>();
        for (int i = 0; i <= MAX_BATCH; i++) {
            facts.add(wire(entry(device, 100 + i)));
        }
        assertError(device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatch(facts)), 413, BridgeError.BATCH_TOO_LARGE);
    }

    @Test
    void aDeviceSubmittingForAnotherAuthorityIsA403WrongAuthority() {
        final TestDevice device = newDevice();
        final TestDevice other = newDevice();
        assertError(device.post(other.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(entry(device, 10))), 403, BridgeError.WRONG_AUTHORITY);
    }

    @Test
    void anUnauthenticatedRequestIsA401Unauthenticated() {
        final TestDevice device = newDevice();
        final byte[] body = avroBatchOf(entry(device, 11));
        final HttpRequest unsigned = HttpRequest.newBuilder(URI.create("http://localhost:" + bridge.port() + device.factsPath()))
                .header("Content-Type", BridgeProtocol.FACT_BATCH_AVRO).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        assertError(device.send(unsigned), 401, BridgeError.UNAUTHENTICATED);

        final HttpRequest badSignature = device.request("POST", device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, body, Map.of())
                .setHeader("Authorization", device.authorization("POST", device.factsPath(), new byte[] {1}, System.currentTimeMillis(), TestDevice.nonce()))
                .build();
        assertError(device.send(badSignature), 401, BridgeError.UNAUTHENTICATED);
    }

    @Test
    void aReplayedRequestIsA409ReplayedRequest() {
        final TestDevice device = newDevice();
        final HttpRequest request = device.request("GET", device.pendingPath() + "?wait=0", null, null, Map.of()).build();
        assertThat(device.send(request).status()).isEqualTo(200);

        assertError(device.send(request), 409, BridgeError.REPLAYED_REQUEST);
    }

    @Test
    void aRequestSignedOutsideTheSkewWindowIsA401StaleRequest() {
        final TestDevice device = newDevice();
        final String target = device.pendingPath() + "?wait=0";
        final HttpRequest old = device.request("GET", target, null, null, Map.of())
                .setHeader("Authorization", device.authorization("GET", target, new byte[0], System.currentTimeMillis() - 3_600_000, TestDevice.nonce()))
                .build();
        final TestDevice.Answer answer = device.send(old);

        assertError(answer, 401, BridgeError.STALE_REQUEST);
        assertThat(answer.json().get("serverTimeMillis").asLong()).isPositive();
    }

    @Test
    void aDeviceOverItsRateIsA429RateLimitedWithRetryAfter() {
        final EdgeBridgeService limited = start(Map.of(BridgeConfig.RATE_DEVICE_BURST, 2, BridgeConfig.RATE_DEVICE_PER_SECOND, 1));
        final TestDevice device = device(limited, newAuthority(), 0);
        TestDevice.Answer answer = null;
        for (int i = 0; i < 10 && (answer == null || answer.status() != 429); i++) {
            answer = device.get(device.pendingPath() + "?wait=0");
        }

        assertError(answer, 429, BridgeError.RATE_LIMITED);
        assertThat(answer.response().headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void aDeviceOverItsSessionLimitIsA503TooManySessionsAndALongPollEndsWhenWorkAppears() {
        final EdgeBridgeService capped = start(Map.of(BridgeConfig.SESSIONS_PER_DEVICE, 1));
        final TestDevice device = device(capped, newAuthority(), 0);
        final CompletableFuture<TestDevice.Answer> poll = device.getAsync(device.pendingPath() + "?wait=30", Map.of());
        Await.until("the long-poll holds a session", Duration.ofSeconds(10), () -> capped.activeSessions() == 1);

        final TestDevice.Answer refused = device.get(device.pendingPath() + "?wait=0");

        assertError(refused, 503, BridgeError.TOO_MANY_SESSIONS);
        assertThat(refused.response().headers().firstValue("Retry-After")).isPresent();
        reducer.setPending(device.authorityId(), device.deviceId, 0, 1);
        final TestDevice.Answer answer = poll.join();
        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("snapshotApprovals")).hasSize(1);
        Await.until("the session ends", Duration.ofSeconds(10), () -> capped.activeSessions() == 0);
    }

    @Test
    void afterAHardForkADeviceBelowTheTargetIsA426UpgradeRequiredUntilItReportsTheUpgrade() {
        final TestDevice device = newDevice();
        reducer.requirePackage(device.authorityId(), "fw", 5);
        reducer.setInstalled(device.authorityId(), device.deviceId, "fw", 4);

        final TestDevice.Answer refused = device.get(device.pendingPath() + "?wait=0");
        assertError(refused, 426, BridgeError.UPGRADE_REQUIRED);
        assertThat(refused.json().get("packageId").asText()).isEqualTo("fw");
        assertThat(refused.json().get("version").asLong()).isEqualTo(5);
        assertThat(refused.json().get("message").asText()).contains("install fw version 5").contains("installed: 4");

        final TestDevice.Answer stillOld = device.send(device.request("GET", device.pendingPath() + "?wait=0", null, null,
                Map.of(BridgeProtocol.INSTALLED_HEADER, "fw=4")).build());
        assertError(stillOld, 426, BridgeError.UPGRADE_REQUIRED);
        final TestDevice.Answer upgraded = device.send(device.request("GET", device.pendingPath() + "?wait=0", null, null,
                Map.of(BridgeProtocol.INSTALLED_HEADER, "fw=5,boot=1")).build());
        assertThat(upgraded.status()).as(upgraded.toString()).isEqualTo(200);

        reducer.setInstalled(device.authorityId(), device.deviceId, "fw", 6); // its DeviceMetadata fact arrived
        assertThat(device.get(device.pendingPath() + "?wait=0").status()).isEqualTo(200);
    }

    @Test
    void aDeviceThatReportedNothingIsBelowAHardForkAndAMalformedInstalledHeaderIsA400() {
        final TestDevice device = newDevice();
        reducer.requirePackage(device.authorityId(), "fw", 2);
        assertError(device.get(device.pendingPath() + "?wait=0"), 426, BridgeError.UPGRADE_REQUIRED);
        assertError(device.send(device.request("GET", device.pendingPath() + "?wait=0", null, null,
                Map.of(BridgeProtocol.INSTALLED_HEADER, "fw:2")).build()), 400, BridgeError.BAD_REQUEST);
    }

    @Test
    void aRequestNamingAnOlderIdentityEpochIsA409EpochAdvancedWithTheCurrentEpoch() {
        final TestDevice device = newDevice();
        reducer.setEpoch(device.authorityId(), 4);

        final TestDevice.Answer answer = device.send(device.request("GET", device.pendingPath() + "?wait=0", null, null,
                Map.of(BridgeProtocol.EPOCH_HEADER, "3")).build());

        assertError(answer, 409, BridgeError.EPOCH_ADVANCED);
        assertThat(answer.json().get("identityEpoch").asLong()).isEqualTo(4);
    }

    @Test
    void whenKafkaDoesNotAcknowledgeTheBatchItIsA503AndNothingIsAccepted() throws IOException {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        final EdgeBridgeService cut = start(Map.of("bootstrap.servers", "127.0.0.1:" + closedPort, "max.block.ms", 1_000,
                "request.timeout.ms", 1_000, "delivery.timeout.ms", 1_500, BridgeConfig.PRODUCE_TIMEOUT_MS, 3_000));
        final TestDevice device = device(cut, newAuthority(), 0);

        final TestDevice.Answer answer = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(entry(device, 12)));

        assertError(answer, 503, BridgeError.KAFKA_UNAVAILABLE);
        assertThat(answer.response().body()).doesNotContain("ACCEPTED");
    }

    // ---- relays -----------------------------------------------------------------------------

    @Test
    void theStatusOfAFactRelaysIngestsVerdict() {
        final TestDevice device = newDevice();
        final String factId = Facts.idHex(entry(device, 13));
        reducer.setStatus(device.authorityId(), factId, "REJECTED", "BAD_SIGNATURE", "the signature does not verify");

        final TestDevice.Answer answer = device.get(device.factsPath() + "/" + factId + "/status");

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("status").asText()).isEqualTo("REJECTED");
        assertThat(answer.json().get("code").asText()).isEqualTo("BAD_SIGNATURE");
        assertError(device.get(device.factsPath() + "/xyz/status"), 400, BridgeError.BAD_REQUEST);
    }

    @Test
    void statusesOfSeveralFactsAreAskedOfTheReducerInOneQuery() {
        final TestDevice device = newDevice();
        final String rejected = Facts.idHex(entry(device, 16));
        final String unknown = Facts.idHex(entry(device, 17));
        reducer.setStatus(device.authorityId(), rejected, "REJECTED", "SIGNER_NOT_ROSTERED", "not on the roster");

        final TestDevice.Answer answer = device.post(device.factsPath() + "/status", BridgeProtocol.JSON,
                ("{\"factIds\": [\"" + rejected + "\", \"" + unknown.toUpperCase() + "\"]}").getBytes(StandardCharsets.UTF_8));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("statuses")).extracting(s -> s.get("status").asText()).containsExactly("REJECTED", "UNKNOWN");
        assertThat(answer.json().at("/statuses/0/code").asText()).isEqualTo("SIGNER_NOT_ROSTERED");
        assertError(device.post(device.factsPath() + "/status", BridgeProtocol.JSON, "{\"factIds\": [\"nope\"]}".getBytes(StandardCharsets.UTF_8)),
                400, BridgeError.BAD_REQUEST);
    }

    @Test
    void syncAsksTheReducerForFactsAfterTheCursorThatTheDeviceDidNotSign() {
        final TestDevice device = newDevice();
        reducer.syncAnswers.put(device.authorityId(), (com.fasterxml.jackson.databind.node.ObjectNode) json("{\"authorityId\":\""
                + device.authorityId() + "\",\"indexId\":\"idx-1\",\"upToSeq\":9,\"complete\":true,\"merkleRoot\":\"ab\",\"factCount\":9,"
                + "\"facts\":[\"AAE=\",\"AgM=\"]}"));
        final String bloom = "{\"salt\":\"" + "01".repeat(16) + "\",\"hashes\":3,\"bits\":\"AAAAAAAAAAA=\"}";

        final TestDevice.Answer answer = device.post("/v1/authorities/" + device.authorityId() + "/sync", BridgeProtocol.JSON,
                ("{\"indexId\":\"idx-1\",\"afterSeq\":7,\"merkleRoot\":\"cd\",\"bloom\":" + bloom + "}").getBytes(StandardCharsets.UTF_8));

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("facts")).hasSize(2);
        assertThat(answer.json().get("upToSeq").asLong()).isEqualTo(9);
        final JsonNode asked = reducer.syncRequests.get(reducer.syncRequests.size() - 1);
        assertThat(asked.get("afterSeq").asLong()).isEqualTo(7);
        assertThat(asked.get("excludeDevice").asText()).isEqualTo(device.deviceId);
        assertThat(asked.get("bloom").get("hashes").asInt()).isEqualTo(3);
    }

    @Test
    void syncWithACursorOfAnotherIndexIsA409IndexChanged() {
        final TestDevice device = newDevice();
        reducer.syncAnswers.put(device.authorityId(), (com.fasterxml.jackson.databind.node.ObjectNode) json(
                "{\"indexId\":\"idx-2\",\"upToSeq\":1,\"complete\":true,\"merkleRoot\":\"ab\",\"factCount\":1,\"facts\":[]}"));

        final TestDevice.Answer answer = device.post("/v1/authorities/" + device.authorityId() + "/sync", BridgeProtocol.JSON,
                "{\"indexId\":\"idx-1\",\"afterSeq\":7,\"includeOwn\":true}".getBytes(StandardCharsets.UTF_8));

        assertError(answer, 409, BridgeError.INDEX_CHANGED);
        assertThat(answer.json().get("indexId").asText()).isEqualTo("idx-2");
        assertThat(reducer.syncRequests.get(reducer.syncRequests.size() - 1).get("excludeDevice").isNull()).isTrue();
        assertError(device.post("/v1/authorities/" + device.authorityId() + "/sync", BridgeProtocol.JSON,
                "{\"afterSeq\":0,\"bloom\":{\"salt\":\"00\",\"hashes\":3,\"bits\":\"AA==\"}}".getBytes(StandardCharsets.UTF_8)), 400, BridgeError.BAD_REQUEST);
    }

    @Test
    void pendingWorkWithoutWaitingAnswersAtOnceWithAPollInterval() {
        final TestDevice device = newDevice();

        final TestDevice.Answer answer = device.get(device.pendingPath() + "?wait=0");

        assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
        assertThat(answer.json().get("snapshotApprovals")).isEmpty();
        assertThat(answer.json().get("pollAfterMs").asLong()).isEqualTo(BridgeConfig.DEFAULT_PENDING_POLL_AFTER_MS);
        assertError(device.get("/v1/authorities/" + device.authorityId() + "/devices/someone-else/pending?wait=0"), 403, BridgeError.WRONG_DEVICE);
    }

    @Test
    void aLongPollEndsWithEpochAdvancedWhenTheIdentityEpochMoves() {
        final TestDevice device = newDevice();
        final CompletableFuture<TestDevice.Answer> poll = device.getAsync(device.pendingPath() + "?wait=30", Map.of());
        Await.until("the long-poll re-queries the reducer", Duration.ofSeconds(10),
                () -> reducer.pendingQueries(device.authorityId(), device.deviceId) >= 2);

        reducer.setPending(device.authorityId(), device.deviceId, 1, 0);

        final TestDevice.Answer answer = poll.join();
        assertError(answer, 409, BridgeError.EPOCH_ADVANCED);
        assertThat(answer.json().get("identityEpoch").asLong()).isEqualTo(1);
    }

    @Test
    void pendingWorkStreamsAsServerSentEventsUntilTheEpochAdvances() throws Exception {
        final TestDevice device = newDevice();
        reducer.setPending(device.authorityId(), device.deviceId, 0, 2);
        final String target = device.pendingPath() + "/events";
        final HttpResponse<Stream<String>> response = HTTP.send(device.request("GET", target, null, null, Map.of("Accept", "text/event-stream"))
                .build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        final List<String> lines = new ArrayList<>();
        final CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> response.body().forEach(lines::add));
        Await.until("a pending event", Duration.ofSeconds(10), () -> lines.contains("event: pending"));

        reducer.setPending(device.authorityId(), device.deviceId, 1, 0);

        reading.get(20, TimeUnit.SECONDS);
        final String pendingData = lines.get(lines.indexOf("event: pending") + 1);
        assertThat(json(pendingData.substring("data: ".length())).get("snapshotApprovals")).hasSize(2);
        final String errorData = lines.get(lines.indexOf("event: error") + 1);
        assertThat(json(errorData.substring("data: ".length())).get("code").asText()).isEqualTo("EPOCH_ADVANCED");
    }

    // ---- transport, health, metrics, lifecycle ------------------------------------------------

    @Test
    void http2CleartextServesHealthAndSignedRequests() throws Exception {
        final HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        final HttpResponse<String> health = h2.send(HttpRequest.newBuilder(URI.create("http://localhost:" + bridge.port() + "/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(health.statusCode()).isEqualTo(200);

        final TestDevice device = new TestDevice(URI.create("http://localhost:" + bridge.port()), newAuthority(), 0, h2);
        final TestDevice.Answer submitted = device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(entry(device, 14)));
        assertThat(submitted.status()).as(submitted.toString()).isEqualTo(200);
        assertThat(submitted.response().version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    @Test
    void healthIsRunningAndMetricsAreInPrometheusFormat() throws Exception {
        final TestDevice device = newDevice();
        device.post(device.factsPath(), BridgeProtocol.FACT_BATCH_AVRO, avroBatchOf(entry(device, 15)));
        device.post(device.factsPath(), BridgeProtocol.JSON, "not json".getBytes(StandardCharsets.UTF_8));

        final HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + bridge.port() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health.body()).get("state").asText()).isEqualTo("RUNNING");

        final HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + bridge.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body()).contains("factfleet_bridge_sessions_active", "factfleet_bridge_sessions_total",
                "factfleet_bridge_facts_in_total{result=\"accepted\"}", "factfleet_bridge_facts_out_total", "factfleet_bridge_bytes_in_total",
                "factfleet_bridge_bytes_out_total", "factfleet_bridge_request_seconds_bucket", "factfleet_bridge_errors_total{code=\"MALFORMED_JSON\"}",
                "factfleet_bridge_peers", "factfleet_bridge_peers_evicted_total", "factfleet_bridge_running 1.0",
                "kafka_producer_record_send_total", "kafka_producer_request_latency_avg", "kafka_producer_record_error_total");
    }

    @Test
    void aBridgeThatCannotStartIsFailedOnItsHealthEndpointUntilStopped() throws Exception {
        final EdgeBridgeService broken = new EdgeBridgeService(BridgeConfig.of(Map.of("bootstrap.servers", "no-port-here",
                BridgeConfig.REDUCER_URL, reducer.url(), BridgeConfig.HTTP_PORT, 0, BridgeConfig.HTTP_BIND_HOST, "127.0.0.1")), REGISTRY);
        assertThat(broken.state()).isEqualTo(BridgeState.STOPPED);
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(broken::start).isInstanceOf(RuntimeException.class);
            assertThat(broken.state()).isEqualTo(BridgeState.FAILED);
            final HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + broken.port() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(json(health.body()).get("state").asText()).isEqualTo("FAILED");
        } finally {
            broken.stop();
        }
        assertThat(broken.state()).isEqualTo(BridgeState.STOPPED);
    }

    @Test
    void aStoppedBridgeIsStoppedAndCanStartAgain() {
        final EdgeBridgeService own = start(Map.of());
        assertThat(own.state()).isEqualTo(BridgeState.RUNNING);

        own.stop();
        assertThat(own.state()).isEqualTo(BridgeState.STOPPED);
        own.start();
        assertThat(own.state()).isEqualTo(BridgeState.RUNNING);
        final TestDevice device = device(own, newAuthority(), 0);
        assertThat(device.get(device.pendingPath() + "?wait=0").status()).isEqualTo(200);
    }

    private static JsonNode json(final String text) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
