package io.factfleet.system.reliability;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.registry.client.HttpSchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ingest.RejectedFact;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the journal holds, read from the start to its end with {@code read_committed} (what ingest's transactions
 * committed): how often each journal key occurs, and each authority's facts, reduced by the shared core as a fresh
 * reducer would.
 */
final class JournalAudit {
    /** Journal key to the number of committed records with it (more than 1 is a duplicate). */
    final Map<String, Integer> occurrences;
    /** Authority to its facts, one per distinct key. */
    final Map<String, List<FactEnvelope>> factsByAuthority;

    /** Journal key to the offset of its first committed record (an authority's facts share one partition). */
    final Map<String, Long> offsets;

    /** Journal key to the offset of the fact's first record in the inbound topic: the order ingest took the facts in. */
    final Map<String, Long> inboundOffsets;

    /** Journal key to the reason ingest gave for refusing it (the dead-letter topic), for facts it refused. */
    final Map<String, String> rejected;

    private JournalAudit(final Map<String, Integer> occurrences, final Map<String, Long> offsets, final Map<String, Long> inboundOffsets,
                         final Map<String, List<FactEnvelope>> factsByAuthority, final Map<String, String> rejected) {
        this.occurrences = occurrences;
        this.offsets = offsets;
        this.inboundOffsets = inboundOffsets;
        this.factsByAuthority = factsByAuthority;
        this.rejected = rejected;
    }

    static JournalAudit read(final ReliabilityStack stack) {
        final Map<String, Integer> occurrences = new TreeMap<>();
        final Map<String, List<FactEnvelope>> facts = new TreeMap<>();
        final Map<String, Long> offsets = new HashMap<>();
        final HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(stack.operators.registryClient(stack.registryUrl));
        final SpecificAvroDeserializer<FactEnvelope> decoder = new SpecificAvroDeserializer<>(registry, FactEnvelope.class);
        readToEnd(stack, FactFleetTopics.JOURNAL.name(), r -> {
            if (r.value() == null) {
                return; // a fact pruned by a snapshot: its record stays until compaction (the journal rolls segments hourly)
            }
            if (occurrences.merge(r.key(), 1, Integer::sum) == 1) {
                offsets.put(r.key(), r.offset());
                facts.computeIfAbsent(JournalKey.authorityOf(r.key()), a -> new ArrayList<>())
                        .add(decoder.deserialize(FactFleetTopics.JOURNAL.name(), r.value()));
            }
        });
        final Map<String, Long> inbound = new HashMap<>();
        readToEnd(stack, FactFleetTopics.INBOUND.name(), r -> {
            if (r.key() == null || r.value() == null) {
                return;
            }
            try {
                final FactEnvelope fact = decoder.deserialize(FactFleetTopics.INBOUND.name(), r.value());
                inbound.putIfAbsent(JournalKey.of(r.key(), io.factfleet.core.Facts.idHex(fact)), r.offset());
            } catch (final RuntimeException undecodable) {
                // not one of the load's facts (ingest refuses it with a reason); the order check is about the load's
            }
        });
        final Map<String, String> rejected = new TreeMap<>();
        final SpecificAvroDeserializer<RejectedFact> rejections = new SpecificAvroDeserializer<>(registry, RejectedFact.class);
        readToEnd(stack, FactFleetTopics.REJECTED.name(), r -> {
            final RejectedFact f = rejections.deserialize(FactFleetTopics.REJECTED.name(), r.value());
            rejected.put(f.getAuthorityId() + "/" + f.getFactId(), f.getReasonCode() + ": " + f.getMessage());
        });
        return new JournalAudit(occurrences, offsets, inbound, facts, rejected);
    }

    private static void readToEnd(final ReliabilityStack stack, final String topic,
                                  final java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        final Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(topic + " was not read to its end " + end + " within 120 s");
                }
                consumer.poll(Duration.ofMillis(500)).forEach(each);
            }
        }
    }

    /** Keys in the journal more than once. */
    Map<String, Integer> duplicates() {
        return occurrences.entrySet().stream().filter(e -> e.getValue() > 1).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /** Per authority, the digest of the state the shared core reduces from the journal's facts: a fresh replay. */
    Map<String, String> replayedDigests() {
        final Map<String, String> out = new HashMap<>();
        factsByAuthority.forEach((a, f) -> out.put(a, StateDigest.hex(Reducer.standard().reduce(a, f))));
        return out;
    }
}
