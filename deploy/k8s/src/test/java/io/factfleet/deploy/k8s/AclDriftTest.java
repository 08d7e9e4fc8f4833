package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.ServiceAcls;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.api.Test;

/** Each KafkaUser's ACLs are ServiceAcls' for its service, and an ACL that drifts from them is reported. */
class AclDriftTest {
    /** Each service's Kafka user and the bindings ServiceAcls gives its principal under its default application id. */
    static Map<String, List<AclBinding>> expected() {
        final Map<String, List<AclBinding>> expected = new LinkedHashMap<>();
        for (final FactFleetWorkload w : FactFleetWorkload.values()) {
            expected.put(w.kafkaUser(), ServiceAcls.of(w.service(), "User:" + w.kafkaUser()));
        }
        return expected;
    }

    static List<KafkaUser> baseUsers() {
        return ManifestTree.ofKind(ManifestTree.base(), KafkaUser.class);
    }

    @Test
    void everyServiceHasItsOwnUser() {
        assertThat(expected()).hasSize(ServiceAcls.Service.values().length);
    }

    @Test
    void theBaseUsersHaveServiceAclsExactly() {
        assertThat(AclDrift.between(expected(), baseUsers())).isEmpty();
    }

    @Test
    void anOperationServiceAclsDoesNotGrantIsReported() {
        final List<KafkaUser> users = copy(baseUsers());
        final KafkaUser bridge = users.stream().filter(u -> u.getMetadata().getName().equals("factfleet-edge-bridge")).findFirst().orElseThrow();
        ((KafkaUserAuthorizationSimple) bridge.getSpec().getAuthorization()).getAcls().get(0).setOperations(List.of(AclOperation.WRITE, AclOperation.READ));
        assertThat(AclDrift.between(expected(), users)).containsExactly(
                "factfleet-edge-bridge: not in ServiceAcls (pattern=ResourcePattern(resourceType=TOPIC, name=factfleet.facts.inbound, patternType=LITERAL), "
                        + "entry=(principal=User:factfleet-edge-bridge, host=*, operation=READ, permissionType=ALLOW))");
    }

    @Test
    void aMissingRuleIsReported() {
        final List<KafkaUser> users = copy(baseUsers());
        final KafkaUser reducer = users.stream().filter(u -> u.getMetadata().getName().equals("factfleet-reducer")).findFirst().orElseThrow();
        ((KafkaUserAuthorizationSimple) reducer.getSpec().getAuthorization()).getAcls().remove(0);
        assertThat(AclDrift.between(expected(), users)).containsExactly(
                "factfleet-reducer: missing (pattern=ResourcePattern(resourceType=GROUP, name=factfleet-reducer, patternType=LITERAL), "
                        + "entry=(principal=User:factfleet-reducer, host=*, operation=READ, permissionType=ALLOW))");
    }

    private static List<KafkaUser> copy(final List<KafkaUser> users) {
        final var serialization = ManifestTree.serialization();
        final List<KafkaUser> copy = new ArrayList<>();
        users.forEach(u -> copy.add(serialization.clone(u)));
        return copy;
    }
}
