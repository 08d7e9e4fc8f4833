package io.factfleet.registry.client;

import io.factfleet.registry.client.testrecords.Greeting;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpecificAvroSerdeTest {

    private static final String TOPIC = "greetings";

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerde<Greeting> serde = new SpecificAvroSerde<>(registry, Greeting.class);

    private static Greeting greeting() {
        return Greeting.newBuilder().setId("g-1").setText("hello").setCount(3).build();
    }

    @Test
    void aRecordRoundTripsAndItsSchemaIsRegisteredUnderTheTopicValueSubject() {
        final byte[] bytes = serde.serializer().serialize(TOPIC, greeting());

        assertThat(serde.deserializer().deserialize(TOPIC, bytes)).isEqualTo(greeting());
        assertThat(registry.subjects()).containsExactly("greetings-value");
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(registry.lookup("greetings-value", Greeting.getClassSchema()));
    }

    @Test
    void aKeySerdeUsesTheTopicKeySubject() {
        final SpecificAvroSerde<Greeting> keys = new SpecificAvroSerde<>(registry, Greeting.class);
        keys.configure(Map.of(), true);

        keys.serializer().serialize(TOPIC, greeting());

        assertThat(registry.subjects()).containsExactly("greetings-key");
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(serde.serializer().serialize(TOPIC, null)).isNull();
        assertThat(serde.deserializer().deserialize(TOPIC, null)).isNull();
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaFailsWithSubjectNotFound() {
        final SpecificAvroSerializer<Greeting> serializer = new SpecificAvroSerializer<>(registry);
        serializer.configure(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, "false"), false);

        assertThatThrownBy(() -> serializer.serialize(TOPIC, greeting()))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.errorCode()).isEqualTo(40401);
                assertThat(e.getCode()).isEqualTo("SUBJECT_NOT_FOUND");
            });

        registry.register("greetings-value", Greeting.getClassSchema());
        assertThat(serializer.serialize(TOPIC, greeting())).isNotEmpty();
    }

    @Test
    void anUnknownSchemaIdFailsWithUnknownSchemaId() {
        final byte[] bytes = WireFormat.frame(777, new byte[] {2, 'x'});

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, bytes))
            .isInstanceOfSatisfying(UnknownSchemaIdException.class, e -> {
                assertThat(e.getCode()).isEqualTo("UNKNOWN_SCHEMA_ID");
                assertThat(e.schemaId()).isEqualTo(777);
            })
            .isInstanceOf(SerializationException.class);
    }

    @Test
    void aTruncatedBodyIsUndecodable() {
        final byte[] bytes = serde.serializer().serialize(TOPIC, greeting());
        final byte[] truncated = Arrays.copyOf(bytes, bytes.length - 3);

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, truncated))
            .isInstanceOfSatisfying(AvroDecodeException.class, e -> {
                assertThat(e.getCode()).isEqualTo("UNDECODABLE");
                assertThat(e.schemaId()).isEqualTo(WireFormat.schemaId(bytes));
            })
            .hasMessageContaining("does not decode");
    }

    @Test
    void trailingBytesAreUndecodable() {
        final byte[] bytes = serde.serializer().serialize(TOPIC, greeting());
        final byte[] padded = Arrays.copyOf(bytes, bytes.length + 2);

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, padded))
            .isInstanceOf(AvroDecodeException.class)
            .hasMessageContaining("2 byte(s) after the end");
    }

    @Test
    void aPayloadWithoutTheWireFormatIsMalformed() {
        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, new byte[] {1, 2}))
            .isInstanceOfSatisfying(MalformedWireFormatException.class,
                e -> assertThat(e.getCode()).isEqualTo("MALFORMED_WIRE_FORMAT"));
    }

    @Test
    void dataWrittenWithANewerSchemaIsResolvedToTheReaderClass() throws IOException {
        final Schema newer = SchemaBuilder.record("Greeting").namespace("io.factfleet.registry.client.testrecords")
            .fields()
            .requiredString("id")
            .requiredString("text")
            .name("language").type().stringType().stringDefault("en")
            .endRecord();
        final int id = registry.register("greetings-value", newer);
        final GenericRecord record = new GenericData.Record(newer);
        record.put("id", "g-2");
        record.put("text", "bonjour");
        record.put("language", "fr");

        final Greeting decoded = serde.deserializer().deserialize(TOPIC, WireFormat.frame(id, avro(newer, record)));

        assertThat(decoded).isEqualTo(Greeting.newBuilder().setId("g-2").setText("bonjour").setCount(0).build());
    }

    @Test
    void aWriterSchemaThatDoesNotResolveToTheReaderIsUndecodable() throws IOException {
        final Schema unrelated = SchemaBuilder.record("Greeting").namespace("io.factfleet.registry.client.testrecords")
            .fields().requiredLong("id").endRecord();
        registry.setCompatibility(java.util.Optional.empty(), "NONE");
        final int id = registry.register("other-value", unrelated);
        final GenericRecord record = new GenericData.Record(unrelated);
        record.put("id", 5L);

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, WireFormat.frame(id, avro(unrelated, record))))
            .isInstanceOf(AvroDecodeException.class);
    }

    @Test
    void useLatestVersionWritesWithTheLatestRegisteredSchema() {
        final Schema latest = SchemaBuilder.record("Greeting").namespace("io.factfleet.registry.client.testrecords")
            .fields()
            .requiredString("id")
            .requiredString("text")
            .name("count").type().intType().intDefault(0)
            .name("language").type().stringType().stringDefault("en")
            .endRecord();
        registry.register("greetings-value", Greeting.getClassSchema());
        final int latestId = registry.register("greetings-value", latest);
        final SpecificAvroSerializer<Greeting> serializer = new SpecificAvroSerializer<>(registry);
        serializer.configure(Map.of(AvroSerdeConfig.USE_LATEST_VERSION_CONFIG, true,
            AvroSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, false), false);

        final byte[] bytes = serializer.serialize(TOPIC, greeting());

        assertThat(WireFormat.schemaId(bytes)).isEqualTo(latestId);
        assertThat(serde.deserializer().deserialize(TOPIC, bytes)).isEqualTo(greeting());
    }

    @Test
    void aDeserializerBuiltByKafkaFindsTheGeneratedClassFromConfigOrWriterSchema() {
        final byte[] bytes = serde.serializer().serialize(TOPIC, greeting());
        final SpecificAvroDeserializer<Greeting> byName = new SpecificAvroDeserializer<>();
        byName.useRegistryIfUnset(registry);
        byName.configure(Map.of(), false);
        final SpecificAvroDeserializer<Greeting> byConfig = new SpecificAvroDeserializer<>();
        byConfig.useRegistryIfUnset(registry);
        byConfig.configure(Map.of(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE_CONFIG, Greeting.class.getName()), false);

        assertThat(byName.deserialize(TOPIC, bytes)).isEqualTo(greeting());
        assertThat(byConfig.deserialize(TOPIC, bytes)).isEqualTo(greeting());
    }

    @Test
    void configurationWithoutRegistryUrlOrWithAnotherSubjectStrategyIsRejected() {
        assertThatThrownBy(() -> new SpecificAvroSerializer<Greeting>().configure(Map.of(), false))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> new SpecificAvroSerializer<Greeting>(registry).configure(Map.of(
            AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY_CONFIG,
            "io.confluent.kafka.serializers.subject.RecordNameStrategy"), false))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("TopicNameStrategy");
    }

    private static byte[] avro(final Schema schema, final GenericRecord record) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
