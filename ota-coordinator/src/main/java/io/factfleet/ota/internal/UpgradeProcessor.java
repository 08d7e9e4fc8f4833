package io.factfleet.ota.internal;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Facts;
import io.factfleet.core.Reducer;
import io.factfleet.core.UpgradeCoordination;
import io.factfleet.ota.OtaMetrics;
import io.factfleet.ota.OtaStores;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds each journal fact into its authority's state and emits what
 * {@link UpgradeCoordination#decide} asks for, signed with the authority's admin key, to the
 * inbound topic. A fact already in the journal or already produced is not produced again; since
 * emissions are deterministic, a retry after a crash (the emitted marker rolled back with the
 * transaction) produces the same fact id, which ingest drops as a duplicate.
 */
public final class UpgradeProcessor implements Processor<String, FactEnvelope, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeProcessor.class);

    private final Reducer reducer;
    private final AdminKeyRing keys;
    private final String actor;
    private final Duration tick;
    private final SpecificAvroSerializer<FactEnvelope> serializer;
    private final OtaMetrics metrics;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, MaintenanceState> states;
    private KeyValueStore<String, FactEnvelope> facts;
    private KeyValueStore<String, Long> emitted;

    public UpgradeProcessor(final Reducer reducer, final AdminKeyRing keys, final String actor, final Duration tick,
                            final SchemaRegistryClient registry, final OtaMetrics metrics) {
        this.reducer = reducer;
        this.keys = keys;
        this.actor = actor;
        this.tick = tick;
        this.serializer = new SpecificAvroSerializer<>(registry);
        this.metrics = metrics;
    }

    @Override
    public void init(final ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.states = context.getStateStore(OtaStores.AUTHORITY_STATE.name());
        this.facts = context.getStateStore(OtaStores.FACTS.name());
        this.emitted = context.getStateStore(OtaStores.EMITTED.name());
        context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::tickAll);
    }

    @Override
    public void process(final Record<String, FactEnvelope> record) {
        if (record.value() == null) {
            return; // a fact pruned by GC: the state keeps what it contributed
        }
        try {
            final FactEnvelope fact = record.value();
            final String authorityId = fact.getBody().getAuthorityId();
            if (!JournalKey.isValidAuthorityId(authorityId)) {
                return;
            }
            final String key = OtaStores.factKey(authorityId, Facts.idHex(fact));
            if (facts.get(key) != null) {
                return;
            }
            facts.put(key, fact);
            final MaintenanceState current = states.get(authorityId);
            final Reducer.Step step = reducer.apply(current == null ? Reducer.empty(authorityId) : current, fact);
            final MaintenanceState next = step instanceof Reducer.Step.Applied applied ? applied.state()
                    : reducer.reduce(authorityId, authorityFacts(authorityId));
            states.put(authorityId, next);
            act(next, context.currentSystemTimeMs());
        } catch (final KafkaException e) {
            throw e;
        } catch (final RuntimeException e) {
            LOG.error("Skipping journal record {}: {}", record.key(), e.toString(), e);
        }
    }

    private void tickAll(final long now) {
        final List<MaintenanceState> all = new ArrayList<>();
        try (KeyValueIterator<String, MaintenanceState> it = states.all()) {
            it.forEachRemaining(kv -> all.add(kv.value));
        }
        for (final MaintenanceState state : all) {
            act(state, now);
        }
    }

    private void act(final MaintenanceState state, final long now) {
        if (state.getUpgrades().isEmpty()) {
            return;
        }
        final Optional<DeviceSigner> signer = keys.signer(state.getAuthorityId(), actor)
                .filter(s -> s.key().keyId().equals(state.getAdminKeyId()));
        if (signer.isEmpty()) {
            metrics.watchedWithoutKey(state.getAuthorityId());
            return;
        }
        for (final UpgradeCoordination.Emission e : UpgradeCoordination.decide(state, now)) {
            final FactEnvelope fact = e.sign(signer.get());
            final String key = OtaStores.factKey(state.getAuthorityId(), Facts.idHex(fact));
            if (facts.get(key) != null || emitted.get(key) != null) {
                continue;
            }
            context.forward(new Record<>(state.getAuthorityId(), serializer.serialize(FactFleetTopics.INBOUND.name(), fact), now));
            emitted.put(key, now);
            metrics.emitted(Facts.kind(fact));
            LOG.info("Authority {}: emitted {} {} ({})", state.getAuthorityId(), Facts.kind(fact), Facts.idHex(fact), e.why());
        }
    }

    private List<FactEnvelope> authorityFacts(final String authorityId) {
        final List<FactEnvelope> all = new ArrayList<>();
        final String prefix = authorityId + "/";
        try (KeyValueIterator<String, FactEnvelope> it = facts.range(prefix, prefix + "\uffff")) {
            while (it.hasNext()) {
                final KeyValue<String, FactEnvelope> kv = it.next();
                all.add(kv.value);
            }
        }
        return all;
    }
}
