package io.factfleet.ota.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.ota.OtaMetrics;
import io.factfleet.ota.OtaStores;
import io.factfleet.ota.OtaTopology;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutAction;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutTransition;
import io.factfleet.schema.UpgradeActivated;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.state.MaintenanceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The coordinator's fold and decision schedule, on Kafka Streams' test driver with the journal played by the test. */
class UpgradeProcessorTest {
    private static final Duration TICK = Duration.ofSeconds(30);
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();
    private final AuthorityGenesis fleet = AuthorityGenesis.generate("fleet-o", 5, 3);
    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    private final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(registry);
    private final SpecificAvroDeserializer<FactEnvelope> deserializer = new SpecificAvroDeserializer<>(registry, FactEnvelope.class);
    private final UpgradeMetadata soft = UpgradeFacts.metadata(fleet.authorityId(), "soft-1", "fw", 2, new byte[] {1, 2, 3}, UpgradeKind.SOFT,
            null, Long.MAX_VALUE, UpgradeFacts.noWaves());
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> journal;
    private TestOutputTopic<String, byte[]> inbound;

    @BeforeEach
    void start() {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ota-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(OtaTopology.build(registry, AdminKeyRing.of(Map.of(fleet.authorityId(), fleet.adminKey())), "ota",
                TICK, new OtaMetrics()), props);
        journal = driver.createInputTopic(FactFleetTopics.JOURNAL.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
        inbound = driver.createOutputTopic(FactFleetTopics.INBOUND.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private List<FactEnvelope> softForkWithThreeReady() {
        final List<FactEnvelope> facts = new ArrayList<>();
        facts.add(fleet.genesisFact(operator));
        facts.add(UpgradeFacts.propose(fleet, 0, soft));
        for (int i = 0; i < 3; i++) {
            facts.add(fleet.device(i).readiness(0, "soft-1", "fw", 2, ReadinessStatus.READY, null));
        }
        return facts;
    }

    private void admit(final FactEnvelope fact) {
        journal.pipeInput(JournalKey.of(fleet.authorityId(), Facts.idHex(fact)), serializer.serialize(FactFleetTopics.JOURNAL.name(), fact));
    }

    private List<Object> emittedPayloads() {
        final List<Object> out = new ArrayList<>();
        inbound.readValuesToList().forEach(v -> out.add(deserializer.deserialize(FactFleetTopics.INBOUND.name(), v).getBody().getPayload()));
        return out;
    }

    private MaintenanceState folded() {
        final KeyValueStore<String, byte[]> entries = driver.getKeyValueStore(OtaStores.AUTHORITY_ENTRIES.name());
        return AuthorityEntries.state(entries, fleet.authorityId());
    }

    @Test
    void foldedFactsAreDecidedWithinOneDecisionIntervalNotOneByOne() {
        final List<FactEnvelope> facts = softForkWithThreeReady();
        facts.forEach(this::admit);
        // Folded at once, into entries that materialize to what the pure reducer computes from the same facts ...
        assertThat(StateDigest.of(folded())).isEqualTo(StateDigest.of(Reducer.standard().reduce(fleet.authorityId(), facts)));
        // ... and decided later: the third READY is folded, the activation not yet emitted.
        assertThat(emittedPayloads()).isEmpty();
        driver.advanceWallClockTime(UpgradeProcessor.DECIDE_EVERY);
        final List<Object> emitted = emittedPayloads();
        assertThat(emitted).hasSize(1);
        assertThat(emitted.get(0)).isInstanceOfSatisfying(UpgradeActivated.class, a -> assertThat(a.getProposalId()).isEqualTo("soft-1"));
        // Nothing folded since: the next interval decides nothing, so nothing is emitted twice.
        driver.advanceWallClockTime(UpgradeProcessor.DECIDE_EVERY);
        assertThat(emittedPayloads()).isEmpty();
    }

    @Test
    void aFreshCoordinatorDecidingTheSameFactsSignsTheSameFact() {
        final List<FactEnvelope> facts = softForkWithThreeReady();
        facts.forEach(this::admit);
        driver.advanceWallClockTime(UpgradeProcessor.DECIDE_EVERY);
        final List<String> first = new ArrayList<>();
        inbound.readValuesToList().forEach(v -> first.add(Facts.idHex(deserializer.deserialize(FactFleetTopics.INBOUND.name(), v))));
        driver.close();

        // As after a crash that lost the coordinator's state: a new instance folds the same journal and decides again.
        start();
        facts.forEach(this::admit);
        driver.advanceWallClockTime(UpgradeProcessor.DECIDE_EVERY);
        final List<String> again = new ArrayList<>();
        inbound.readValuesToList().forEach(v -> again.add(Facts.idHex(deserializer.deserialize(FactFleetTopics.INBOUND.name(), v))));
        assertThat(first).hasSize(1);
        assertThat(again).isEqualTo(first);
    }

    @Test
    void aWaveTimesOutAtTheTickAfterItsDeadlineAndNotBefore() {
        final UpgradeMetadata slow = UpgradeFacts.metadata(fleet.authorityId(), "slow-1", "fw", 2, new byte[] {7}, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(UpgradeFacts.wave("first", 2, 100, null, 45_000), UpgradeFacts.wave("rest", 3, 100, null, 0)),
                        false));
        admit(fleet.genesisFact(operator));
        admit(UpgradeFacts.propose(fleet, 0, slow));
        driver.advanceWallClockTime(UpgradeProcessor.DECIDE_EVERY);
        assertThat(emittedPayloads()).isEmpty(); // wave 0 open, nobody ready yet, its deadline 45 s away
        driver.advanceWallClockTime(TICK);
        assertThat(emittedPayloads()).isEmpty(); // a tick before the deadline decides nothing
        driver.advanceWallClockTime(TICK);
        assertThat(emittedPayloads()).singleElement().isInstanceOfSatisfying(RolloutTransition.class, t -> {
            assertThat(t.getAction()).isEqualTo(RolloutAction.TIME_OUT);
            assertThat(t.getWaveIndex()).isZero();
        });
    }

    @Test
    void anUpgradeIsInProgressUntilActivatedAndItsRolloutCompleted() {
        final List<FactEnvelope> facts = softForkWithThreeReady();
        final Reducer reducer = Reducer.standard();
        assertThat(UpgradeProcessor.inProgress(reducer.reduce(fleet.authorityId(), facts.subList(0, 1)))).isFalse();
        assertThat(UpgradeProcessor.inProgress(reducer.reduce(fleet.authorityId(), facts))).isTrue();
        final List<FactEnvelope> activated = new ArrayList<>(facts);
        activated.add(fleet.admin().sign(0, new UpgradeActivated("soft-1", "fw", 2L, null)));
        // Activated, and its wave-less rollout still ROLLING until the coordinator completes it.
        assertThat(UpgradeProcessor.inProgress(reducer.reduce(fleet.authorityId(), activated))).isTrue();
        activated.add(fleet.admin().sign(0, new RolloutTransition("soft-1", 0, RolloutAction.COMPLETE, "ACTIVATED")));
        assertThat(UpgradeProcessor.inProgress(reducer.reduce(fleet.authorityId(), activated))).isFalse();
        final UpgradeMetadata rolling = UpgradeFacts.metadata(fleet.authorityId(), "soft-2", "fw", 3, new byte[] {4}, UpgradeKind.SOFT, null,
                Long.MAX_VALUE, new RolloutPlan(List.of(UpgradeFacts.wave("all", 5, 100, null, 0)), false));
        activated.add(UpgradeFacts.propose(fleet, 0, rolling));
        assertThat(UpgradeProcessor.inProgress(reducer.reduce(fleet.authorityId(), activated))).isTrue();
    }

    @Test
    void aStateInTheOneRecordLayoutMovesIntoEntriesOnStartAndIsDecided() {
        final List<FactEnvelope> facts = softForkWithThreeReady();
        final MaintenanceState old = Reducer.standard().reduce(fleet.authorityId(), facts);
        final KeyValueStore<String, MaintenanceState> legacy = driver.getKeyValueStore(OtaStores.LEGACY_AUTHORITY_STATE.name());
        legacy.put(fleet.authorityId(), old);
        assertThat(folded()).isNull();

        driver.advanceWallClockTime(UpgradeProcessor.MIGRATE_AFTER);
        assertThat(legacy.get(fleet.authorityId())).isNull();
        assertThat(StateDigest.of(folded())).isEqualTo(StateDigest.of(old));
        driver.advanceWallClockTime(UpgradeProcessor.DECIDE_EVERY);
        assertThat(emittedPayloads()).singleElement().isInstanceOf(UpgradeActivated.class);

        // A fact folded after the move lands on the moved state, not on an empty one.
        final FactEnvelope late = fleet.device(3).readiness(0, "soft-1", "fw", 2, ReadinessStatus.READY, null);
        admit(late);
        final List<FactEnvelope> all = new ArrayList<>(facts);
        all.add(late);
        assertThat(StateDigest.of(folded())).isEqualTo(StateDigest.of(Reducer.standard().reduce(fleet.authorityId(), all)));
    }
}
