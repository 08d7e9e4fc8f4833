package io.factfleet.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.ServiceProperties;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class BridgeConfigTest {
    @Test
    void defaultsAreFilledInWhereNothingWasGiven() {
        final BridgeConfig config = BridgeConfig.of(new Properties());

        assertThat(config.httpPort()).isEqualTo(BridgeConfig.DEFAULT_HTTP_PORT);
        assertThat(config.maxBodyBytes()).isEqualTo(1024 * 1024);
        assertThat(config.maxBatchFacts()).isEqualTo(500);
        assertThat(config.authSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.tlsKeystorePath()).isEmpty();
        assertThat(config.reducerUrl()).isEqualTo(BridgeConfig.DEFAULT_REDUCER_URL);
    }

    @Test
    void givenValuesWinOverDefaults() {
        final BridgeConfig config = BridgeConfig.of(Map.of(BridgeConfig.MAX_BATCH_FACTS, 7, BridgeConfig.REDUCER_URL, "http://reducer:9/"));

        assertThat(config.maxBatchFacts()).isEqualTo(7);
        assertThat(config.reducerUrl()).isEqualTo("http://reducer:9");
    }

    @Test
    void severalReducerInstancesAreGivenCommaSeparatedAndABadOneIsRefusedByName() {
        assertThat(BridgeConfig.of(Map.of(BridgeConfig.REDUCER_URL, "http://r0:8080, http://r1:8080")).reducerUrl())
                .isEqualTo("http://r0:8080, http://r1:8080");
        assertThatThrownBy(() -> BridgeConfig.of(Map.of(BridgeConfig.REDUCER_URL, "http://r0:8080,not a url")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(BridgeConfig.REDUCER_URL).hasMessageContaining("comma-separated");
    }

    @Test
    void theEnvironmentOverridesAFileThroughServiceProperties() {
        final Properties layered = ServiceProperties.load(BridgeConfig.defaults(), null, Map.of("FACTFLEET_BRIDGE_HTTP_PORT", "9100"), Map.of());

        assertThat(BridgeConfig.of(layered).httpPort()).isEqualTo(9100);
    }

    @Test
    void theArtifactStoreDirectoryIsUnsetByDefaultAndComesFromTheEnvironment() {
        final Properties layered = ServiceProperties.load(BridgeConfig.defaults(), null, Map.of("FACTFLEET_BRIDGE_ARTIFACTS_DIR", "/srv/artifacts"),
                Map.of());

        assertThat(BridgeConfig.of(Map.of()).artifactsDir()).isEmpty();
        assertThat(BridgeConfig.of(layered).artifactsDir()).hasValue(java.nio.file.Path.of("/srv/artifacts"));
        assertThat(BridgeConfig.of(layered).producerProperties()).doesNotContainKey(BridgeConfig.ARTIFACTS_DIR);
    }

    @Test
    void theArtifactDownloadRateAndCacheHaveDefaultsComeFromTheEnvironmentAndMustBePositive() {
        final Properties layered = ServiceProperties.load(BridgeConfig.defaults(), null,
                Map.of("FACTFLEET_BRIDGE_ARTIFACTS_RATE_DEVICE_PER_SECOND", "3", "FACTFLEET_BRIDGE_ARTIFACTS_AUTHORITY_CACHE_MS", "2000"), Map.of());

        assertThat(BridgeConfig.of(Map.of()).artifactsRateDevicePerSecond()).isEqualTo(BridgeConfig.DEFAULT_ARTIFACTS_RATE_DEVICE_PER_SECOND);
        assertThat(BridgeConfig.of(Map.of()).artifactsAuthorityCacheTtl()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(BridgeConfig.of(layered).artifactsRateDevicePerSecond()).isEqualTo(3);
        assertThat(BridgeConfig.of(layered).artifactsAuthorityCacheTtl()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThatThrownBy(() -> BridgeConfig.of(Map.of(BridgeConfig.ARTIFACTS_RATE_DEVICE_PER_SECOND, "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(BridgeConfig.ARTIFACTS_RATE_DEVICE_PER_SECOND);
    }

    @Test
    void theProducerIsAlwaysIdempotentWithAcksAllAndGetsNoBridgeOrRegistryKeys() {
        final BridgeConfig config = BridgeConfig.of(Map.of("acks", "1", "enable.idempotence", "false", "schema.registry.url", "http://r:1",
                "security.protocol", "SSL"));

        final Map<String, Object> producer = config.producerProperties();

        assertThat(producer).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
                .containsEntry("partitioner.class", AuthorityPartitioner.class.getName()).containsEntry("security.protocol", "SSL");
        assertThat(producer.keySet()).noneMatch(k -> k.startsWith("bridge.") || k.startsWith("schema.registry."));
        assertThat(config.registryProperties()).containsEntry("schema.registry.url", "http://r:1");
    }

    @Test
    void aBadNumberOrATlsKeystoreWithoutPasswordIsAConfigError() {
        assertThatThrownBy(() -> BridgeConfig.of(Map.of(BridgeConfig.MAX_BODY_BYTES, "lots"))).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> BridgeConfig.of(Map.of(BridgeConfig.SESSIONS_GLOBAL, "0"))).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> BridgeConfig.of(Map.of(BridgeConfig.TLS_KEYSTORE_PATH, "/tmp/k.p12"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(BridgeConfig.TLS_KEYSTORE_PASSWORD);
    }
}
