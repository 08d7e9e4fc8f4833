package io.factfleet.deploy.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.factfleet.contracts.FactFleetTopics;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The overlays as Kustomize renders them pass every check the base passes, with their own replication: the patches
 * and generators of an overlay are Kustomize's to apply, so the rendered output is what is checked. Needs kubectl (for
 * its built-in Kustomize; no cluster): skipped where there is none, and the base's tests still run.
 */
class OverlaysTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"local, 1", "production, 3"})
    void theRenderedOverlayPassesEveryCheck(final String overlay, final int topicReplicas) {
        final Optional<Path> kubectl = RenderedOverlay.kubectl();
        assumeTrue(kubectl.isPresent(), "kubectl is not on the PATH: the overlays are not rendered");
        final List<HasMetadata> rendered = RenderedOverlay.render(kubectl.get(), ManifestTree.OVERLAYS.resolve(overlay));

        final List<String> unknown = new ArrayList<>();
        rendered.forEach(r -> UnknownFields.of(r).forEach(f -> unknown.add(r.getKind() + " " + r.getMetadata().getName() + ": " + f)));
        assertThat(unknown).isEmpty();
        assertThat(rendered).allSatisfy(r -> assertThat(ManifestTreeTest.KINDS).contains(r.getClass()));
        assertThat(WorkloadChecks.problems(rendered, WorkloadChecksTest.version())).isEmpty();
        assertThat(TopicDrift.between(FactFleetTopics.all(), TopicDriftTest.partitions(), topicReplicas,
                ManifestTree.ofKind(rendered, KafkaTopic.class))).isEmpty();
        assertThat(AclDrift.between(AclDriftTest.expected(), ManifestTree.ofKind(rendered, KafkaUser.class))).isEmpty();
        // Everything in the one namespace, where Strimzi's Topic and User Operators watch the Kafka cluster's resources.
        assertThat(rendered).filteredOn(r -> !(r instanceof Namespace))
                .allSatisfy(r -> assertThat(r.getMetadata().getNamespace()).as(r.getKind() + " " + r.getMetadata().getName()).isEqualTo("factfleet"));
        // More instances of a Streams application than partitions would leave the extra ones idle.
        assertThat(ManifestTree.ofKind(rendered, StatefulSet.class))
                .allSatisfy(s -> assertThat(s.getSpec().getReplicas()).as(s.getMetadata().getName()).isLessThanOrEqualTo(TopicDriftTest.partitions()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"local, true", "production, false"})
    void onlyTheLocalOverlayBringsItsOwnKafkaCluster(final String overlay, final boolean ownCluster) {
        final Optional<Path> kubectl = RenderedOverlay.kubectl();
        assumeTrue(kubectl.isPresent(), "kubectl is not on the PATH: the overlays are not rendered");
        final List<Kafka> clusters = ManifestTree.ofKind(RenderedOverlay.render(kubectl.get(), ManifestTree.OVERLAYS.resolve(overlay)), Kafka.class);
        if (ownCluster) {
            assertThat(clusters).singleElement().satisfies(k -> {
                assertThat(k.getMetadata().getName()).isEqualTo("factfleet");
                // The listener and authorization the base's clients and KafkaUsers expect.
                assertThat(k.getSpec().getKafka().getListeners()).anySatisfy(l -> {
                    assertThat(l.getPort()).isEqualTo(9093);
                    assertThat(l.isTls()).isTrue();
                    assertThat(l.getAuth().getType()).isEqualTo("scram-sha-512");
                });
                assertThat(k.getSpec().getKafka().getAuthorization().getType()).isEqualTo("simple");
            });
        } else {
            assertThat(clusters).isEmpty();
        }
    }
}
