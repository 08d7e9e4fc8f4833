package io.factfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SyncBenchTest {
    @Test
    void readsTheBridgesRequestAndByteCountersFromItsPrometheusText() {
        final String text = String.join("\n",
                "# HELP factfleet_bridge_bytes_in_total request body bytes",
                "# TYPE factfleet_bridge_bytes_in_total counter",
                "factfleet_bridge_bytes_in_total 12345.0",
                "factfleet_bridge_bytes_out_total 678901.0",
                "factfleet_bridge_request_seconds_bucket{method=\"POST\",route=\"/v1/authorities/{authorityId}/sync\",status=\"200\",le=\"0.001\"} 0",
                "factfleet_bridge_request_seconds_count{method=\"POST\",route=\"/v1/authorities/{authorityId}/sync\",status=\"200\"} 3",
                "factfleet_bridge_request_seconds_count{method=\"POST\",route=\"/v1/authorities/{authorityId}/sync\",status=\"409\"} 1",
                "factfleet_bridge_request_seconds_count{method=\"POST\",route=\"/v1/authorities/{authorityId}/facts/status\",status=\"200\"} 2",
                "factfleet_bridge_request_seconds_count{method=\"POST\",route=\"/v1/authorities/{authorityId}/facts\",status=\"200\"} 5",
                "factfleet_bridge_request_seconds_count{method=\"GET\",route=\"/metrics\",status=\"200\"} 9",
                "factfleet_bridge_request_seconds_sum{method=\"GET\",route=\"/metrics\",status=\"200\"} 0.5");
        assertThat(SyncBench.counters(text)).containsExactly(4, 7, 12345, 678901);
    }

    @Test
    void factFramingIsTwoQuotesAndACommaPerFactLessOneCommaPerAnswer() {
        final SyncBench.Trial trial = new SyncBench.Trial("cursor", 1, 3697, 1000, true, true, 5, 0, 1, 0, 263387, 260000, 0, 0, 150);
        assertThat(trial.factFraming()).isEqualTo(2999);
        assertThat(trial.bridgeRequests()).isEqualTo(1);
        assertThat(trial.bridgeBodyOverhead()).isEqualTo(3387);
    }

    @Test
    void bridgeThreadsHaveTheirOwnCpuGroups() {
        assertThat(CpuUse.edgeGroup("kafka-producer-network-thread | bench-bridge-producer")).isEqualTo("bridge");
        assertThat(CpuUse.edgeGroup("edge-bridge-scheduler-1")).isEqualTo("bridge");
        assertThat(CpuUse.edgeGroup("JettyServerThreadPool-123")).isEqualTo("http");
        assertThat(CpuUse.edgeGroup("bench-bridge-client-3")).isEqualTo("bench");
        assertThat(CpuUse.group("JettyServerThreadPool-123")).isEqualTo("reducer");
    }
}
