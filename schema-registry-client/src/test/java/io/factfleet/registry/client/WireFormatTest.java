package io.factfleet.registry.client;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireFormatTest {

    @Test
    void framePrefixesMagicByteAndBigEndianSchemaId() {
        final byte[] framed = WireFormat.frame(0x01020304, new byte[] {9, 8});

        assertThat(framed).containsExactly(0, 1, 2, 3, 4, 9, 8);
    }

    @Test
    void parseReturnsTheSchemaIdAndTheBody() {
        final WireFormat.Frame frame = WireFormat.parse(WireFormat.frame(42, new byte[] {7, 7, 7}));

        assertThat(frame.schemaId()).isEqualTo(42);
        assertThat(frame.body()).isEqualTo(ByteBuffer.wrap(new byte[] {7, 7, 7}));
    }

    @Test
    void aHeaderWithAnEmptyBodyIsWellFormed() {
        assertThat(WireFormat.schemaId(WireFormat.header(7))).isEqualTo(7);
    }

    @Test
    void anEmptyPayloadIsMalformed() {
        assertThatThrownBy(() -> WireFormat.parse(new byte[0]))
            .isInstanceOf(MalformedWireFormatException.class)
            .hasMessageContaining("Empty payload")
            .hasMessageContaining("magic byte 0")
            .satisfies(e -> assertThat(((AvroSerdeException) e).getCode()).isEqualTo("MALFORMED_WIRE_FORMAT"));
    }

    @Test
    void aNullPayloadIsMalformed() {
        assertThatThrownBy(() -> WireFormat.parse(null)).isInstanceOf(MalformedWireFormatException.class);
    }

    @Test
    void aPayloadShorterThanTheHeaderIsMalformed() {
        assertThatThrownBy(() -> WireFormat.parse(new byte[] {0, 0, 1}))
            .isInstanceOf(MalformedWireFormatException.class)
            .hasMessageContaining("3 byte(s)")
            .hasMessageContaining("5-byte");
    }

    @Test
    void aWrongMagicByteIsMalformedAndNamesTheExpectedByte() {
        assertThatThrownBy(() -> WireFormat.parse("{\"json\":1}".getBytes()))
            .isInstanceOf(MalformedWireFormatException.class)
            .hasMessageContaining("0x7b")
            .hasMessageContaining("expected 0x00");
    }
}
