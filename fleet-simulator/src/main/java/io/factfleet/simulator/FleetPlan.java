package io.factfleet.simulator;

import java.time.Duration;

/**
 * The shape of a simulated fleet: how many authorities and devices, the approval threshold, how
 * fast online devices sign facts, and how their links behave.
 *
 * @param authorities        number of authorities (M)
 * @param devicesPerAuthority devices per authority (N / M)
 * @param threshold          approval threshold of every authority
 * @param factsPerDevicePerTick facts each online device signs per tick
 * @param tick               time between rounds
 * @param offlineFraction    share of devices offline at any time (0 to 1)
 * @param offlinePeriod      how long an offline device stays offline before another takes its turn
 */
public record FleetPlan(int authorities, int devicesPerAuthority, int threshold, int factsPerDevicePerTick, Duration tick,
                        double offlineFraction, Duration offlinePeriod) {
    public FleetPlan {
        if (authorities < 1 || devicesPerAuthority < 1 || threshold < 1 || threshold > devicesPerAuthority) {
            throw new IllegalArgumentException("need at least one authority and device, and 1 <= threshold <= devices per authority");
        }
        if (offlineFraction < 0 || offlineFraction > 1) {
            throw new IllegalArgumentException("offlineFraction is a share between 0 and 1");
        }
    }

    /** A small fleet for the local demo: 3 authorities of 4 devices, a quarter offline at a time. */
    public static FleetPlan demo() {
        return new FleetPlan(3, 4, 2, 1, Duration.ofSeconds(2), 0.25, Duration.ofSeconds(20));
    }
}
