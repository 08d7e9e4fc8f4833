package io.factfleet.reducer;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.reducer.internal.LogAndCountDeserializationExceptionHandler;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

class ReducerConfigTest {

    @Test
    void defaultsFillInWhatIsNotGiven() {
        final Properties given = new Properties();
        given.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "2");
        final Properties p = ReducerConfig.of(given).asProperties();

        assertThat(p).containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "factfleet-reducer")
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
                .containsEntry(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "2")
                .containsEntry(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                        LogAndCountDeserializationExceptionHandler.class.getName())
                .containsEntry(ReducerConfig.HTTP_PORT_CONFIG, "8080");
    }

    @Test
    void streamsPropertiesLeaveOutTheHttpAndRegistrySettingsAndCarryTheMetrics() {
        final Properties given = new Properties();
        given.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "kafka:9092");
        given.put(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://registry:8081");
        given.put("basic.auth.user.info", "u:p");
        final ReducerMetrics metrics = new ReducerMetrics();
        final ReducerConfig config = ReducerConfig.of(given);

        final Properties streams = config.streamsProperties(metrics);

        assertThat(streams).containsEntry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "kafka:9092")
                .containsEntry(ReducerMetrics.CONFIG_KEY, metrics)
                .doesNotContainKeys(ReducerConfig.HTTP_PORT_CONFIG, ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, "basic.auth.user.info");
        assertThat(config.serdeConfig()).containsOnlyKeys(ReducerConfig.SCHEMA_REGISTRY_URL_CONFIG, "basic.auth.user.info");
    }

    @Test
    void theAdvertisedServerTakesTheBoundPortWhenNoneIsConfigured() {
        final Properties given = new Properties();
        assertThat(ReducerService.advertised(ReducerConfig.of(given), 41000)).isEqualTo(new HostInfo("localhost", 41000));
        given.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "reducer-1.internal:0");
        assertThat(ReducerService.advertised(ReducerConfig.of(given), 41000)).isEqualTo(new HostInfo("reducer-1.internal", 41000));
        given.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "reducer-1.internal:8080");
        assertThat(ReducerService.advertised(ReducerConfig.of(given), 41000)).isEqualTo(new HostInfo("reducer-1.internal", 8080));
    }
}
