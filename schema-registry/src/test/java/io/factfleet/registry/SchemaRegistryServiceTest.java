package io.factfleet.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryException;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.SubjectVersion;
import io.factfleet.registry.client.UnknownSchemaIdException;
import io.factfleet.registry.client.WireFormat;
import io.factfleet.registry.testrecords.Greeting;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry against a real broker and over real HTTP, through raw requests (to pin Confluent's wire
 * contract: paths, bodies, status and error codes) and through the client and serdes.
 */
class SchemaRegistryServiceTest {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static final Schema DEVICE_V1 = SchemaBuilder.record("Device").namespace("io.factfleet.test").fields()
        .requiredString("id")
        .endRecord();
    private static final Schema DEVICE_V2 = SchemaBuilder.record("Device").namespace("io.factfleet.test").fields()
        .requiredString("id")
        .name("site").type().stringType().stringDefault("unknown")
        .endRecord();
    /** Adds a field without a default: breaks BACKWARD against V1/V2. */
    private static final Schema DEVICE_BREAKING = SchemaBuilder.record("Device").namespace("io.factfleet.test")
        .fields()
        .requiredString("id")
        .requiredString("owner")
        .endRecord();

    private static SchemaRegistryService registry;
    private static SchemaRegistryClient client;

    @BeforeAll
    static void startRegistry() {
        registry = new SchemaRegistryService(registryProperties(SchemaRegistryConfig.DEFAULT_TOPIC));
        registry.start();
        client = HttpSchemaRegistryClient.forUrl(registry.url());
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.stop();
        }
    }

    private static Properties registryProperties(final String topic) {
        final Properties props = new Properties();
        props.setProperty("factfleet.auth.enabled", "false"); // this test is not about operator auth (operator-auth and AuthMatrixIT are)
        props.setProperty(SchemaRegistryConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        props.setProperty(SchemaRegistryConfig.LISTENERS_CONFIG, "http://127.0.0.1:0");
        props.setProperty(SchemaRegistryConfig.KAFKASTORE_TOPIC_CONFIG, topic);
        return props;
    }

    // ---- register, look up, read -------------------------------------------------------------------

    @Test
    void registeringIsIdempotentAndAnIdenticalSchemaKeepsItsIdUnderAnotherSubject() throws Exception {
        final int id = client.register("idem-value", DEVICE_V1);

        final HttpResponse<String> again = post("/subjects/idem-value/versions", schemaBody(DEVICE_V1));
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("id").asInt()).isEqualTo(id);
        assertThat(again.headers().firstValue("Content-Type")).hasValueSatisfying(
            type -> assertThat(type).startsWith("application/vnd.schemaregistry.v1+json"));
        assertThat(HttpSchemaRegistryClient.forUrl(registry.url()).register("idem-other-value", DEVICE_V1))
            .isEqualTo(id);
        assertThat(client.versions("idem-value")).containsExactly(1);
        assertThat(client.versions("idem-other-value")).containsExactly(1);
    }

    @Test
    void lookupReturnsSubjectIdVersionAndSchema() throws Exception {
        client.register("lookup-value", DEVICE_V1);
        final int id = client.register("lookup-value", DEVICE_V2);

        final HttpResponse<String> response = post("/subjects/lookup-value", schemaBody(DEVICE_V2));

        assertThat(response.statusCode()).isEqualTo(200);
        final JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("subject").asText()).isEqualTo("lookup-value");
        assertThat(body.get("id").asInt()).isEqualTo(id);
        assertThat(body.get("version").asInt()).isEqualTo(2);
        assertThat(new Schema.Parser().parse(body.get("schema").asText())).isEqualTo(DEVICE_V2);
        assertThat(HttpSchemaRegistryClient.forUrl(registry.url()).lookup("lookup-value", DEVICE_V1)).isPositive();
    }

    @Test
    void lookupOfAMissingSubjectOrSchemaAnswers40401Or40403() throws Exception {
        client.register("lookup-missing-value", DEVICE_V1);

        assertError(post("/subjects/no-such-subject", schemaBody(DEVICE_V1)), 404, 40401);
        assertError(post("/subjects/lookup-missing-value", schemaBody(DEVICE_V2)), 404, 40403);
    }

    @Test
    void aSchemaIsReadBackByIdAndAnUnknownIdAnswers40403() throws Exception {
        final int id = client.register("by-id-value", DEVICE_V1);

        final HttpResponse<String> response = get("/schemas/ids/" + id);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asText()))
            .isEqualTo(DEVICE_V1);

        assertError(get("/schemas/ids/999999"), 404, 40403);
        assertThatThrownBy(() -> HttpSchemaRegistryClient.forUrl(registry.url()).getSchemaById(999999))
            .isInstanceOf(UnknownSchemaIdException.class);
    }

    @Test
    void subjectsAndVersionsAreListedAndVersionsReadByNumberOrLatest() throws Exception {
        client.register("listed-value", DEVICE_V1);
        final int v2 = client.register("listed-value", DEVICE_V2);

        assertThat(client.subjects()).contains("listed-value");
        assertThat(client.versions("listed-value")).containsExactly(1, 2);
        assertThat(client.version("listed-value", 1).schema()).isEqualTo(DEVICE_V1);
        assertThat(client.latestVersion("listed-value")).isEqualTo(new SubjectVersion("listed-value", 2, v2, DEVICE_V2));

        final JsonNode latest = JSON.readTree(get("/subjects/listed-value/versions/latest").body());
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(v2);
        assertThat(latest.get("subject").asText()).isEqualTo("listed-value");
    }

    @Test
    void missingSubjectsAndVersionsAnswer404WithConfluentCodesAndBadVersions422() throws Exception {
        client.register("missing-version-value", DEVICE_V1);

        assertError(get("/subjects/no-such-subject/versions"), 404, 40401);
        assertError(get("/subjects/no-such-subject/versions/1"), 404, 40401);
        assertError(get("/subjects/missing-version-value/versions/7"), 404, 40402);
        assertError(get("/subjects/missing-version-value/versions/first"), 422, 42202);
        assertError(get("/subjects/missing-version-value/versions/0"), 422, 42202);
    }

    // ---- compatibility -----------------------------------------------------------------------------

    @Test
    void compatibilityChecksAnswerTrueOrFalse() throws Exception {
        client.register("compat-value", DEVICE_V1);

        assertThat(client.isCompatible("compat-value", "latest", DEVICE_V2)).isTrue();
        assertThat(client.isCompatible("compat-value", "1", DEVICE_BREAKING)).isFalse();
        final JsonNode verbose = JSON.readTree(post("/compatibility/subjects/compat-value/versions/latest?verbose=true",
            schemaBody(DEVICE_BREAKING)).body());
        assertThat(verbose.get("is_compatible").asBoolean()).isFalse();
        assertThat(verbose.get("messages").toString()).contains("owner");
        assertThat(client.isCompatible("never-registered-value", "latest", DEVICE_BREAKING)).isTrue();
    }

    @Test
    void compatibilityAgainstAnInvalidOrMissingVersionAnswers42202Or40402() throws Exception {
        client.register("compat-errors-value", DEVICE_V1);

        assertError(post("/compatibility/subjects/compat-errors-value/versions/newest", schemaBody(DEVICE_V2)),
            422, 42202);
        assertError(post("/compatibility/subjects/compat-errors-value/versions/9", schemaBody(DEVICE_V2)),
            404, 40402);
    }

    @Test
    void anIncompatibleSchemaIsRefusedUnderBackwardWith409And40901() throws Exception {
        client.register("refused-value", DEVICE_V1);

        final HttpResponse<String> response = post("/subjects/refused-value/versions", schemaBody(DEVICE_BREAKING));

        assertError(response, 409, 40901);
        assertThat(JSON.readTree(response.body()).get("message").asText()).contains("BACKWARD").contains("owner");
        assertThatThrownBy(() -> client.register("refused-value", DEVICE_BREAKING))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40901));
        assertThat(client.versions("refused-value")).containsExactly(1);
    }

    @Test
    void invalidAndNonAvroSchemasAnswer42201() throws Exception {
        assertError(post("/subjects/invalid-value/versions", "{\"schema\":\"{\\\"type\\\":\\\"recrod\\\"}\"}"),
            422, 42201);
        final HttpResponse<String> protobuf = post("/subjects/invalid-value/versions",
            "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}");
        assertError(protobuf, 422, 42201);
        assertThat(JSON.readTree(protobuf.body()).get("message").asText()).contains("AVRO");
        assertError(post("/subjects/invalid-value/versions", "{}"), 422, 42201);
    }

    // ---- config ------------------------------------------------------------------------------------

    @Test
    void compatibilityLevelsAreReadAndSetGloballyAndPerSubject() throws Exception {
        assertThat(JSON.readTree(get("/config").body()).get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        final HttpResponse<String> put = send("PUT", "/config/config-value", "{\"compatibility\":\"FULL\"}",
            "application/json");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(put.body()).get("compatibility").asText()).isEqualTo("FULL");

        assertThat(JSON.readTree(get("/config/config-value").body()).get("compatibilityLevel").asText())
            .isEqualTo("FULL");
        assertThat(client.getCompatibility(Optional.of("config-value"))).isEqualTo("FULL");
        assertError(get("/config/config-unset-value"), 404, 40408);
        assertThat(client.getCompatibility(Optional.of("config-unset-value"))).isEqualTo("BACKWARD");
        assertError(send("PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}", "application/json"), 422, 42203);

        try {
            client.setCompatibility(Optional.empty(), "NONE");
            assertThat(client.getCompatibility(Optional.empty())).isEqualTo("NONE");
            assertThat(client.getCompatibility(Optional.of("config-unset-value"))).isEqualTo("NONE");
        } finally {
            client.setCompatibility(Optional.empty(), "BACKWARD");
        }
    }

    // ---- protocol details --------------------------------------------------------------------------

    @Test
    void requestsWithJsonOrOctetStreamContentTypesAreAccepted() throws Exception {
        assertThat(send("POST", "/subjects/content-type-value/versions", schemaBody(DEVICE_V1), "application/json")
            .statusCode()).isEqualTo(200);
        assertThat(send("POST", "/subjects/content-type-value", schemaBody(DEVICE_V1), "application/octet-stream")
            .statusCode()).isEqualTo(200);
    }

    @Test
    void healthIsUpAndUnknownPathsAnswerAJson404() throws Exception {
        final HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("UP");
        assertThat(registry.isReady()).isTrue();

        assertError(get("/no/such/path"), 404, 404);
    }

    @Test
    void theStoreTopicIsCreatedCompactedWithOnePartition() throws Exception {
        try (Admin admin = KAFKA.admin()) {
            final TopicDescription topic = admin.describeTopics(List.of(SchemaRegistryConfig.DEFAULT_TOPIC))
                .allTopicNames().get().get(SchemaRegistryConfig.DEFAULT_TOPIC);
            assertThat(topic.partitions()).hasSize(1);
            final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC,
                SchemaRegistryConfig.DEFAULT_TOPIC);
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                .get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    // ---- serdes ------------------------------------------------------------------------------------

    @Test
    void aRecordRoundTripsThroughKafkaWithTheSerdesAndTheRunningRegistry() {
        KAFKA.createTopic("greetings", 1);
        final Map<String, Object> serdeConfig = Map.of("schema.registry.url", registry.url());
        final Greeting sent = Greeting.newBuilder().setId("g-1").setText("hello").setCount(2).build();

        final SpecificAvroSerializer<Greeting> serializer = new SpecificAvroSerializer<>();
        serializer.configure(serdeConfig, false);
        try (KafkaProducer<String, Greeting> producer =
                 new KafkaProducer<>(KAFKA.producerProps(), new StringSerializer(), serializer)) {
            producer.send(new ProducerRecord<>("greetings", "g-1", sent));
        }

        final SpecificAvroDeserializer<Greeting> deserializer = new SpecificAvroDeserializer<>();
        deserializer.configure(Map.of("schema.registry.url", registry.url(),
            "specific.avro.value.type", Greeting.class.getName()), false);
        final List<ConsumerRecord<String, byte[]>> raw = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(KAFKA.consumerProps("greetings-reader"),
            new StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of("greetings"));
            Await.until("the greeting is consumed", Duration.ofSeconds(30), () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(raw::add);
                return !raw.isEmpty();
            });
        }

        final byte[] value = raw.get(0).value();
        assertThat(WireFormat.schemaId(value)).isEqualTo(client.lookup("greetings-value", Greeting.getClassSchema()));
        assertThat(deserializer.deserialize("greetings", value)).isEqualTo(sent);
    }

    // ---- restart -----------------------------------------------------------------------------------

    @Test
    void aRestartedRegistryKeepsIdsAndVersionsAndHandsOutAFreshIdNext() throws IOException {
        final String topic = "_schemas_restart";
        final int v1;
        final int v2;
        final int other;
        try (SchemaRegistryService first = new SchemaRegistryService(registryProperties(topic))) {
            first.start();
            final SchemaRegistryClient before = HttpSchemaRegistryClient.forUrl(first.url());
            v1 = before.register("restart-value", DEVICE_V1);
            v2 = before.register("restart-value", DEVICE_V2);
            other = before.register("restart-other-value", DEVICE_BREAKING);
            before.setCompatibility(Optional.of("restart-value"), "FULL");
        }

        try (SchemaRegistryService second = new SchemaRegistryService(registryProperties(topic))) {
            second.start();
            final SchemaRegistryClient after = HttpSchemaRegistryClient.forUrl(second.url());

            assertThat(after.versions("restart-value")).containsExactly(1, 2);
            assertThat(after.version("restart-value", 1).id()).isEqualTo(v1);
            assertThat(after.version("restart-value", 2).id()).isEqualTo(v2);
            assertThat(after.getSchemaById(other)).isEqualTo(DEVICE_BREAKING);
            assertThat(after.lookup("restart-value", DEVICE_V2)).isEqualTo(v2);
            assertThat(after.getCompatibility(Optional.of("restart-value"))).isEqualTo("FULL");
            assertThat(after.register("restart-value", DEVICE_V1)).isEqualTo(v1);

            final Schema v3 = SchemaBuilder.record("Device").namespace("io.factfleet.test").fields()
                .requiredString("id")
                .name("site").type().stringType().stringDefault("unknown")
                .name("rack").type().intType().intDefault(0)
                .endRecord();
            final int fresh = after.register("restart-value", v3);
            assertThat(fresh).isGreaterThan(Math.max(v1, Math.max(v2, other)));
            assertThat(after.versions("restart-value")).containsExactly(1, 2, 3);
        }
    }

    @Test
    void aReadOnlyInstanceServesTheSameIdsAndRefusesWrites() throws Exception {
        final int id = client.register("replicated-value", DEVICE_V1);
        final Properties props = registryProperties(SchemaRegistryConfig.DEFAULT_TOPIC);
        props.setProperty(SchemaRegistryConfig.LEADER_ELIGIBILITY_CONFIG, "false");

        try (SchemaRegistryService replica = new SchemaRegistryService(props)) {
            replica.start();
            final SchemaRegistryClient reader = HttpSchemaRegistryClient.forUrl(replica.url());
            assertThat(reader.lookup("replicated-value", DEVICE_V1)).isEqualTo(id);

            final int v2 = client.register("replicated-value", DEVICE_V2);
            Await.until("the replica reads the primary's new version", Duration.ofSeconds(30),
                () -> reader.versions("replicated-value").size() == 2);
            assertThat(reader.latestVersion("replicated-value").id()).isEqualTo(v2);

            final Schema v3 = SchemaBuilder.record("Device").namespace("io.factfleet.test").fields()
                .requiredString("id")
                .name("site").type().stringType().stringDefault("unknown")
                .name("zone").type().stringType().stringDefault("")
                .endRecord();
            assertThatThrownBy(() -> reader.register("replicated-value", v3))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(50003);
                    assertThat(e.getMessage()).contains("read-only");
                });
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static String schemaBody(final Schema schema) throws IOException {
        return JSON.writeValueAsString(Map.of("schema", schema.toString()));
    }

    private static HttpResponse<String> get(final String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(registry.url() + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(final String path, final String body)
        throws IOException, InterruptedException {
        return send("POST", path, body, "application/vnd.schemaregistry.v1+json");
    }

    private static HttpResponse<String> send(final String method, final String path, final String body,
                                             final String contentType) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(registry.url() + path))
                .header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(final HttpResponse<String> response, final int status, final int errorCode)
        throws IOException {
        assertThat(response.statusCode()).as("HTTP status of %s", response.body()).isEqualTo(status);
        final JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error_code").asInt()).as("error_code of %s", response.body()).isEqualTo(errorCode);
        assertThat(body.get("message").asText()).isNotBlank();
    }
}
