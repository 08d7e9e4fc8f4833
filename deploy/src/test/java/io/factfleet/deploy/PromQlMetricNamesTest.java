package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlMetricNamesTest {
    @Test
    void functionsLabelsRangesAndKeywordsAreNotMetricNames() {
        assertThat(PromQlMetricNames.of("histogram_quantile(0.99, sum by (le, route) (rate(factfleet_bridge_request_seconds_bucket[$__rate_interval])))"))
                .containsExactly("factfleet_bridge_request_seconds_bucket");
        assertThat(PromQlMetricNames.of("max by (job) (kafka_consumer_fetch_manager_records_lag_max{client_id=~\".*restore-consumer\"})"))
                .containsExactly("kafka_consumer_fetch_manager_records_lag_max");
    }

    @Test
    void everyOperandOfABinaryExpressionIsFound() {
        assertThat(PromQlMetricNames.of("rate(a_total[1m]) + on (job) rate(b_total[1m]) and c"))
                .containsExactly("a_total", "b_total", "c");
    }
}
