package io.factfleet.console;

import io.factfleet.contracts.ServiceProperties;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** Runs the console alone: {@code ConsoleMain [console.properties]}, environment {@code FACTFLEET_*} overriding. */
public final class ConsoleMain {
    private ConsoleMain() {
    }

    public static void main(final String[] args) throws InterruptedException {
        if (args.length > 1) {
            System.err.println("usage: ConsoleMain [console.properties]");
            System.exit(2);
        }
        final ConsoleService console = new ConsoleService(ConsoleConfig.of(ServiceProperties.fromMain(Map.of(), args)));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            console.stop();
            stopped.countDown();
        }, "console-shutdown"));
        console.start();
        stopped.await();
    }
}
