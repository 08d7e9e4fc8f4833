package io.factfleet.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ThreeBrokerClusterTest {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.brokers(3);

    @Test
    void describeClusterReportsThreeBrokers() throws Exception {
        try (Admin admin = KAFKA.admin()) {
            assertThat(admin.describeCluster().nodes().get().stream().map(Node::id).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(0, 1, 2);
        }
        assertThat(KAFKA.brokerIds()).containsExactly(0, 1, 2);
    }

    @Test
    void acksAllWritesSurviveOneStoppedBrokerAndTheBrokerRejoins() throws Exception {
        KAFKA.createTopic("replicated", 3, 3, Map.of());

        KAFKA.stopBroker(2);
        try {
            assertThat(KAFKA.liveBrokerIds()).containsExactlyInAnyOrder(0, 1);
            try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(KAFKA.producerProps(), new StringSerializer(), new StringSerializer())) {
                final RecordMetadata written = producer.send(new ProducerRecord<>("replicated", "k", "v")).get();
                assertThat(written.hasOffset()).isTrue();
            }
        } finally {
            KAFKA.startBroker(2);
        }
        assertThat(KAFKA.liveBrokerIds()).containsExactlyInAnyOrder(0, 1, 2);
    }
}
