package io.factfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PercentilesTest {
    @Test
    void nearestRank() {
        final double[] values = new double[100];
        for (int i = 0; i < 100; i++) {
            values[i] = 100 - i; // 100..1, unsorted on purpose
        }
        assertThat(Percentiles.of(values, 50)).isEqualTo(50);
        assertThat(Percentiles.of(values, 99)).isEqualTo(99);
        assertThat(Percentiles.of(values, 100)).isEqualTo(100);
        assertThat(Percentiles.of(new double[] {7}, 99)).isEqualTo(7);
        assertThat(Percentiles.of(new double[0], 50)).isNaN();
    }

    @Test
    void cpuGroupsByThreadName() {
        assertThat(CpuUse.group("bench-ingest-1234-StreamThread-1")).isEqualTo("ingest");
        assertThat(CpuUse.group("kafka-producer-network-thread | bench-reducer-x-StreamThread-1-producer")).isEqualTo("reducer");
        assertThat(CpuUse.group("data-plane-kafka-request-handler-3")).isEqualTo("broker");
        assertThat(CpuUse.group("main")).isEqualTo("bench");
        assertThat(CpuUse.nativeGroup("rocksdb:low")).isEqualTo("rocksdb");
        assertThat(CpuUse.nativeGroup("C2 CompilerThre")).isEqualTo("jit");
        assertThat(CpuUse.nativeGroup("G1 Conc#0")).isEqualTo("gc");
    }
}
