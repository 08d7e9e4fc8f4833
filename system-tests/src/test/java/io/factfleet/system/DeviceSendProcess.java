package io.factfleet.system;

import io.factfleet.device.DeviceAgent;
import io.factfleet.device.DeviceKeyStore;
import java.net.URI;
import java.nio.file.Path;

/**
 * A device as its own process: opens its data directory and sends its outbox to the bridge in
 * small batches, announcing each acknowledged batch, until it is killed.
 * Arguments: authorityId deviceId dataDir bridgeUri.
 */
public final class DeviceSendProcess {
    private DeviceSendProcess() {
    }

    public static void main(final String[] args) {
        final Path dir = Path.of(args[2]);
        try (DeviceAgent agent = DeviceAgent.open(args[0], args[1], DeviceKeyStore.loadOrCreate(dir.resolve("device.key")), dir,
                URI.create(args[3]), new io.factfleet.device.Backoff(java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(500)),
                System::currentTimeMillis)) {
            System.out.println("OPEN " + agent.outbox().pendingCount());
            System.out.flush();
            while (true) {
                final int acknowledged = agent.flushOnce(5);
                System.out.println("ACKED " + acknowledged);
                System.out.flush();
                if (acknowledged == 0) {
                    System.out.println("EMPTY");
                    System.out.flush();
                }
            }
        }
    }
}
