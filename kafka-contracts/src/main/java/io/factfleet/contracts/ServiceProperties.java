package io.factfleet.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka-style configuration for every FactFleet service, layered (later wins):
 * documented defaults, a properties file, environment variables, explicit overrides.
 *
 * <p>An environment variable {@code FACTFLEET_BOOTSTRAP_SERVERS} sets {@code bootstrap.servers}:
 * strip the prefix, lower-case, and turn '_' into '.'. Use a properties file for names that
 * contain '_' or '-'. Security settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*})
 * pass straight through to every Kafka client a service creates.
 */
public final class ServiceProperties {
    public static final String ENV_PREFIX = "FACTFLEET_";
    /** Environment variable naming a properties file. */
    public static final String CONFIG_FILE_ENV = "FACTFLEET_CONFIG";

    private ServiceProperties() {
    }

    public static Properties load(final Map<String, String> defaults, final Path file, final Map<String, String> environment,
                                  final Map<String, String> overrides) {
        final Properties props = new Properties();
        props.putAll(defaults);
        if (file != null) {
            try (InputStream in = Files.newInputStream(file)) {
                final Properties fromFile = new Properties();
                fromFile.load(in);
                props.putAll(fromFile);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read configuration file " + file + ": " + e.getMessage(), e);
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && !name.equals(CONFIG_FILE_ENV)) {
                props.put(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        props.putAll(overrides);
        return props;
    }

    /** Defaults, then the file named by {@code FACTFLEET_CONFIG} or the first argument, then the environment. */
    public static Properties fromMain(final Map<String, String> defaults, final String[] args) {
        final String file = args.length > 0 ? args[0] : System.getenv(CONFIG_FILE_ENV);
        return load(defaults, file == null ? null : Path.of(file), System.getenv(), Map.of());
    }
}
