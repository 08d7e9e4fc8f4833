package io.factfleet.bridge;

import io.factfleet.contracts.ServiceProperties;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one edge bridge until the JVM is asked to stop.
 *
 * <pre>
 * java -cp ... io.factfleet.bridge.EdgeBridgeMain [bridge.properties]
 * </pre>
 *
 * Properties: {@link BridgeConfig#defaults()}, then the file named by the argument or by
 * {@code FACTFLEET_CONFIG}, then {@code FACTFLEET_}-prefixed environment variables
 * ({@code FACTFLEET_BRIDGE_REDUCER_URL=http://reducer:8080} sets {@code bridge.reducer.url}).
 */
public final class EdgeBridgeMain {
    private EdgeBridgeMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 1) {
            System.err.println("usage: EdgeBridgeMain [bridge.properties]");
            System.exit(2);
        }
        final EdgeBridgeService bridge = new EdgeBridgeService(BridgeConfig.of(ServiceProperties.fromMain(BridgeConfig.defaults(), args)));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bridge.stop();
            stopped.countDown();
        }, "edge-bridge-shutdown"));
        bridge.start();
        stopped.await();
    }
}
