package io.factfleet.ingest;

import io.factfleet.contracts.ServiceProperties;
import java.util.concurrent.CountDownLatch;

/** Runs fact-ingest: {@code java io.factfleet.ingest.IngestMain [ingest.properties]}; FACTFLEET_* variables override. */
public final class IngestMain {
    private IngestMain() {
    }

    public static void main(final String[] args) throws InterruptedException {
        final IngestService service = new IngestService(ServiceProperties.fromMain(mainDefaults(), args));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "factfleet-ingest-shutdown"));
        service.start();
        stopped.await();
    }

    /** {@link IngestConfig#defaults()} plus the HTTP endpoint on port {@value IngestConfig#DEFAULT_HTTP_PORT}. */
    static java.util.Map<String, String> mainDefaults() {
        final java.util.Map<String, String> defaults = new java.util.HashMap<>(IngestConfig.defaults());
        defaults.put(IngestConfig.HTTP_PORT, Integer.toString(IngestConfig.DEFAULT_HTTP_PORT));
        return defaults;
    }
}
