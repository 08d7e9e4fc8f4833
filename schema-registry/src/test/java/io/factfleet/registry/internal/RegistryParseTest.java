package io.factfleet.registry.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Regression tests of what RegistryRequestFuzzTest found: every schema the parser refuses is a 42201, never a 500. */
class RegistryParseTest {
    @Test
    void aSchemaNamingAnUndefinedTypeIsAnInvalidSchema() {
        // The fuzzer's input: a FactEnvelope schema with one type name changed ("bYtes"); Avro's parser throws AvroTypeException.
        final SchemaRequest request = new SchemaRequest(
                "{\"type\": \"record\", \"name\": \"R\", \"namespace\": \"io.factfleet.schema\", \"fields\": [{\"name\": \"a\", \"type\": \"bYtes\"}]}",
                "AVRO", false);
        assertThatThrownBy(() -> Registry.parse(request)).isInstanceOfSatisfying(RegistryApiException.class, e -> {
            org.assertj.core.api.Assertions.assertThat(e.httpStatus()).isEqualTo(422);
            org.assertj.core.api.Assertions.assertThat(e.errorCode()).isEqualTo(42201);
        }).hasMessageContaining("Undefined schema");
    }

    @Test
    void aDefaultThatDoesNotMatchItsTypeIsAnInvalidSchema() {
        final SchemaRequest request = new SchemaRequest(
                "{\"type\": \"record\", \"name\": \"R\", \"fields\": [{\"name\": \"a\", \"type\": \"int\", \"default\": \"seven\"}]}", "AVRO", false);
        assertThatThrownBy(() -> Registry.parse(request)).isInstanceOfSatisfying(RegistryApiException.class,
                e -> org.assertj.core.api.Assertions.assertThat(e.httpStatus()).isEqualTo(422));
    }
}
