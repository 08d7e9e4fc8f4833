package io.factfleet.contracts;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The Kafka ACLs each FactFleet service needs, and nothing more: which topics it reads and writes
 * (from {@link FactFleetTopics}), its consumer group, internal topics and transactional ids (all
 * named by its {@code application.id}, as Kafka Streams names them). Declared once, beside the
 * topics, so that {@code factfleet kafka-acls} and the security integration test apply the same
 * list. A principal is {@code User:<name>}; the schema registry's {@code _schemas} topic is named
 * here because it is the registry's only Kafka resource.
 */
public final class ServiceAcls {
    /** The registry's topic (the registry's {@code kafkastore.topic} default). */
    public static final String SCHEMAS_TOPIC = "_schemas";

    /** A service, and the application id its Streams app (if any) runs under by default. */
    public enum Service {
        REGISTRY(null), INGEST("factfleet-ingest"), REDUCER("factfleet-reducer"), SNAPSHOT_COORDINATOR("factfleet-snapshot-coordinator"),
        OTA_COORDINATOR("factfleet-ota-coordinator"), EDGE_BRIDGE(null), CONSOLE(null);

        private final String defaultApplicationId;

        Service(final String defaultApplicationId) {
            this.defaultApplicationId = defaultApplicationId;
        }

        /** The default {@code application.id}, or null for a service that is not a Streams app. */
        public String defaultApplicationId() {
            return defaultApplicationId;
        }
    }

    private ServiceAcls() {
    }

    /** The ACLs {@code service} needs under its default application id. */
    public static List<AclBinding> of(final Service service, final String principal) {
        return of(service, principal, service.defaultApplicationId());
    }

    /**
     * The ACLs {@code service}, authenticated as {@code principal} ({@code User:name}), needs when its
     * Streams app runs under {@code applicationId} (ignored for services that are not Streams apps).
     */
    public static List<AclBinding> of(final Service service, final String principal, final String applicationId) {
        final List<AclBinding> acls = new ArrayList<>();
        final String inbound = FactFleetTopics.INBOUND.name();
        final String journal = FactFleetTopics.JOURNAL.name();
        final String rejected = FactFleetTopics.REJECTED.name();
        final String snapshots = FactFleetTopics.SNAPSHOTS.name();
        final String blobs = FactFleetTopics.SNAPSHOT_BLOBS.name();
        final String requests = FactFleetTopics.SNAPSHOT_REQUESTS.name();
        switch (service) {
            case REGISTRY -> {
                for (final AclOperation op : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE_CONFIGS)) {
                    acls.add(topic(principal, SCHEMAS_TOPIC, op));
                }
            }
            case INGEST -> {
                streamsApp(acls, principal, applicationId);
                acls.add(topic(principal, inbound, AclOperation.READ));
                acls.add(topic(principal, snapshots, AclOperation.READ));
                acls.add(topic(principal, blobs, AclOperation.READ));
                acls.add(topic(principal, journal, AclOperation.WRITE));
                acls.add(topic(principal, rejected, AclOperation.WRITE));
            }
            case REDUCER -> {
                streamsApp(acls, principal, applicationId);
                acls.add(topic(principal, journal, AclOperation.READ));
                acls.add(topic(principal, rejected, AclOperation.READ));
                acls.add(topic(principal, snapshots, AclOperation.READ));
                acls.add(topic(principal, blobs, AclOperation.READ));
            }
            case SNAPSHOT_COORDINATOR -> {
                streamsApp(acls, principal, applicationId);
                acls.add(topic(principal, journal, AclOperation.READ));
                acls.add(topic(principal, rejected, AclOperation.READ));
                acls.add(topic(principal, requests, AclOperation.READ));
                acls.add(topic(principal, requests, AclOperation.WRITE));
                acls.add(topic(principal, snapshots, AclOperation.READ));
                acls.add(topic(principal, blobs, AclOperation.READ));
                acls.add(topic(principal, inbound, AclOperation.WRITE));
                // Garbage collection writes tombstones for pruned facts straight to the journal.
                acls.add(topic(principal, journal, AclOperation.WRITE));
                acls.add(topic(principal, snapshots, AclOperation.WRITE));
                acls.add(topic(principal, blobs, AclOperation.WRITE));
            }
            case OTA_COORDINATOR -> {
                streamsApp(acls, principal, applicationId);
                acls.add(topic(principal, journal, AclOperation.READ));
                acls.add(topic(principal, inbound, AclOperation.WRITE));
            }
            case EDGE_BRIDGE -> acls.add(topic(principal, inbound, AclOperation.WRITE));
            case CONSOLE -> {
                // Lag: every FactFleet group's offsets, the topics' offsets and the records' timestamps.
                acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, "factfleet-", PatternType.PREFIXED), allow(principal, AclOperation.DESCRIBE)));
                acls.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, "factfleet", PatternType.PREFIXED), allow(principal, AclOperation.READ)));
            }
            default -> throw new IllegalArgumentException("no ACLs declared for " + service);
        }
        return List.copyOf(acls);
    }

    /** A Streams app's own resources: its group, its internal topics and its transactional ids, all prefixed by the application id. */
    private static void streamsApp(final List<AclBinding> acls, final String principal, final String applicationId) {
        if (applicationId == null || applicationId.isBlank()) {
            throw new IllegalArgumentException("a Streams service needs its application.id for its ACLs");
        }
        acls.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, applicationId, PatternType.LITERAL), allow(principal, AclOperation.READ)));
        acls.add(new AclBinding(new ResourcePattern(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED), allow(principal, AclOperation.ALL)));
        for (final AclOperation op : List.of(AclOperation.WRITE, AclOperation.DESCRIBE)) {
            acls.add(new AclBinding(new ResourcePattern(ResourceType.TRANSACTIONAL_ID, applicationId + "-", PatternType.PREFIXED), allow(principal, op)));
        }
    }

    private static AclBinding topic(final String principal, final String topic, final AclOperation op) {
        return new AclBinding(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), allow(principal, op));
    }

    private static AccessControlEntry allow(final String principal, final AclOperation op) {
        return new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW);
    }
}
