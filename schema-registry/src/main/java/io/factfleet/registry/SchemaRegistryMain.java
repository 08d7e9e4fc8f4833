package io.factfleet.registry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * Runs a {@link SchemaRegistryService} until the process is stopped.
 *
 * <pre>
 * java -cp ... io.factfleet.registry.SchemaRegistryMain [registry.properties]
 * </pre>
 * Properties come from the optional file, overridden by {@code SCHEMA_REGISTRY_*} environment variables
 * (see {@link SchemaRegistryConfig}); at least {@code bootstrap.servers} is needed.
 */
public final class SchemaRegistryMain {

    /** The logging configuration used unless {@code -Dlog4j2.configurationFile} names another. */
    static final String DEFAULT_LOGGING_CONFIGURATION = "schema-registry-log4j2.xml";

    private SchemaRegistryMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 1) {
            System.err.println("Usage: SchemaRegistryMain [registry.properties]");
            System.exit(2);
        }
        if (System.getProperty("log4j2.configurationFile") == null) {
            // Before the first logger is created, so Log4j picks it up.
            System.setProperty("log4j2.configurationFile", DEFAULT_LOGGING_CONFIGURATION);
        }
        final Logger log = LoggerFactory.getLogger(SchemaRegistryMain.class);
        final Optional<Path> file = args.length == 1 ? Optional.of(Path.of(args[0])) : Optional.empty();
        final Properties properties = SchemaRegistryConfig.load(file, System.getenv());
        final SchemaRegistryService service = new SchemaRegistryService(properties);
        Runtime.getRuntime().addShutdownHook(new Thread(service::stop, "schema-registry-shutdown"));
        service.start();
        log.info("Schema registry started; stop it with SIGTERM");
    }
}
