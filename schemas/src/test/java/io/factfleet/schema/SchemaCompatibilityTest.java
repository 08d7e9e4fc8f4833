package io.factfleet.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every schema change must stay backward compatible with every released version (a new reader
 * reads old data), and must leave the canonical bytes of old facts unchanged, because fact ids
 * and signatures are computed over those bytes.
 */
class SchemaCompatibilityTest {
    private static final String GOLDEN = "golden-fact-bodies.hex";

    @BeforeAll
    static void releaseIfAsked() throws IOException {
        final String version = System.getProperty("factfleet.schemas.release");
        if (version == null || version.isBlank()) {
            return;
        }
        final Path dir = ReleasedSchemas.DIRECTORY.resolve(version);
        Files.createDirectories(dir);
        for (final Map.Entry<String, Schema> e : ReleasedSchemas.current().entrySet()) {
            Files.writeString(dir.resolve(e.getKey() + ".avsc"), e.getValue().toString(true) + "\n");
        }
        final Schema body = FactBody.getClassSchema();
        final Random random = new Random(version.hashCode());
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(HexFormat.of().formatHex(encode(body, RandomDatum.of(body, random, i))));
        }
        Files.write(dir.resolve(GOLDEN), lines, StandardCharsets.US_ASCII);
    }

    @Test
    void thereIsAtLeastOneReleasedVersion() throws IOException {
        assertThat(ReleasedSchemas.versions()).isNotEmpty();
    }

    @Test
    void currentSchemasReadDataWrittenWithEveryReleasedVersion() throws IOException {
        for (final Path version : ReleasedSchemas.versions()) {
            for (final Map.Entry<String, Schema> e : ReleasedSchemas.current().entrySet()) {
                if (!ReleasedSchemas.released(version, e.getKey())) {
                    continue;
                }
                final Schema released = ReleasedSchemas.load(version, e.getKey());
                final SchemaCompatibility.SchemaPairCompatibility result =
                        SchemaCompatibility.checkReaderWriterCompatibility(e.getValue(), released);
                assertThat(result.getType())
                        .as("%s must stay backward compatible with release %s: %s", e.getKey(), version.getFileName(), result.getDescription())
                        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
            }
        }
    }

    @Test
    void canonicalBytesOfReleasedFactBodiesAreUnchanged() throws IOException {
        int checked = 0;
        for (final Path version : ReleasedSchemas.versions()) {
            final Schema writer = ReleasedSchemas.load(version, "FactEnvelope").getField("body").schema();
            final Schema reader = FactBody.getClassSchema();
            for (final String line : Files.readAllLines(version.resolve(GOLDEN))) {
                final byte[] old = HexFormat.of().parseHex(line);
                final Object datum = new GenericDatumReader<>(writer, reader).read(null, DecoderFactory.get().binaryDecoder(old, null));
                assertThat(HexFormat.of().formatHex(encode(reader, datum)))
                        .as("a fact body written by release %s re-encodes to different canonical bytes, which would change its fact id", version.getFileName())
                        .isEqualTo(line);
                checked++;
            }
        }
        assertThat(checked).isPositive();
    }

    @Test
    void goldenBodiesCoverEveryPayloadKind() throws IOException {
        final Path latest = ReleasedSchemas.versions().get(ReleasedSchemas.versions().size() - 1);
        final Schema writer = ReleasedSchemas.load(latest, "FactEnvelope").getField("body").schema();
        final java.util.Set<String> kinds = new java.util.TreeSet<>();
        for (final String line : Files.readAllLines(latest.resolve(GOLDEN))) {
            final org.apache.avro.generic.GenericRecord body = (org.apache.avro.generic.GenericRecord) new GenericDatumReader<>(writer)
                    .read(null, DecoderFactory.get().binaryDecoder(HexFormat.of().parseHex(line), null));
            kinds.add(((org.apache.avro.generic.GenericRecord) body.get("payload")).getSchema().getName());
        }
        assertThat(kinds).hasSize(writer.getField("payload").schema().getTypes().size());
    }

    static byte[] encode(final Schema schema, final Object datum) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<>(schema).write(datum, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
