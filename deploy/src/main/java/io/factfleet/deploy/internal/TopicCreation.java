package io.factfleet.deploy.internal;

import io.factfleet.contracts.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the topics a cluster does not have yet, each with its configs, and waits until clients can use them. */
public final class TopicCreation {
    /** Replication factor for a cluster of three brokers or more. */
    public static final int MAX_REPLICATION = 3;
    private static final Logger LOG = LoggerFactory.getLogger(TopicCreation.class);

    private TopicCreation() {
    }

    /**
     * A topic to create if missing.
     *
     * @param name       topic name
     * @param partitions partitions when created
     * @param configs    topic configs when created
     */
    public record Plan(String name, int partitions, Map<String, String> configs) {
        /** Plans for the contracts' topics, each with {@code partitions} partitions. */
        public static List<Plan> of(final Collection<Topic<?, ?>> topics, final int partitions) {
            return topics.stream().map(t -> new Plan(t.name(), partitions, t.configs())).toList();
        }
    }

    /**
     * Creates every planned topic that does not exist, with a replication factor of {@code min(3, brokers)},
     * then waits until every partition of every planned topic has a leader: a topic just created is not yet
     * known to every broker, and a client that asks too early is told it does not exist. Existing topics
     * are left as they are.
     *
     * @return the names of the topics created
     */
    public static List<String> createMissing(final Admin admin, final List<Plan> plans, final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        try {
            final int brokers = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            final short replication = (short) Math.max(1, Math.min(MAX_REPLICATION, brokers));
            final Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            final List<NewTopic> missing = new ArrayList<>();
            for (final Plan plan : plans) {
                if (existing.contains(plan.name())) {
                    LOG.info("Topic {} exists", plan.name());
                } else {
                    missing.add(new NewTopic(plan.name(), plan.partitions(), replication).configs(plan.configs()));
                }
            }
            final List<String> created = new ArrayList<>();
            final Map<String, org.apache.kafka.common.KafkaFuture<Void>> results = admin.createTopics(missing).values();
            for (final NewTopic topic : missing) {
                try {
                    results.get(topic.name()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(topic.name());
                    LOG.info("Created topic {} ({} partition{}, replication factor {}, {})", topic.name(), topic.numPartitions(),
                            topic.numPartitions() == 1 ? "" : "s", replication, topic.configs());
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    LOG.info("Topic {} exists (created concurrently)", topic.name());
                }
            }
            awaitLeaders(admin, plans.stream().map(Plan::name).toList(), deadline, timeout);
            return created;
        } catch (final ExecutionException e) {
            throw new IllegalStateException("cannot create the FactFleet topics: " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IllegalStateException("the cluster did not answer within " + timeout + " while creating the FactFleet topics", e);
        }
    }

    private static void awaitLeaders(final Admin admin, final List<String> names, final long deadline, final Duration timeout)
            throws InterruptedException {
        Exception last = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                final Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (described.values().stream().allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()))) {
                    return;
                }
            } catch (final ExecutionException | TimeoutException e) {
                last = e;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("the topics " + names + " have no leader for every partition after " + timeout, last);
    }
}
