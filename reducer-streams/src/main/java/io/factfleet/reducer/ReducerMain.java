package io.factfleet.reducer;

import io.factfleet.contracts.ServiceProperties;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one reducer instance until the JVM is asked to stop.
 *
 * <pre>
 * java -cp ... io.factfleet.reducer.ReducerMain [reducer.properties]
 * </pre>
 *
 * Properties come from the file named by the argument or by {@code FACTFLEET_CONFIG}, then
 * {@code FACTFLEET_}-prefixed environment variables override them, then {@link ReducerConfig}'s
 * defaults fill in the rest.
 */
public final class ReducerMain {
    private ReducerMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 1) {
            System.err.println("usage: ReducerMain [reducer.properties]");
            System.exit(2);
        }
        final ReducerConfig config = ReducerConfig.of(ServiceProperties.fromMain(Map.of(), args));
        final ReducerService service = new ReducerService(config);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.stop();
            stopped.countDown();
        }, "reducer-shutdown"));
        service.start();
        stopped.await();
    }
}
