package io.factfleet.ingest.internal;

import io.factfleet.core.FactAdmission;
import io.factfleet.core.Snapshots;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The writer fence of snapshot proposals, kept in two changelogged stores so that it survives a
 * restart or a task migration: the open fence per authority, and the facts it holds, in arrival order.
 *
 * <p>While an authority's fence is open, every new fact of the authority is held except the open
 * proposal's own facts (approvals, completion, abort), roster changes (an identity epoch advance aborts
 * the proposal, so it must get through) and other proposals (refused with a reason). A <em>pending</em>
 * fence follows a proposal refused as STALE_PREFIX: it holds new facts so that the recomputed proposal
 * finds the journal where it left it.
 */
final class WriterFence {
    /** One authority's fence. */
    record Fence(String authorityId, String proposalId, String factId, boolean pending, long openedAtMillis, long nextSeq, long held) {
    }

    /** Receives a released fact: its original record timestamp and bytes. */
    interface Release {
        void accept(long timestamp, byte[] value);
    }

    private final KeyValueStore<String, byte[]> fences;
    private final KeyValueStore<String, byte[]> held;

    /**
     * The fences of this task's authorities, mirroring the fence store (read once when the processor starts; every
     * write goes through here), so that the common case, an authority with no fence, costs no store read per fact.
     */
    private final java.util.Map<String, Fence> open = new java.util.HashMap<>();

    WriterFence(final KeyValueStore<String, byte[]> fences, final KeyValueStore<String, byte[]> held) {
        this.fences = fences;
        this.held = held;
        try (KeyValueIterator<String, byte[]> it = fences.all()) {
            it.forEachRemaining(kv -> open.put(kv.key, decode(kv.key, kv.value)));
        }
    }

    Fence of(final String authorityId) {
        return open.get(authorityId);
    }

    private static Fence decode(final String authorityId, final byte[] bytes) {
        final String[] f = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        return new Fence(authorityId, f[0], f[1], Boolean.parseBoolean(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]));
    }

    private void put(final Fence fence) {
        fences.put(fence.authorityId(), String.join("\n", fence.proposalId(), fence.factId(), Boolean.toString(fence.pending()),
                Long.toString(fence.openedAtMillis()), Long.toString(fence.nextSeq()), Long.toString(fence.held())).getBytes(StandardCharsets.UTF_8));
        open.put(fence.authorityId(), fence);
    }

    /** Opens (or turns a pending fence into an open) fence for a proposal; facts already held stay held, in order. */
    void open(final String authorityId, final String proposalId, final String factId, final boolean pending, final long now) {
        final Fence before = of(authorityId);
        put(new Fence(authorityId, proposalId, factId, pending, now, before == null ? 0 : before.nextSeq(), before == null ? 0 : before.held()));
    }

    /** Whether a fact gets past a fence to be decided now rather than held. */
    static boolean passes(final Fence fence, final FactEnvelope fact) {
        final Object payload = fact.getBody().getPayload();
        if (payload instanceof SnapshotProposed || FactAdmission.isRosterFact(fact)) {
            return true;
        }
        return !fence.pending() && Snapshots.belongsTo(fact, fence.proposalId());
    }

    /** Whether an admitted fact ends the open proposal (its completion or abort). */
    static boolean closes(final Fence fence, final FactEnvelope fact) {
        final Object payload = fact.getBody().getPayload();
        return (payload instanceof SnapshotCompleted || payload instanceof SnapshotAborted) && Snapshots.belongsTo(fact, fence.proposalId());
    }

    void hold(final Fence fence, final long timestamp, final byte[] value) {
        held.put(heldKey(fence.authorityId(), fence.nextSeq()), ByteBuffer.allocate(8 + value.length).putLong(timestamp).put(value).array());
        put(new Fence(fence.authorityId(), fence.proposalId(), fence.factId(), fence.pending(), fence.openedAtMillis(), fence.nextSeq() + 1,
                fence.held() + 1));
    }

    /** Removes the fence, then hands its held facts to {@code release} in arrival order (they may meet a new fence). */
    void lift(final String authorityId, final Release release) {
        fences.delete(authorityId);
        open.remove(authorityId);
        final List<KeyValue<String, byte[]>> entries = new ArrayList<>();
        final String prefix = authorityId + "/";
        try (KeyValueIterator<String, byte[]> it = held.range(prefix, prefix + Character.MAX_VALUE)) {
            it.forEachRemaining(entries::add);
        }
        for (final KeyValue<String, byte[]> entry : entries) {
            held.delete(entry.key);
        }
        for (final KeyValue<String, byte[]> entry : entries) {
            final ByteBuffer b = ByteBuffer.wrap(entry.value);
            final long timestamp = b.getLong();
            final byte[] value = new byte[b.remaining()];
            b.get(value);
            release.accept(timestamp, value);
        }
    }

    /** Fences opened more than {@code maxMillis} ago. */
    List<Fence> expired(final long now, final long maxMillis) {
        final List<Fence> expired = new ArrayList<>();
        for (final Fence f : open.values()) {
            if (now - f.openedAtMillis() > maxMillis) {
                expired.add(f);
            }
        }
        return expired;
    }

    private static String heldKey(final String authorityId, final long seq) {
        final String digits = Long.toString(seq);
        return authorityId + "/" + "0".repeat(Math.max(0, 20 - digits.length())) + digits;
    }
}
