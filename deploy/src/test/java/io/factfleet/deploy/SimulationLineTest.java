package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The line {@code --simulate} prints every 10 s. */
class SimulationLineTest {
    private static final LocalTime AT = LocalTime.of(2, 20, 7);

    @Test
    void aLineCountsWhatFlowedSinceThePreviousOneAndNamesWhoCameBack() {
        final Simulation.Status before = new Simulation.Status(84, 21, 9, List.of("sim-0-d0", "sim-0-d1", "sim-0-d2"), 0,
                counts(8, 29, 29));
        final Simulation.Status now = new Simulation.Status(132, 3, 9, List.of("sim-0-d3", "sim-1-d0", "sim-1-d1"), 0, counts(44, 43, 45));

        assertThat(Simulation.line(now, before, AT)).isEqualTo("02:20:07 fleet: 132 facts signed (+48) | 3 waiting in outboxes | "
                + "9 online, 3 offline (sim-0-d3, sim-1-d0, sim-1-d1), back online and catching up: sim-0-d0, sim-0-d1, sim-0-d2 | "
                + "server factCount sim-0 44 (+36), sim-1 43 (+14), sim-2 45 (+16)");
    }

    @Test
    void failedExchangesAndUnknownCountsAreShownManyOfflineDevicesOnlyCounted() {
        final Simulation.Status before = new Simulation.Status(0, 0, 0, List.of(), 0, counts(0, 0, 0));
        final Map<String, Long> counts = counts(1, 1, 1);
        counts.put("sim-2", -1L);
        final Simulation.Status now = new Simulation.Status(12, 12, 7, List.of("a", "b", "c", "d", "e"), 2, counts);

        assertThat(Simulation.line(now, before, AT)).isEqualTo("02:20:07 fleet: 12 facts signed (+12) | 12 waiting in outboxes | "
                + "7 online, 5 offline | 2 exchange(s) with the bridge failed (facts kept for the next round; errors by code in the bridge's "
                + "/metrics) | server factCount sim-0 1 (+1), sim-1 1 (+1), sim-2 ?");
    }

    private static Map<String, Long> counts(final long... counts) {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < counts.length; i++) {
            m.put("sim-" + i, counts[i]);
        }
        return m;
    }
}
