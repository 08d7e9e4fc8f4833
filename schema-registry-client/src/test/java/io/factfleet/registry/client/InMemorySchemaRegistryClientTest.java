package io.factfleet.registry.client;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InMemorySchemaRegistryClientTest {

    private static final Schema V1 = SchemaBuilder.record("Device").fields().requiredString("id").endRecord();
    private static final Schema V2 = SchemaBuilder.record("Device").fields()
        .requiredString("id")
        .name("site").type().stringType().stringDefault("unknown")
        .endRecord();
    private static final Schema BREAKING = SchemaBuilder.record("Device").fields()
        .requiredString("id").requiredString("site").endRecord();

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

    @Test
    void registeringIsIdempotentAndIdsAreGlobal() {
        final int id = registry.register("a-value", V1);

        assertThat(registry.register("a-value", V1)).isEqualTo(id);
        assertThat(registry.register("b-value", V1)).isEqualTo(id);
        assertThat(registry.register("a-value", V2)).isNotEqualTo(id);
        assertThat(registry.versions("a-value")).containsExactly(1, 2);
        assertThat(registry.latestVersion("a-value").schema()).isEqualTo(V2);
        assertThat(registry.lookup("b-value", V1)).isEqualTo(id);
        assertThat(registry.getSchemaById(id)).isEqualTo(V1);
    }

    @Test
    void anIncompatibleSchemaIsRefusedWith40901() {
        registry.register("a-value", V1);

        assertThatThrownBy(() -> registry.register("a-value", BREAKING))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                assertThat(e.httpStatus()).isEqualTo(409);
                assertThat(e.errorCode()).isEqualTo(40901);
                assertThat(e.getCode()).isEqualTo("INCOMPATIBLE_SCHEMA");
            });
        assertThat(registry.isCompatible("a-value", "latest", BREAKING)).isFalse();

        registry.setCompatibility(Optional.of("a-value"), "NONE");
        assertThat(registry.getCompatibility(Optional.of("a-value"))).isEqualTo("NONE");
        assertThat(registry.getCompatibility(Optional.empty())).isEqualTo("BACKWARD");
        assertThat(registry.register("a-value", BREAKING)).isPositive();
    }

    @Test
    void missingThingsHaveConfluentErrorCodes() {
        assertThatThrownBy(() -> registry.getSchemaById(99))
            .isInstanceOfSatisfying(UnknownSchemaIdException.class, e -> {
                assertThat(e.schemaId()).isEqualTo(99);
                assertThat(e.errorCode()).isEqualTo(40403);
                assertThat(e.getCode()).isEqualTo("UNKNOWN_SCHEMA_ID");
            });
        assertThatThrownBy(() -> registry.versions("nope"))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        registry.register("a-value", V1);
        assertThatThrownBy(() -> registry.version("a-value", 5))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40402));
        assertThatThrownBy(() -> registry.version("a-value", "first"))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42202));
        assertThatThrownBy(() -> registry.lookup("a-value", V2))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> registry.setCompatibility(Optional.empty(), "SIDEWAYS"))
            .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42203));
    }
}
