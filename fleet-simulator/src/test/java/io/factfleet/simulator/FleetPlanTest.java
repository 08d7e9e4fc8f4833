package io.factfleet.simulator;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FleetPlanTest {
    @Test
    void aThresholdAboveTheDeviceCountIsRefused() {
        assertThatThrownBy(() -> new FleetPlan(1, 2, 3, 1, Duration.ofSeconds(1), 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threshold");
    }

    @Test
    void anOfflineShareOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> new FleetPlan(1, 2, 1, 1, Duration.ofSeconds(1), 1.5, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
