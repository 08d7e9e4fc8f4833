package io.factfleet.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.ServiceAcls;
import io.factfleet.contracts.ServiceAcls.Service;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Hashing;
import io.factfleet.ingest.IngestConfig;
import io.factfleet.ingest.IngestService;
import io.factfleet.ota.OtaConfig;
import io.factfleet.ota.OtaCoordinatorService;
import io.factfleet.reducer.ReducerConfig;
import io.factfleet.reducer.ReducerService;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.snapshot.SnapshotConfig;
import io.factfleet.snapshot.SnapshotCoordinatorService;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaCluster;
import io.factfleet.testkit.KafkaClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The services on a Kafka cluster that authenticates every client with SASL/SCRAM-SHA-512 and
 * authorizes with ACLs only (Kafka's StandardAuthorizer, nothing allowed without an ACL). Each
 * service runs as its own user with exactly {@link ServiceAcls}' list, and facts flow from a
 * device-side producer through ingest into the reducer's state; a client that tries what its ACLs
 * do not allow is refused by Kafka.
 */
class KafkaSecurityIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.of(KafkaCluster.builder().saslScramWithAcls());

    @TempDir
    static Path dir;

    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final AuthorityGenesis SITE = AuthorityGenesis.generate("secure-site", 4, 2);
    private static final Map<Service, String> PASSWORDS = new HashMap<>();
    private static SchemaRegistryService registry;
    private static IngestService ingest;
    private static ReducerService reducer;
    private static SnapshotCoordinatorService snapshots;
    private static OtaCoordinatorService ota;
    private static io.factfleet.testkit.TestOperators operators;

    @BeforeAll
    static void startEveryServiceAsItsOwnUser() throws Exception {
        for (final var topic : FactFleetTopics.all()) {
            KAFKA.createTopic(topic.name(), 2, 1, topic.configs());
        }
        final List<AclBinding> acls = new ArrayList<>();
        for (final Service service : Service.values()) {
            final String user = user(service);
            PASSWORDS.put(service, "secret-" + service.name().toLowerCase(java.util.Locale.ROOT));
            KAFKA.cluster().createScramUser(user, PASSWORDS.get(service));
            acls.addAll(ServiceAcls.of(service, "User:" + user));
        }
        try (Admin admin = KAFKA.cluster().admin()) {
            admin.createAcls(acls).all().get();
        }
        final Path keyRing = dir.resolve("admin-keys.properties");
        AdminKeyRing.write(keyRing, AdminKeyRing.of(Map.of(SITE.authorityId(), SITE.adminKey())));

        operators = io.factfleet.testkit.TestOperators.create(dir.resolve("operators"));
        final Properties registryProps = operators.serviceProps();
        registryProps.put("bootstrap.servers", KAFKA.bootstrapServers());
        registryProps.put("listeners", "http://127.0.0.1:0");
        clientSettings(Service.REGISTRY).forEach((k, v) -> registryProps.put("kafkastore." + k, v));
        registry = new SchemaRegistryService(registryProps);
        registry.start();
        final String registryUrl = "http://127.0.0.1:" + registry.port();

        final Properties ingestProps = serviceProps(Service.INGEST, registryUrl);
        ingestProps.put(IngestConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        ingest = new IngestService(ingestProps);
        ingest.start();

        final Properties reducerProps = serviceProps(Service.REDUCER, registryUrl);
        reducerProps.put(ReducerConfig.HTTP_PORT_CONFIG, "0");
        reducerProps.put(ReducerConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        reducerProps.put(ReducerConfig.OPERATOR_KEYS_CONFIG, Hashing.hex(OPERATOR.publicKey()));
        reducer = new ReducerService(ReducerConfig.of(reducerProps)).start();

        final Properties snapshotProps = serviceProps(Service.SNAPSHOT_COORDINATOR, registryUrl);
        snapshotProps.put(SnapshotConfig.HTTP_PORT, "0");
        snapshotProps.put(SnapshotConfig.HTTP_BIND_HOST, "127.0.0.1");
        snapshotProps.put(SnapshotConfig.OPERATOR_KEYS, Hashing.hex(OPERATOR.publicKey()));
        snapshots = new SnapshotCoordinatorService(SnapshotConfig.of(snapshotProps, AdminKeyRing.load(keyRing))).start();

        final Properties otaProps = serviceProps(Service.OTA_COORDINATOR, registryUrl);
        otaProps.put(OtaConfig.HTTP_PORT_CONFIG, "0");
        otaProps.put(OtaConfig.HTTP_BIND_HOST_CONFIG, "127.0.0.1");
        otaProps.put(OtaConfig.ADMIN_KEYS_CONFIG, keyRing.toString());
        ota = new OtaCoordinatorService(OtaConfig.of(otaProps)).start();

        Await.until("every Streams service RUNNING with its own ACLs", Duration.ofSeconds(90), () ->
                ingest.state() == KafkaStreams.State.RUNNING && reducer.streamsState() == KafkaStreams.State.RUNNING
                        && snapshots.streamsState() == KafkaStreams.State.RUNNING && ota.streamsState() == KafkaStreams.State.RUNNING);
    }

    @AfterAll
    static void stop() {
        for (final AutoCloseable service : new AutoCloseable[] {ota, snapshots, reducer, ingest, registry}) {
            try {
                if (service != null) {
                    service.close();
                }
            } catch (final Exception e) {
                // closing the others matters more
            }
        }
    }

    @Test
    void factsFlowFromTheEdgeThroughIngestIntoTheReducerWithEachServiceOnlyItsOwnAcls() throws Exception {
        final List<FactEnvelope> facts = new ArrayList<>();
        facts.add(SITE.genesisFact(OPERATOR));
        for (int i = 0; i < 20; i++) {
            facts.add(SITE.device(i % 4).journalEntry(0, ("k" + i).getBytes(), "v".getBytes()));
        }
        final SpecificAvroSerializer<FactEnvelope> serializer =
                new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(operators.registryClient("http://127.0.0.1:" + registry.port())));
        try (KafkaProducer<String, byte[]> edge = new KafkaProducer<>(clientProps(Service.EDGE_BRIDGE), new StringSerializer(), new ByteArraySerializer())) {
            for (final FactEnvelope fact : facts) {
                edge.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), SITE.authorityId(), serializer.serialize(FactFleetTopics.INBOUND.name(), fact))).get();
            }
        }
        Await.until("the reducer folded the edge's facts", Duration.ofSeconds(60), () -> reducer.metrics().snapshot().factsFolded() >= facts.size());
        assertThat(reducer.metrics().snapshot().factsFolded()).isEqualTo(facts.size());
        assertThat(ingest.counters().rejectedTotal()).isZero();
        assertThat(ingest.counters().acceptedCount()).isEqualTo(facts.size());
    }

    @Test
    void theEdgesUserCannotReadTheJournal() {
        final Map<String, Object> props = clientProps(Service.EDGE_BRIDGE);
        props.put("group.id", "factfleet-edge-snooping");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(FactFleetTopics.JOURNAL.name()));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 50; i++) {
                    consumer.poll(Duration.ofMillis(200));
                }
            }).isInstanceOfAny(TopicAuthorizationException.class, org.apache.kafka.common.errors.GroupAuthorizationException.class);
        }
    }

    @Test
    void theReducersUserCannotWriteFactsToInbound() {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(clientProps(Service.REDUCER), new StringSerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), SITE.authorityId(), new byte[] {0})).get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordIsRefusedAtAuthentication() {
        final Map<String, Object> props = new HashMap<>(KafkaCluster.scramClientSettings(user(Service.INGEST), "not-the-password"));
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    private static String user(final Service service) {
        return "factfleet-" + service.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static Map<String, String> clientSettings(final Service service) {
        return KafkaCluster.scramClientSettings(user(service), PASSWORDS.get(service));
    }

    private static Map<String, Object> clientProps(final Service service) {
        final Map<String, Object> props = new HashMap<>(clientSettings(service));
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        return props;
    }

    private static Properties serviceProps(final Service service, final String registryUrl) {
        final Properties props = operators.serviceProps();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("state.dir", dir.resolve(service.name()).toString());
        props.put("schema.registry.url", registryUrl);
        props.putAll(clientSettings(service));
        return props;
    }
}
