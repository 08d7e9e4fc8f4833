package io.factfleet.registry.client;

import org.apache.kafka.common.config.ConfigException;

import java.util.Map;

/**
 * The properties the Avro serdes read, in addition to {@link SchemaRegistryClientConfig}'s. The names
 * are Confluent's.
 */
public final class AvroSerdeConfig {

    /**
     * Register a record's schema on first use (default {@code true}). When false, the serializer only
     * looks the schema up and fails with 40401/40403 if it was not registered beforehand.
     */
    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";

    /**
     * Write with the subject's latest registered version instead of the record's own schema (default
     * {@code false}). The latest version must be able to read the record's schema; records are converted
     * to it by Avro schema resolution.
     */
    public static final String USE_LATEST_VERSION_CONFIG = "use.latest.version";

    /** Subject naming for keys; only Confluent's {@code TopicNameStrategy} ({@code <topic>-key}) is supported. */
    public static final String KEY_SUBJECT_NAME_STRATEGY_CONFIG = "key.subject.name.strategy";

    /** Subject naming for values; only Confluent's {@code TopicNameStrategy} ({@code <topic>-value}) is supported. */
    public static final String VALUE_SUBJECT_NAME_STRATEGY_CONFIG = "value.subject.name.strategy";

    /**
     * The generated class a key deserializer created by Kafka (without a {@code Class}) decodes into, as a
     * {@code Class} or a class name. If absent, the class named by the writer schema is used.
     */
    public static final String SPECIFIC_AVRO_KEY_TYPE_CONFIG = "specific.avro.key.type";

    /** Like {@link #SPECIFIC_AVRO_KEY_TYPE_CONFIG}, for values. */
    public static final String SPECIFIC_AVRO_VALUE_TYPE_CONFIG = "specific.avro.value.type";

    private static final String TOPIC_NAME_STRATEGY = "TopicNameStrategy";

    private AvroSerdeConfig() {
    }

    /** {@value #AUTO_REGISTER_SCHEMAS_CONFIG}, default true. */
    static boolean autoRegisterSchemas(final Map<String, ?> config) {
        return SchemaRegistryClientConfig.booleanValue(config, AUTO_REGISTER_SCHEMAS_CONFIG, true);
    }

    /** {@value #USE_LATEST_VERSION_CONFIG}, default false. */
    static boolean useLatestVersion(final Map<String, ?> config) {
        return SchemaRegistryClientConfig.booleanValue(config, USE_LATEST_VERSION_CONFIG, false);
    }

    /** Fails unless the configured subject name strategy, if any, is Confluent's TopicNameStrategy. */
    static void requireTopicNameStrategy(final Map<String, ?> config, final boolean isKey) {
        final String name = isKey ? KEY_SUBJECT_NAME_STRATEGY_CONFIG : VALUE_SUBJECT_NAME_STRATEGY_CONFIG;
        final Object value = config.get(name);
        if (value == null) {
            return;
        }
        final String strategy = value instanceof Class<?> c ? c.getName() : value.toString().trim();
        if (!strategy.equals(TOPIC_NAME_STRATEGY) && !strategy.endsWith("." + TOPIC_NAME_STRATEGY)) {
            throw new ConfigException(name, value,
                "Only TopicNameStrategy (subject <topic>-key / <topic>-value) is supported");
        }
    }

    /** The subject of a topic's keys or values under TopicNameStrategy. */
    static String subject(final String topic, final boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    /** The configured specific record type for keys or values, or null. */
    static Class<?> specificType(final Map<String, ?> config, final boolean isKey) {
        final String name = isKey ? SPECIFIC_AVRO_KEY_TYPE_CONFIG : SPECIFIC_AVRO_VALUE_TYPE_CONFIG;
        final Object value = config.get(name);
        if (value == null) {
            return null;
        }
        if (value instanceof Class<?> c) {
            return c;
        }
        try {
            final ClassLoader context = Thread.currentThread().getContextClassLoader();
            return Class.forName(value.toString().trim(), true,
                context != null ? context : AvroSerdeConfig.class.getClassLoader());
        } catch (final ClassNotFoundException e) {
            throw new ConfigException(name, value, "class not found");
        }
    }
}
