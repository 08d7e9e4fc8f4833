package io.factfleet.deploy.k8s;

import io.factfleet.contracts.Topic;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Where Strimzi {@code KafkaTopic} resources differ from the topic contracts ({@code FactFleetTopics.all()}): a topic
 * missing, one more, a partition count or replication factor other than expected, or configs that are not the
 * contract's configs exactly (a config added, missing or with another value).
 */
final class TopicDrift {
    private TopicDrift() {
    }

    /**
     * @param contracts  the topics as the code declares them
     * @param partitions the partition count every topic is expected to have
     * @param replicas   the replication factor every topic is expected to have
     * @param manifests  the KafkaTopic resources
     * @return one line per difference, naming the topic; empty when there is none
     */
    static List<String> between(final Collection<Topic<?, ?>> contracts, final int partitions, final int replicas,
                                final Collection<KafkaTopic> manifests) {
        final List<String> drift = new ArrayList<>();
        final Map<String, List<KafkaTopic>> byName = manifests.stream().collect(Collectors.groupingBy(TopicDrift::topicName, TreeMap::new, Collectors.toList()));
        final Map<String, Topic<?, ?>> contractByName = contracts.stream().collect(Collectors.toMap(Topic::name, Function.identity()));
        byName.forEach((name, declared) -> {
            if (declared.size() > 1) {
                drift.add(name + ": declared by " + declared.size() + " KafkaTopic resources");
            }
            if (!contractByName.containsKey(name)) {
                drift.add(name + ": a KafkaTopic for a topic FactFleetTopics does not declare");
            }
        });
        for (final Topic<?, ?> contract : contracts) {
            final List<KafkaTopic> declared = byName.get(contract.name());
            if (declared == null) {
                drift.add(contract.name() + ": no KafkaTopic declares it");
                continue;
            }
            final KafkaTopic topic = declared.get(0);
            if (!Objects.equals(topic.getSpec().getPartitions(), partitions)) {
                drift.add(contract.name() + ": partitions " + topic.getSpec().getPartitions() + ", expected " + partitions);
            }
            if (!Objects.equals(topic.getSpec().getReplicas(), replicas)) {
                drift.add(contract.name() + ": replicas " + topic.getSpec().getReplicas() + ", expected " + replicas);
            }
            final Map<String, String> configs = new TreeMap<>();
            if (topic.getSpec().getConfig() != null) {
                topic.getSpec().getConfig().forEach((k, v) -> configs.put(k, String.valueOf(v)));
            }
            final Map<String, String> expected = new TreeMap<>(contract.configs());
            if (!configs.equals(expected)) {
                drift.add(contract.name() + ": configs " + configs + ", expected " + expected);
            }
        }
        return drift;
    }

    /** The Kafka topic a resource manages: {@code spec.topicName}, else the resource's name (as Strimzi reads it). */
    static String topicName(final KafkaTopic topic) {
        final String name = topic.getSpec() == null ? null : topic.getSpec().getTopicName();
        return name == null ? topic.getMetadata().getName() : name;
    }
}
