package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.deploy.StackMain;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The KafkaTopic resources are FactFleetTopics.all(), and a topic that drifts from it is reported by name. */
class TopicDriftTest {
    /** Replication in the base and the production overlay: {@code factfleet run} creates topics with min(3, brokers) replicas. */
    static final int REPLICAS = 3;

    /** The partition count {@code factfleet run} creates every FactFleet topic with (its {@code --partitions} default). */
    static int partitions() {
        return Integer.parseInt(StackMain.commandLine().getSubcommands().get("run").getCommandSpec().findOption("--partitions").defaultValue());
    }

    static List<KafkaTopic> baseTopics() {
        return ManifestTree.ofKind(ManifestTree.base(), KafkaTopic.class);
    }

    @Test
    void theBaseTopicsAreFactFleetTopicsExactly() {
        assertThat(baseTopics()).hasSameSizeAs(FactFleetTopics.all());
        assertThat(TopicDrift.between(FactFleetTopics.all(), partitions(), REPLICAS, baseTopics())).isEmpty();
    }

    @Test
    void aTopicWithOtherPartitionsIsReported() {
        final List<KafkaTopic> topics = copy(baseTopics());
        journal(topics).getSpec().setPartitions(12);
        assertThat(TopicDrift.between(FactFleetTopics.all(), partitions(), REPLICAS, topics))
                .containsExactly("factfleet.facts.journal: partitions 12, expected " + partitions());
    }

    @Test
    void aTopicWithAnotherCleanupPolicyIsReported() {
        final List<KafkaTopic> topics = copy(baseTopics());
        journal(topics).getSpec().getConfig().put("cleanup.policy", "delete");
        assertThat(TopicDrift.between(FactFleetTopics.all(), partitions(), REPLICAS, topics)).singleElement().asString()
                .startsWith("factfleet.facts.journal: configs {")
                .contains("cleanup.policy=delete").contains("expected {cleanup.policy=compact");
    }

    @Test
    void aTopicWithAConfigTheContractLacksIsReported() {
        final List<KafkaTopic> topics = copy(baseTopics());
        journal(topics).getSpec().getConfig().put("retention.ms", "1000");
        assertThat(TopicDrift.between(FactFleetTopics.all(), partitions(), REPLICAS, topics)).singleElement().asString()
                .startsWith("factfleet.facts.journal: configs {").contains("retention.ms=1000");
    }

    @Test
    void aMissingTopicAndAnExtraOneAreReported() {
        final List<KafkaTopic> topics = copy(baseTopics());
        final KafkaTopic journal = journal(topics);
        journal.getSpec().setTopicName("factfleet.facts.journal-v2");
        assertThat(TopicDrift.between(FactFleetTopics.all(), partitions(), REPLICAS, topics)).containsExactlyInAnyOrder(
                "factfleet.facts.journal-v2: a KafkaTopic for a topic FactFleetTopics does not declare",
                "factfleet.facts.journal: no KafkaTopic declares it");
    }

    @Test
    void aTopicWithFewerReplicasIsReported() {
        final List<KafkaTopic> topics = copy(baseTopics());
        journal(topics).getSpec().setReplicas(1);
        assertThat(TopicDrift.between(FactFleetTopics.all(), partitions(), REPLICAS, topics))
                .containsExactly("factfleet.facts.journal: replicas 1, expected " + REPLICAS);
    }

    private static KafkaTopic journal(final List<KafkaTopic> topics) {
        return topics.stream().filter(t -> TopicDrift.topicName(t).equals(FactFleetTopics.JOURNAL.name())).findFirst().orElseThrow();
    }

    private static List<KafkaTopic> copy(final List<KafkaTopic> topics) {
        final var serialization = ManifestTree.serialization();
        final List<KafkaTopic> copy = new ArrayList<>();
        topics.forEach(t -> copy.add(serialization.clone(t)));
        return copy;
    }
}
