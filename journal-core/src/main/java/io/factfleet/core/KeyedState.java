package io.factfleet.core;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.UpgradeProposed;
import io.factfleet.schema.UpgradeReadiness;
import io.factfleet.schema.CacheInvalidated;
import io.factfleet.schema.DeviceMetadata;
import io.factfleet.schema.KeySignature;
import io.factfleet.schema.ThresholdCertificate;
import io.factfleet.schema.state.ApprovalRecord;
import io.factfleet.schema.state.CacheFloor;
import io.factfleet.schema.state.DeviceState;
import io.factfleet.schema.state.FormerMember;
import io.factfleet.schema.state.FormerSpans;
import io.factfleet.schema.state.KeyHolders;
import io.factfleet.schema.state.IgnoredFact;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.ReadinessRecord;
import io.factfleet.schema.state.ReadyReport;
import io.factfleet.schema.state.RosterEntry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.avro.specific.SpecificRecord;

/**
 * An authority's state kept as many small entries instead of one record, so that folding a fact
 * reads and writes only what the fact touches: the header (the state with its per-device sets
 * taken out), the signer's roster entries, and the one device metadata, readiness report, ready
 * report, approval, cache floor or ignored fact the fact adds or replaces. Per-fact cost is then
 * independent of how many devices the authority has; only roster changes read the whole roster.
 *
 * <p>Entries hold raw (unfinished) records: {@link Reducer#foldRaw} folds into a partial state
 * loaded from them, and {@link #materialize} assembles every entry and runs the reducer's finishing
 * pass once, which derives every derived field from the sets. The result is byte-identical to
 * {@link Reducer#reduce} of the same facts (KeyedStateProperties), so digests, snapshots and the
 * device SDK are unchanged.
 *
 * <p>Entry keys, within one authority ({@code \0} separates parts): {@code h} header; {@code r\0device}
 * current roster member; {@code f\0device} the device's former roster spans; {@code k\0keyId} the
 * devices that ever held a key (a fold finds its signer by point lookups, no range scan); {@code d\0device} device metadata; {@code q\0proposal\0device} latest
 * readiness; {@code y\0proposal\0device} earliest READY; {@code a\0proposal\0factId} approval;
 * {@code c\0key} cache floor; {@code i\0factId\0n} ignored fact.
 */
public final class KeyedState {
    /** Where an authority's entries live: a sorted key-value store scoped to one authority. */
    public interface Entries {
        byte[] get(String key);

        void put(String key, byte[] value);

        void delete(String key);

        /** Every entry whose key starts with {@code prefix}, in key order. */
        void scan(String prefix, BiConsumer<String, byte[]> visitor);
    }

    static final String SEP = "\u0000";
    /** The key of the authority's header entry. */
    public static final String HEADER = "h";
    static final String MEMBER = "r" + SEP;
    static final String FORMER = "f" + SEP;
    static final String KEY = "k" + SEP;
    static final String DEVICE = "d" + SEP;
    static final String READINESS = "q" + SEP;
    static final String READY = "y" + SEP;
    static final String APPROVAL = "a" + SEP;
    static final String CACHE = "c" + SEP;
    static final String IGNORED = "i" + SEP;

    private KeyedState() {
    }

    /** The authority's header as stored (its sets empty), or null when it has no entries. */
    public static MaintenanceState headerOf(final Entries entries) {
        final byte[] bytes = entries.get(HEADER);
        return bytes == null ? null : Canonical.decode(bytes, MaintenanceState.class);
    }

    /** Whether the authority has any entry. */
    public static boolean exists(final Entries entries) {
        return entries.get(HEADER) != null;
    }

    /**
     * Folds a fact not yet in the authority's fact set into its entries. On
     * {@link Reducer.Step.NeedsRefold} nothing was written: reduce the full set and {@link #replace}.
     * The {@code Applied} step carries the partial state, not the authority's state.
     */
    public static Reducer.Step apply(final Reducer reducer, final Entries entries, final String authorityId, final FactEnvelope fact) {
        final byte[] headerBytes = entries.get(HEADER);
        final MaintenanceState state = headerBytes == null ? Reducer.empty(authorityId) : Canonical.decode(headerBytes, MaintenanceState.class);
        final Object payload = fact.getBody().getPayload();
        final boolean rosterFact = FactAdmission.isRosterFact(fact);
        if (rosterFact) {
            loadAll(entries, state);
        } else {
            final Set<String> keyIds = new LinkedHashSet<>();
            keyIds.add(fact.getBody().getSignerKeyId());
            if (payload instanceof SnapshotCompleted c) {
                certificateKeys(c.getCertificate(), keyIds);
            } else if (payload instanceof UpgradeProposed u) {
                certificateKeys(u.getCertificate(), keyIds);
            } else if (payload instanceof io.factfleet.schema.OperatorUpgradeProposal u) {
                certificateKeys(u.getProposal().getCertificate(), keyIds);
            }
            loadKeys(entries, state, keyIds);
            final String device = fact.getBody().getDeviceId();
            if (payload instanceof DeviceMetadata) {
                load(entries, DEVICE + device, DeviceState.class, state.getDevices());
            } else if (payload instanceof UpgradeReadiness r) {
                load(entries, READINESS + r.getProposalId() + SEP + device, ReadinessRecord.class, state.getReadiness());
                load(entries, READY + r.getProposalId() + SEP + device, ReadyReport.class, state.getReadyReports());
            } else if (payload instanceof CacheInvalidated invalidated) {
                for (final String key : new LinkedHashSet<>(invalidated.getKeys())) {
                    load(entries, CACHE + key, CacheFloor.class, state.getCacheFloors());
                }
            }
        }
        final int ignoredBefore = state.getIgnored().size();
        final int approvalsBefore = state.getApprovals().size();
        final Reducer.Step step = reducer.foldRaw(state, fact);
        if (step instanceof Reducer.Step.NeedsRefold) {
            return step;
        }
        if (rosterFact) {
            writeRoster(entries, state);
        }
        for (final DeviceState d : state.getDevices()) {
            putIfChanged(entries, DEVICE + d.getDeviceId(), Canonical.bytes(d));
        }
        for (final ReadinessRecord r : state.getReadiness()) {
            putIfChanged(entries, READINESS + r.getProposalId() + SEP + r.getDeviceId(), Canonical.bytes(r));
        }
        for (final ReadyReport r : state.getReadyReports()) {
            putIfChanged(entries, READY + r.getProposalId() + SEP + r.getDeviceId(), Canonical.bytes(r));
        }
        for (final CacheFloor c : state.getCacheFloors()) {
            putIfChanged(entries, CACHE + c.getKey(), Canonical.bytes(c));
        }
        for (final ApprovalRecord a : state.getApprovals().subList(approvalsBefore, state.getApprovals().size())) {
            entries.put(APPROVAL + a.getProposalId() + SEP + a.getFactId(), Canonical.bytes(a));
        }
        for (final IgnoredFact i : state.getIgnored().subList(ignoredBefore, state.getIgnored().size())) {
            putIgnored(entries, i);
        }
        entries.put(HEADER, Canonical.bytes(header(state)));
        return step;
    }

    /** After a roster change: the current roster replaces the old one; former members and key holders only accumulate. */
    private static void writeRoster(final Entries entries, final MaintenanceState state) {
        final Set<String> current = new HashSet<>();
        for (final RosterEntry m : state.getRoster()) {
            current.add(MEMBER + m.getDeviceId());
        }
        final List<String> leaving = new ArrayList<>();
        entries.scan(MEMBER, (key, value) -> {
            if (!current.contains(key)) {
                leaving.add(key);
            }
        });
        leaving.forEach(entries::delete);
        for (final RosterEntry m : state.getRoster()) {
            putIfChanged(entries, MEMBER + m.getDeviceId(), Canonical.bytes(m));
        }
        rosterIndexes(state).forEach((key, value) -> putIfChanged(entries, key, value));
    }

    /** The former-span and key-holder entries of a state's roster chain (both only ever grow). */
    private static Map<String, byte[]> rosterIndexes(final MaintenanceState state) {
        final Map<String, List<FormerMember>> spans = new TreeMap<>();
        final Map<String, Set<String>> holders = new TreeMap<>();
        for (final RosterEntry m : state.getRoster()) {
            holders.computeIfAbsent(m.getKeyId(), k -> new java.util.TreeSet<>()).add(m.getDeviceId());
        }
        for (final FormerMember f : state.getFormerMembers()) {
            spans.computeIfAbsent(f.getDeviceId(), k -> new ArrayList<>()).add(f);
            holders.computeIfAbsent(f.getKeyId(), k -> new java.util.TreeSet<>()).add(f.getDeviceId());
        }
        final Map<String, byte[]> out = new TreeMap<>();
        spans.forEach((device, list) -> {
            list.sort(java.util.Comparator.comparingLong(FormerMember::getSinceEpoch).thenComparing(FormerMember::getKeyId));
            out.put(FORMER + device, Canonical.bytes(new FormerSpans(list)));
        });
        holders.forEach((keyId, devices) -> out.put(KEY + keyId, Canonical.bytes(new KeyHolders(new ArrayList<>(devices)))));
        return out;
    }

    private static void putIfChanged(final Entries entries, final String key, final byte[] value) {
        if (!java.util.Arrays.equals(entries.get(key), value)) {
            entries.put(key, value);
        }
    }

    /** Replaces every entry of the authority with {@code state}'s (after a refold, a hydration from a snapshot, or a roster change). */
    public static void replace(final Entries entries, final MaintenanceState state) {
        final List<String> old = new ArrayList<>();
        entries.scan("", (key, value) -> old.add(key));
        final Map<String, byte[]> next = new TreeMap<>();
        next.put(HEADER, Canonical.bytes(header(state)));
        for (final RosterEntry m : state.getRoster()) {
            next.put(MEMBER + m.getDeviceId(), Canonical.bytes(m));
        }
        next.putAll(rosterIndexes(state));
        for (final DeviceState d : state.getDevices()) {
            next.put(DEVICE + d.getDeviceId(), Canonical.bytes(d));
        }
        for (final ReadinessRecord r : state.getReadiness()) {
            next.put(READINESS + r.getProposalId() + SEP + r.getDeviceId(), Canonical.bytes(r));
        }
        for (final ReadyReport r : state.getReadyReports()) {
            next.put(READY + r.getProposalId() + SEP + r.getDeviceId(), Canonical.bytes(r));
        }
        for (final ApprovalRecord a : state.getApprovals()) {
            next.put(APPROVAL + a.getProposalId() + SEP + a.getFactId(), Canonical.bytes(a));
        }
        for (final CacheFloor c : state.getCacheFloors()) {
            next.put(CACHE + c.getKey(), Canonical.bytes(c));
        }
        final Map<String, Integer> perFact = new java.util.HashMap<>();
        for (final IgnoredFact i : state.getIgnored()) {
            final int n = perFact.merge(i.getFactId(), 1, Integer::sum) - 1;
            next.put(IGNORED + i.getFactId() + SEP + String.format("%08d", n), Canonical.bytes(i));
        }
        for (final String key : old) {
            if (!next.containsKey(key)) {
                entries.delete(key);
            }
        }
        next.forEach((key, value) -> putIfChanged(entries, key, value));
    }

    /** The authority's state, finished: byte-identical to reducing its facts at once. Null when it has no entries. */
    public static MaintenanceState materialize(final Entries entries) {
        final byte[] headerBytes = entries.get(HEADER);
        if (headerBytes == null) {
            return null;
        }
        final MaintenanceState state = Canonical.decode(headerBytes, MaintenanceState.class);
        loadAll(entries, state);
        scanInto(entries, DEVICE, DeviceState.class, state.getDevices());
        scanInto(entries, READINESS, ReadinessRecord.class, state.getReadiness());
        scanInto(entries, READY, ReadyReport.class, state.getReadyReports());
        scanInto(entries, APPROVAL, ApprovalRecord.class, state.getApprovals());
        scanInto(entries, CACHE, CacheFloor.class, state.getCacheFloors());
        // Entry order is the store's byte order; the roster's order is device-id order.
        state.getRoster().sort(java.util.Comparator.comparing(RosterEntry::getDeviceId));
        return Reducer.finished(state);
    }

    /** The current roster entry of {@code deviceId}, read from one entry: O(1) in the roster's size. */
    public static RosterEntry member(final Entries entries, final String deviceId) {
        final byte[] bytes = entries.get(MEMBER + deviceId);
        return bytes == null ? null : Canonical.decode(bytes, RosterEntry.class);
    }

    /** The epoch floor of cache key {@code key} ({@link UpgradeChecks#cacheFloor}), read from one entry: -1 when never invalidated. */
    public static long cacheFloor(final Entries entries, final String key) {
        final byte[] bytes = entries.get(CACHE + key);
        return bytes == null ? -1 : Canonical.decode(bytes, CacheFloor.class).getEpochFloor();
    }

    /** The latest device metadata of {@code deviceId}, read from one entry. */
    public static DeviceState device(final Entries entries, final String deviceId) {
        final byte[] bytes = entries.get(DEVICE + deviceId);
        return bytes == null ? null : Canonical.decode(bytes, DeviceState.class);
    }

    /**
     * The hard forks in force ({@link UpgradeChecks#requiredPackages}), from the header alone: whether a
     * hard fork is activated depends on its proposal, its claims and the identity epoch (all in the
     * header), never on readiness, so finishing the header without its per-device sets derives it as
     * the whole state would. O(upgrades), not O(devices): what the edge needs per session.
     */
    public static List<UpgradeChecks.RequiredPackage> hardForksInForce(final Entries entries) {
        final MaintenanceState header = headerOf(entries);
        return header == null ? List.of() : UpgradeChecks.requiredPackages(Reducer.finished(header));
    }

    /** The state's header as stored: everything but the sets kept as entries. */
    public static MaintenanceState header(final MaintenanceState state) {
        final MaintenanceState h = MaintenanceState.newBuilder(state).build();
        h.setRoster(new ArrayList<>());
        h.setFormerMembers(new ArrayList<>());
        h.setDevices(new ArrayList<>());
        h.setReadiness(new ArrayList<>());
        h.setReadyReports(new ArrayList<>());
        h.setApprovals(new ArrayList<>());
        h.setCacheFloors(new ArrayList<>());
        h.setIgnored(new ArrayList<>());
        return h;
    }

    /** The whole roster chain and every ignored fact: what a roster change and its retry check read. */
    private static void loadAll(final Entries entries, final MaintenanceState state) {
        scanInto(entries, MEMBER, RosterEntry.class, state.getRoster());
        entries.scan(FORMER, (key, value) -> state.getFormerMembers().addAll(Canonical.decode(value, FormerSpans.class).getSpans()));
        scanInto(entries, IGNORED, IgnoredFact.class, state.getIgnored());
    }

    /** The roster entries, current and former, of every device that ever held one of {@code keyIds}. */
    private static void loadKeys(final Entries entries, final MaintenanceState state, final Set<String> keyIds) {
        final Set<String> devices = new LinkedHashSet<>();
        for (final String keyId : keyIds) {
            final byte[] holders = entries.get(KEY + keyId);
            if (holders != null) {
                devices.addAll(Canonical.decode(holders, KeyHolders.class).getDeviceIds());
            }
        }
        final List<RosterEntry> members = new ArrayList<>();
        for (final String device : devices) {
            load(entries, MEMBER + device, RosterEntry.class, members);
            final byte[] spans = entries.get(FORMER + device);
            if (spans != null) {
                state.getFormerMembers().addAll(Canonical.decode(spans, FormerSpans.class).getSpans());
            }
        }
        members.sort(java.util.Comparator.comparing(RosterEntry::getDeviceId));
        state.setRoster(members);
    }

    private static void certificateKeys(final ThresholdCertificate certificate, final Set<String> keyIds) {
        for (final KeySignature signature : certificate.getSignatures()) {
            keyIds.add(signature.getKeyId());
        }
    }

    private static void putIgnored(final Entries entries, final IgnoredFact ignored) {
        final String prefix = IGNORED + ignored.getFactId() + SEP;
        final Set<String> taken = new HashSet<>();
        entries.scan(prefix, (key, value) -> taken.add(key));
        int n = 0;
        while (taken.contains(prefix + String.format("%08d", n))) {
            n++;
        }
        entries.put(prefix + String.format("%08d", n), Canonical.bytes(ignored));
    }

    private static <T extends SpecificRecord> void load(final Entries entries, final String key, final Class<T> type, final List<T> into) {
        final byte[] bytes = entries.get(key);
        if (bytes != null) {
            into.add(Canonical.decode(bytes, type));
        }
    }

    private static <T extends SpecificRecord> void scanInto(final Entries entries, final String prefix, final Class<T> type, final List<T> into) {
        entries.scan(prefix, (key, value) -> into.add(Canonical.decode(value, type)));
    }

    /** Entries in a sorted map, for tests, tools and the device side. */
    public static Entries inMemory(final java.util.NavigableMap<String, byte[]> map) {
        return new Entries() {
            @Override
            public byte[] get(final String key) {
                return map.get(key);
            }

            @Override
            public void put(final String key, final byte[] value) {
                map.put(key, value);
            }

            @Override
            public void delete(final String key) {
                map.remove(key);
            }

            @Override
            public void scan(final String prefix, final BiConsumer<String, byte[]> visitor) {
                for (final Map.Entry<String, byte[]> e : map.tailMap(prefix, true).entrySet()) {
                    if (!e.getKey().startsWith(prefix)) {
                        break;
                    }
                    visitor.accept(e.getKey(), e.getValue());
                }
            }
        };
    }
}
