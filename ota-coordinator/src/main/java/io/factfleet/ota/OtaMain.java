package io.factfleet.ota;

import io.factfleet.contracts.ServiceProperties;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one OTA coordinator until the JVM is asked to stop: {@code OtaMain [ota.properties]}.
 * Properties come from the file (or {@code FACTFLEET_CONFIG}), then {@code FACTFLEET_}-prefixed
 * environment variables, then {@link OtaConfig}'s defaults.
 */
public final class OtaMain {
    private OtaMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 1) {
            System.err.println("usage: OtaMain [ota.properties]");
            System.exit(2);
        }
        final OtaCoordinatorService service = new OtaCoordinatorService(OtaConfig.of(ServiceProperties.fromMain(Map.of(), args)));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.stop();
            stopped.countDown();
        }, "ota-shutdown"));
        service.start();
        stopped.await();
    }
}
