package io.factfleet.ota.internal;

import io.factfleet.contracts.AuthorityEntries;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AdminKeyRing;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Facts;
import io.factfleet.core.KeyedState;
import io.factfleet.core.Reducer;
import io.factfleet.core.UpgradeCoordination;
import io.factfleet.ota.OtaMetrics;
import io.factfleet.ota.OtaStores;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RolloutStatus;
import io.factfleet.schema.state.UpgradeState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds each journal fact into its authority's {@link KeyedState} entries and emits what
 * {@link UpgradeCoordination#decide} asks for, signed with the authority's admin key, to the
 * inbound topic. A fact already in the journal or already produced is not produced again; since
 * emissions are deterministic, a retry after a crash (the emitted marker rolled back with the
 * transaction) produces the same fact id, which ingest drops as a duplicate.
 *
 * <p>A fold reads and writes only the entries its fact touches, so its cost does not grow with the
 * authority. Deciding needs the finished state (wave membership, READY counts), which is O(devices) to
 * materialize, so it is not done per fact: the authorities that folded a fact are decided every
 * {@link #DECIDE_EVERY} (a 10,000-device rollout brings hundreds of READYs a second), each round for at
 * most {@link #DECIDE_BUDGET} (100 large authorities rolling out at once wait their turn), and on each tick
 * those whose wave timeout is due. An authority without upgrades is decided from its header alone. A decision
 * is a pure function of the state, so deciding later decides on more facts, never differently for the same facts.
 */
public final class UpgradeProcessor implements Processor<String, FactEnvelope, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeProcessor.class);
    /** How long a folded fact may wait for its authority to be decided (when the coordinator is not saturated). */
    public static final Duration DECIDE_EVERY = Duration.ofMillis(200);
    /** How long one round of decisions (or of a tick) may materialize before the rest wait for the next one. */
    static final Duration DECIDE_BUDGET = Duration.ofMillis(50);
    /** Delay of the one-off punctuation that moves states of the old one-record layout into entries. */
    static final Duration MIGRATE_AFTER = Duration.ofMillis(100);

    private final Reducer reducer;
    private final AdminKeyRing keys;
    private final String actor;
    private final Duration tick;
    private final SpecificAvroSerializer<FactEnvelope> serializer;
    private final OtaMetrics metrics;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> entries;
    private KeyValueStore<String, MaintenanceState> legacy;
    private KeyValueStore<String, FactEnvelope> facts;
    private KeyValueStore<String, Long> emitted;
    /** Authorities that folded a fact since they were last decided (in memory: a restart re-decides every authority at its first tick). */
    private final Set<String> dirty = new LinkedHashSet<>();
    /** Authorities whose last decided state had no upgrade in progress: ticks skip them until they fold a fact. */
    private final Set<String> idle = new java.util.HashSet<>();
    /** Per authority with an upgrade in progress: when its open wave times out, from its last decided state (MAX_VALUE: never). */
    private final java.util.Map<String, Long> deadlines = new java.util.HashMap<>();
    private Cancellable migration;

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
        this.entries = context.getStateStore(OtaStores.AUTHORITY_ENTRIES.name());
        this.legacy = context.getStateStore(OtaStores.LEGACY_AUTHORITY_STATE.name());
        this.facts = context.getStateStore(OtaStores.FACTS.name());
        this.emitted = context.getStateStore(OtaStores.EMITTED.name());
        context.schedule(DECIDE_EVERY, PunctuationType.WALL_CLOCK_TIME, this::decideChanged);
        context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::tickAll);
        this.migration = context.schedule(MIGRATE_AFTER, PunctuationType.WALL_CLOCK_TIME, now -> {
            migration.cancel();
            migrateAll();
        });
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
            migrate(authorityId);
            final AuthorityEntries.Buffered buffered = new AuthorityEntries.Buffered(AuthorityEntries.of(entries, authorityId));
            final Reducer.Step step = KeyedState.apply(reducer, buffered, authorityId, fact);
            if (step instanceof Reducer.Step.NeedsRefold) {
                final List<FactEnvelope> all = authorityFacts(authorityId);
                all.add(fact);
                KeyedState.replace(buffered, reducer.reduce(authorityId, all));
            }
            facts.put(key, fact);
            buffered.flush();
            dirty.add(authorityId);
            idle.remove(authorityId);
        } catch (final KafkaException e) {
            throw e;
        } catch (final RuntimeException e) {
            LOG.error("Skipping journal record {}: {}", record.key(), e.toString(), e);
        }
    }

    /**
     * Decides the authorities that folded a fact since the last call, oldest first, for at most {@link #DECIDE_BUDGET}
     * (at least one): when many large authorities change at once, the rest wait for the next round instead of holding
     * the stream thread.
     */
    private void decideChanged(final long now) {
        final long stopAt = System.nanoTime() + DECIDE_BUDGET.toNanos();
        final java.util.Iterator<String> it = dirty.iterator();
        while (it.hasNext()) {
            final String authorityId = it.next();
            it.remove();
            decide(authorityId, now);
            if (System.nanoTime() >= stopAt) {
                break;
            }
        }
    }

    /**
     * Decides the authorities whose open wave's timeout is due: what fires a timeout when no fact arrives. Those not
     * decided since this instance started are decided too (within the budget; the rest at the next ticks); an authority
     * with nothing in progress, or a deadline still ahead, is skipped until it folds a fact again.
     */
    private void tickAll(final long now) {
        final long stopAt = System.nanoTime() + DECIDE_BUDGET.toNanos();
        for (final String authorityId : AuthorityEntries.authorities(entries)) {
            final Long deadline = deadlines.get(authorityId);
            if (idle.contains(authorityId) || dirty.contains(authorityId) || deadline != null && deadline > now) {
                continue;
            }
            decide(authorityId, now);
            if (System.nanoTime() >= stopAt) {
                return;
            }
        }
    }

    /**
     * Whether an upgrade of the finished {@code state} may still need an emission: not activated, or rolling, and neither
     * cancelled nor refused (which {@link UpgradeCoordination#decide} skips).
     */
    static boolean inProgress(final MaintenanceState state) {
        for (final UpgradeState u : state.getUpgrades()) {
            if (u.getProblem() == null && u.getRolloutState() != RolloutStatus.CANCELLED
                    && (!u.getActivated() || u.getRolloutState() == RolloutStatus.ROLLING)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Decides one authority: from its header alone when it has no upgrade (nothing to emit), else from its materialized
     * state; then remembers whether anything is in progress and when its next timeout is due.
     */
    private void decide(final String authorityId, final long now) {
        try {
            final MaintenanceState header = KeyedState.headerOf(AuthorityEntries.readOnly(entries, authorityId));
            if (header == null) {
                return;
            }
            if (header.getUpgrades().isEmpty()) {
                settle(authorityId, null);
                return;
            }
            final MaintenanceState state = AuthorityEntries.state(entries, authorityId);
            act(state, now);
            settle(authorityId, state);
        } catch (final KafkaException e) {
            throw e;
        } catch (final RuntimeException e) {
            LOG.error("Could not decide authority {}: {}", authorityId, e.toString(), e);
        }
    }

    private void settle(final String authorityId, final MaintenanceState decided) {
        if (decided == null || !inProgress(decided)) {
            idle.add(authorityId);
            deadlines.remove(authorityId);
            return;
        }
        idle.remove(authorityId);
        long next = Long.MAX_VALUE;
        for (final UpgradeState u : decided.getUpgrades()) {
            next = Math.min(next, UpgradeCoordination.nextDeadline(u));
        }
        deadlines.put(authorityId, next);
    }

    /** Moves every state of the old one-record layout into entries. */
    private void migrateAll() {
        final List<String> ids = new ArrayList<>();
        try (KeyValueIterator<String, MaintenanceState> it = legacy.all()) {
            it.forEachRemaining(kv -> ids.add(kv.key));
        }
        ids.forEach(this::migrate);
        if (!ids.isEmpty()) {
            LOG.info("Moved the state of {} authorities from {} into {}", ids.size(), OtaStores.LEGACY_AUTHORITY_STATE.name(),
                    OtaStores.AUTHORITY_ENTRIES.name());
        }
    }

    /** The authority's state in the old layout, if any, becomes its entries (before anything folds onto them). */
    private void migrate(final String authorityId) {
        final MaintenanceState old = legacy.get(authorityId);
        if (old == null) {
            return;
        }
        final KeyedState.Entries into = AuthorityEntries.of(entries, authorityId);
        if (!KeyedState.exists(into)) {
            KeyedState.replace(into, old);
        }
        legacy.delete(authorityId);
        dirty.add(authorityId);
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
