package io.factfleet.schema;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/** Random generic data for a schema, for golden canonical-bytes files; unions cycle through their branches. */
final class RandomDatum {
    private RandomDatum() {
    }

    static Object of(final Schema schema, final Random random, final int index) {
        return switch (schema.getType()) {
            case RECORD -> {
                final GenericData.Record record = new GenericData.Record(schema);
                for (final Schema.Field field : schema.getFields()) {
                    record.put(field.pos(), of(field.schema(), random, index));
                }
                yield record;
            }
            case UNION -> {
                final List<Schema> types = schema.getTypes();
                // Top-level payload unions cycle deterministically so every kind is covered.
                yield of(types.get(types.size() > 2 ? index % types.size() : random.nextInt(types.size())), random, index);
            }
            case ARRAY -> {
                final int n = random.nextInt(3);
                final List<Object> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(of(schema.getElementType(), random, index));
                }
                yield new GenericData.Array<>(schema, items);
            }
            case ENUM -> new GenericData.EnumSymbol(schema, schema.getEnumSymbols().get(random.nextInt(schema.getEnumSymbols().size())));
            case STRING -> "s" + Long.toHexString(random.nextLong());
            case BYTES -> {
                final byte[] bytes = new byte[random.nextInt(40)];
                random.nextBytes(bytes);
                yield ByteBuffer.wrap(bytes);
            }
            case INT -> random.nextInt();
            case LONG -> random.nextLong();
            case BOOLEAN -> random.nextBoolean();
            case NULL -> null;
            case DOUBLE -> random.nextDouble();
            case FLOAT -> random.nextFloat();
            default -> throw new IllegalArgumentException("FactFleet schemas do not use " + schema.getType());
        };
    }
}
