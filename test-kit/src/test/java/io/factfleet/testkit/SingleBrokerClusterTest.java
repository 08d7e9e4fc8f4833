package io.factfleet.testkit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SingleBrokerClusterTest {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.singleBroker();

    @Test
    void aRecordProducedToATopicIsConsumedBack() throws Exception {
        KAFKA.createTopic("greetings", 2, 1, Map.of("cleanup.policy", "compact"));

        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(KAFKA.producerProps(), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("greetings", "k", "hello")).get();
        }

        final List<ConsumerRecord<String, String>> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(KAFKA.consumerProps("greetings-reader"),
            new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("greetings"));
            Await.until("the record is consumed", Duration.ofSeconds(30), () -> {
                consumer.poll(Duration.ofMillis(100)).forEach(received::add);
                return !received.isEmpty();
            });
        }
        assertThat(received).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("k");
            assertThat(record.value()).isEqualTo("hello");
        });
    }

    @Test
    void topicsAreNotAutoCreated() {
        try (var admin = KAFKA.admin()) {
            assertThat(KAFKA.brokerIds()).containsExactly(0);
            assertThat(KAFKA.cluster().defaultReplicationFactor()).isEqualTo(1);
            Await.until("cluster lists one live broker", () -> admin.describeCluster().nodes().get().size() == 1);
        }
        assertThatThrownBy(() -> KAFKA.createTopic("too-replicated", 1, 2, Map.of()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("exceeds");
    }
}
