package io.factfleet.deploy;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Facts;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces facts the operator hands in directly (genesis facts signed by the stack's operator key, the demo's
 * facts) to {@code factfleet.facts.inbound}, as a device-side producer would: key = authority id, value =
 * {@code FactEnvelope} through the registry's {@code SpecificAvroSerializer}, {@code acks=all}, idempotent.
 */
final class OperatorFacts {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorFacts.class);

    private OperatorFacts() {
    }

    /**
     * Sends {@code facts} and waits until Kafka acknowledged every one.
     *
     * @param clientId the producer's {@code client.id}
     * @throws IllegalStateException if Kafka did not acknowledge them within 30 s
     */
    static void produce(final Stack stack, final String clientId, final List<FactEnvelope> facts) throws InterruptedException {
        final Map<String, Object> props = new LinkedHashMap<>(stack.kafkaClientConfig());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class.getName());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        final SpecificAvroSerializer<FactEnvelope> values = new SpecificAvroSerializer<>(new HttpSchemaRegistryClient(stack.registryClientConfig()));
        try (KafkaProducer<String, FactEnvelope> producer = new KafkaProducer<>(props, new StringSerializer(), values)) {
            final List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (final FactEnvelope fact : facts) {
                LOG.debug("Operator fact {} ({}) of {}", Facts.idHex(fact), Facts.kind(fact), fact.getBody().getAuthorityId());
                sent.add(producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), fact.getBody().getAuthorityId(), fact)));
            }
            for (final Future<RecordMetadata> ack : sent) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot produce to " + FactFleetTopics.INBOUND.name() + ": " + e, e);
        }
    }
}
