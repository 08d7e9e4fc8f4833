package io.factfleet.deploy.k8s;

import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Where Strimzi {@code KafkaUser} resources differ from the ACLs the code declares ({@code ServiceAcls}): a user
 * missing or extra, and for each user the ACL bindings only one side has. A Strimzi rule with several operations is
 * several Kafka bindings, one per operation, as {@code ServiceAcls} lists them.
 */
final class AclDrift {
    private AclDrift() {
    }

    /**
     * @param expected  each Kafka user's name and the bindings its principal ({@code User:<name>}) needs
     * @param manifests the KafkaUser resources
     * @return one line per difference, naming the user; empty when there is none
     */
    static List<String> between(final Map<String, List<AclBinding>> expected, final Collection<KafkaUser> manifests) {
        final List<String> drift = new ArrayList<>();
        final Map<String, KafkaUser> byName = new TreeMap<>();
        for (final KafkaUser user : manifests) {
            if (byName.put(user.getMetadata().getName(), user) != null) {
                drift.add(user.getMetadata().getName() + ": declared twice");
            }
        }
        byName.keySet().stream().filter(n -> !expected.containsKey(n)).forEach(n -> drift.add(n + ": a KafkaUser no FactFleet service runs as"));
        expected.forEach((name, bindings) -> {
            final KafkaUser user = byName.get(name);
            if (user == null) {
                drift.add(name + ": no KafkaUser declares it");
                return;
            }
            final Set<String> declared = new TreeSet<>();
            for (final AclBinding b : bindings(user)) {
                if (!declared.add(b.toString())) {
                    drift.add(name + ": declares " + b + " twice");
                }
            }
            final Set<String> wanted = new TreeSet<>();
            bindings.forEach(b -> wanted.add(b.toString()));
            for (final String b : wanted) {
                if (!declared.contains(b)) {
                    drift.add(name + ": missing " + b);
                }
            }
            for (final String b : declared) {
                if (!wanted.contains(b)) {
                    drift.add(name + ": not in ServiceAcls " + b);
                }
            }
        });
        return drift;
    }

    /** The Kafka ACL bindings a KafkaUser's {@code simple} authorization creates for {@code User:<name>}. */
    static List<AclBinding> bindings(final KafkaUser user) {
        final String principal = "User:" + user.getMetadata().getName();
        if (!(user.getSpec().getAuthorization() instanceof KafkaUserAuthorizationSimple simple)) {
            throw new IllegalArgumentException(user.getMetadata().getName() + ": authorization is not of type simple");
        }
        final List<AclBinding> bindings = new ArrayList<>();
        for (final AclRule rule : simple.getAcls()) {
            if (rule.getOperation() != null) {
                throw new IllegalArgumentException(user.getMetadata().getName() + ": the deprecated single `operation`; use `operations`");
            }
            final ResourcePattern pattern = pattern(rule.getResource());
            final AclPermissionType permission = rule.getType() == null || rule.getType() == AclRuleType.ALLOW ? AclPermissionType.ALLOW : AclPermissionType.DENY;
            final String host = rule.getHost() == null ? "*" : rule.getHost();
            for (final AclOperation op : rule.getOperations()) {
                bindings.add(new AclBinding(pattern, new AccessControlEntry(principal, host, kafkaOperation(op), permission)));
            }
        }
        return bindings;
    }

    private static ResourcePattern pattern(final AclRuleResource resource) {
        if (resource instanceof AclRuleTopicResource topic) {
            return new ResourcePattern(ResourceType.TOPIC, topic.getName(), patternType(topic.getPatternType()));
        }
        if (resource instanceof AclRuleGroupResource group) {
            return new ResourcePattern(ResourceType.GROUP, group.getName(), patternType(group.getPatternType()));
        }
        if (resource instanceof AclRuleTransactionalIdResource id) {
            return new ResourcePattern(ResourceType.TRANSACTIONAL_ID, id.getName(), patternType(id.getPatternType()));
        }
        if (resource instanceof io.strimzi.api.kafka.model.user.acl.AclRuleClusterResource) {
            return new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL);
        }
        throw new IllegalArgumentException("an ACL resource of unknown type: " + resource);
    }

    private static PatternType patternType(final AclResourcePatternType type) {
        // Strimzi's default is literal.
        return type == AclResourcePatternType.PREFIX ? PatternType.PREFIXED : PatternType.LITERAL;
    }

    /** Strimzi's operation names are Kafka's without the underscore ({@code DescribeConfigs}, {@code DESCRIBE_CONFIGS}). */
    private static org.apache.kafka.common.acl.AclOperation kafkaOperation(final AclOperation op) {
        for (final org.apache.kafka.common.acl.AclOperation kafka : org.apache.kafka.common.acl.AclOperation.values()) {
            if (kafka.name().replace("_", "").equals(op.name().toUpperCase(Locale.ROOT))) {
                return kafka;
            }
        }
        throw new IllegalArgumentException("no Kafka ACL operation for Strimzi's " + op);
    }
}
