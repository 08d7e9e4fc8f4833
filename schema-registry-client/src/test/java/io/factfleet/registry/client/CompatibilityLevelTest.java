package io.factfleet.registry.client;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CompatibilityLevelTest {

    private static final Schema V1 = SchemaBuilder.record("Device").fields()
        .requiredString("id")
        .endRecord();
    /** Adds a field with a default: readable both ways. */
    private static final Schema V2_OPTIONAL_FIELD = SchemaBuilder.record("Device").fields()
        .requiredString("id")
        .name("site").type().stringType().stringDefault("unknown")
        .endRecord();
    /** Adds a field without a default: cannot read V1 data. */
    private static final Schema V2_REQUIRED_FIELD = SchemaBuilder.record("Device").fields()
        .requiredString("id")
        .requiredString("site")
        .endRecord();
    /** Drops the field V1 requires: V1 cannot read its data. */
    private static final Schema V3_NO_ID = SchemaBuilder.record("Device").fields()
        .name("site").type().stringType().stringDefault("unknown")
        .endRecord();

    @Test
    void backwardRejectsANewFieldWithoutDefault() {
        assertThat(CompatibilityLevel.BACKWARD.isCompatible(V2_OPTIONAL_FIELD, List.of(V1))).isTrue();
        assertThat(CompatibilityLevel.BACKWARD.incompatibilities(V2_REQUIRED_FIELD, List.of(V1)))
            .singleElement().asString().contains("READER_FIELD_MISSING_DEFAULT_VALUE").contains("site");
    }

    @Test
    void forwardRejectsRemovingAFieldOlderReadersNeed() {
        assertThat(CompatibilityLevel.FORWARD.isCompatible(V2_REQUIRED_FIELD, List.of(V1))).isTrue();
        assertThat(CompatibilityLevel.FORWARD.isCompatible(V3_NO_ID, List.of(V2_OPTIONAL_FIELD))).isFalse();
    }

    @Test
    void fullNeedsBothDirections() {
        assertThat(CompatibilityLevel.FULL.isCompatible(V2_OPTIONAL_FIELD, List.of(V1))).isTrue();
        assertThat(CompatibilityLevel.FULL.isCompatible(V2_REQUIRED_FIELD, List.of(V1))).isFalse();
    }

    @Test
    void onlyTransitiveLevelsCheckVersionsBeforeTheLatest() {
        final Schema first = SchemaBuilder.record("Device").fields().requiredInt("id").endRecord();
        final Schema second = SchemaBuilder.record("Device").fields()
            .name("site").type().stringType().stringDefault("x")
            .endRecord();
        // Reads data of `second` (id takes its default) but not of `first` (id was an int).
        final Schema third = SchemaBuilder.record("Device").fields()
            .name("site").type().stringType().stringDefault("x")
            .name("id").type().stringType().stringDefault("")
            .endRecord();

        assertThat(CompatibilityLevel.BACKWARD.isCompatible(third, List.of(first, second))).isTrue();
        assertThat(CompatibilityLevel.BACKWARD_TRANSITIVE.incompatibilities(third, List.of(first, second)))
            .singleElement().asString().contains("TYPE_MISMATCH");
    }

    @Test
    void noneAcceptsAnything() {
        assertThat(CompatibilityLevel.NONE.isCompatible(V3_NO_ID, List.of(V1, V2_REQUIRED_FIELD))).isTrue();
    }

    @Test
    void anEmptyHistoryAcceptsAnything() {
        assertThat(CompatibilityLevel.FULL_TRANSITIVE.isCompatible(V2_REQUIRED_FIELD, List.of())).isTrue();
    }

    @Test
    void levelsParseCaseInsensitively() {
        assertThat(CompatibilityLevel.parse("full_transitive")).contains(CompatibilityLevel.FULL_TRANSITIVE);
        assertThat(CompatibilityLevel.parse("SIDEWAYS")).isEmpty();
    }
}
