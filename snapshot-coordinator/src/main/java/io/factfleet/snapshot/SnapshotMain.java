package io.factfleet.snapshot;

import io.factfleet.contracts.ServiceProperties;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one snapshot coordinator until the JVM is asked to stop: {@code SnapshotMain [snapshot.properties]}.
 * Properties come from the file (or {@code FACTFLEET_CONFIG}), then {@code FACTFLEET_}-prefixed environment
 * variables, then {@link SnapshotConfig}'s defaults; the admin key ring from {@value SnapshotConfig#ADMIN_KEYS}.
 */
public final class SnapshotMain {
    private SnapshotMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 1) {
            System.err.println("usage: SnapshotMain [snapshot.properties]");
            System.exit(2);
        }
        final SnapshotCoordinatorService service = new SnapshotCoordinatorService(SnapshotConfig.of(ServiceProperties.fromMain(Map.of(), args)));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.stop();
            stopped.countDown();
        }, "snapshot-shutdown"));
        service.start();
        stopped.await();
    }
}
