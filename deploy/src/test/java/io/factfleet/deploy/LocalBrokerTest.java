package io.factfleet.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real broker process from Kafka's jars, formatted once and resumed on the same data directory. */
class LocalBrokerTest {
    private static final String TOPIC = "local-broker-test";

    @TempDir
    Path dataDir;

    @Test
    void aRestartedBrokerResumesItsDataWithoutFormattingAgain() throws Exception {
        final LocalBroker.Builder settings = LocalBroker.builder(dataDir.resolve("broker"))
                .logFile(dataDir.resolve("logs/broker.log"))
                .port(FreePorts.next())
                .controllerPort(FreePorts.next());

        final LocalBroker first = settings.build().start();
        final String clusterId;
        try {
            assertThat(first.formattedByLastStart()).isTrue();
            assertThat(dataDir.resolve("broker/logs/meta.properties")).exists();
            clusterId = first.clusterId();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", first.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(first), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(TOPIC, "authority-1", "kept across restarts")).get(30, TimeUnit.SECONDS);
            }
        } finally {
            first.stop();
        }
        assertThat(first.isRunning()).isFalse();

        final LocalBroker second = settings.build().start();
        try {
            assertThat(second.formattedByLastStart()).isFalse();
            assertThat(second.clusterId()).isEqualTo(clusterId);
            assertThat(readAll(second)).containsExactly("authority-1=kept across restarts");
        } finally {
            second.stop();
        }
        assertThat(Files.readString(dataDir.resolve("logs/broker.log"))).contains("Kafka Server started");
    }

    @Test
    void aTakenPortFailsTheStartWithAClearMessage() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(LocalBroker.HOST))) {
            final LocalBroker broker = LocalBroker.builder(dataDir.resolve("broker")).port(taken.getLocalPort()).build();
            assertThatThrownBy(broker::start)
                    .isInstanceOf(BrokerStartException.class)
                    .hasMessageContaining("Port " + taken.getLocalPort() + " for the Kafka listener is already in use");
            assertThat(broker.isRunning()).isFalse();
        }
    }

    private static Properties producerProps(final LocalBroker broker) {
        final Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return p;
    }

    private static List<String> readAll(final LocalBroker broker) {
        final Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "local-broker-test");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (seen.isEmpty() && System.nanoTime() - deadline < 0) {
                for (final ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.key() + "=" + r.value());
                }
            }
        }
        return seen;
    }
}
