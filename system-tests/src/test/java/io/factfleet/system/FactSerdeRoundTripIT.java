package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.registry.SchemaRegistryService;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SchemaRegistryException;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.registry.client.WireFormat;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.testkit.KafkaClusterExtension;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Properties;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Real signed facts through the Confluent-wire-format serdes against FactFleet's registry on a real broker. */
class FactSerdeRoundTripIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path operatorsDir;
    private static SchemaRegistryService registry;
    private static HttpSchemaRegistryClient client;

    @BeforeAll
    static void start() {
        // The registry authenticates its clients as a deployment's would; the client logs in as Confluent's clients do.
        final TestOperators operators = TestOperators.create(operatorsDir);
        final Properties props = operators.serviceProps();
        props.put("bootstrap.servers", KAFKA.bootstrapServers());
        props.put("listeners", "http://127.0.0.1:0");
        registry = new SchemaRegistryService(props);
        registry.start();
        client = new HttpSchemaRegistryClient(operators.registryClient("http://127.0.0.1:" + registry.port()));
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void aSignedFactRoundTripsThroughTheSerdesWithItsIdAndSignatureIntact() {
        final AuthorityGenesis authority = AuthorityGenesis.generate("serde-1", 3, 2);
        final SnapshotStatement statement = new SnapshotStatement("serde-1", "p", 0L, ByteBuffer.wrap(new byte[] {7}));
        final List<FactEnvelope> facts = List.of(authority.genesisFact(Ed25519Keys.generate()),
                authority.device(0).journalEntry(0, "k".getBytes(), "v".getBytes()),
                authority.device(1).approveSnapshot(0, "p", 0, new byte[] {7}),
                authority.admin().sign(0, new io.factfleet.schema.SnapshotCompleted(statement, "cid", 3L,
                        ThresholdCertificates.of(statement, authority.deviceKeys().subList(0, 2)))));
        final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(client);
        final SpecificAvroDeserializer<FactEnvelope> deserializer = new SpecificAvroDeserializer<>(client, FactEnvelope.class);
        for (final FactEnvelope fact : facts) {
            final byte[] bytes = serializer.serialize(FactFleetTopics.INBOUND.name(), fact);
            assertThat(bytes[0]).isEqualTo(WireFormat.MAGIC_BYTE);
            final FactEnvelope back = deserializer.deserialize(FactFleetTopics.INBOUND.name(), bytes);
            assertThat(back).isEqualTo(fact);
            assertThat(Facts.idMatchesBody(back)).isTrue();
        }
        assertThat(client.subjects()).contains(FactFleetTopics.INBOUND.name() + "-value");
    }

    @Test
    void anIncompatibleChangeToTheFactSchemaIsRefusedWith40901() {
        final String subject = "incompatible-facts-value";
        client.register(subject, FactEnvelope.getClassSchema());
        // Adding a required field without a default breaks BACKWARD compatibility.
        final String json = FactEnvelope.getClassSchema().toString()
                .replaceFirst("\"fields\":\\[", "\"fields\":[{\"name\":\"requiredWithoutDefault\",\"type\":\"string\"},");
        final Schema breaking = new Schema.Parser().parse(json);
        assertThatThrownBy(() -> client.register(subject, breaking))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(40901);
                });
    }
}
