package io.factfleet.core;

import io.factfleet.schema.state.FormerMember;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RetiredAdmin;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import io.factfleet.schema.state.RosterEpoch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads rosters and identity epochs out of a {@link MaintenanceState}.
 *
 * <p>A state keeps its roster chain in O(devices + roster changes): one {@link RosterEpoch} header
 * per epoch, the current {@code roster} (each entry with the epoch it joined), and the
 * {@link FormerMember}s that left. {@link #at} derives the full roster of any epoch from those.
 */
public final class Rosters {
    private Rosters() {
    }

    /** The header of {@code epoch}, if the authority reached it. */
    public static Optional<RosterEpoch> header(final MaintenanceState state, final long epoch) {
        final List<RosterEpoch> epochs = state.getRosterEpochs();
        // Epochs run 0, 1, 2, ... without gaps, so the header of epoch e is at index e.
        if (epoch < 0 || epoch >= epochs.size()) {
            return Optional.empty();
        }
        final RosterEpoch header = epochs.get((int) epoch);
        return header.getEpoch() == epoch ? Optional.of(header) : Optional.empty();
    }

    /**
     * The roster at {@code epoch}. At the current epoch its member list is the state's own
     * {@code roster} list (not a copy): read it, do not modify it.
     */
    public static Optional<RosterAtEpoch> at(final MaintenanceState state, final long epoch) {
        return header(state, epoch).map(h -> new RosterAtEpoch(h.getEpoch(), h.getThreshold(), membersAt(state, epoch), h.getAdminKeyId(),
                h.getAdminPublicKey(), h.getCauseFactId()));
    }

    /** The members rostered at {@code epoch}, in device-id order. */
    public static List<RosterEntry> membersAt(final MaintenanceState state, final long epoch) {
        if (epoch == state.getIdentityEpoch()) {
            return state.getRoster();
        }
        final List<RosterEntry> members = new ArrayList<>();
        for (final RosterEntry m : state.getRoster()) {
            if (m.getSinceEpoch() <= epoch) {
                members.add(m);
            }
        }
        for (final FormerMember f : state.getFormerMembers()) {
            if (f.getSinceEpoch() <= epoch && epoch < f.getUntilEpoch()) {
                members.add(new RosterEntry(f.getDeviceId(), f.getKeyId(), f.getPublicKey(), f.getSinceEpoch()));
            }
        }
        members.sort(Comparator.comparing(RosterEntry::getDeviceId));
        return members;
    }

    public static RosterEntry memberByKeyId(final List<RosterEntry> members, final String keyId) {
        for (final RosterEntry member : members) {
            if (member.getKeyId().equals(keyId)) {
                return member;
            }
        }
        return null;
    }

    /** The retirement of {@code keyId} as an admin key, if it was ever replaced. */
    public static Optional<RetiredAdmin> retirement(final MaintenanceState state, final String keyId) {
        for (final RetiredAdmin retired : state.getRetiredAdmins()) {
            if (retired.getKeyId().equals(keyId)) {
                return Optional.of(retired);
            }
        }
        return Optional.empty();
    }

    /**
     * Every key that was ever on an authority's roster, by key id, with the epochs it was rostered: finds the
     * member holding a key at any epoch in O(1) in the roster's size, where {@link #at} and
     * {@link #memberByKeyId} scan it. Built once per roster state (O(devices + former members)) and
     * read-only after, so one index serves every fact admitted against that state.
     */
    public static final class KeyIndex {
        /** A key's time on the roster: from {@code entry.sinceEpoch} to {@code untilEpoch} (exclusive). */
        private record Span(RosterEntry entry, long untilEpoch) {
        }

        private final Map<String, List<Span>> spans;

        private KeyIndex(final Map<String, List<Span>> spans) {
            this.spans = spans;
        }

        /** The index of {@code state}'s current roster and former members. */
        public static KeyIndex of(final MaintenanceState state) {
            final Map<String, List<Span>> spans = new HashMap<>((state.getRoster().size() + state.getFormerMembers().size()) * 2);
            for (final RosterEntry m : state.getRoster()) {
                spans.computeIfAbsent(m.getKeyId(), k -> new ArrayList<>(1)).add(new Span(m, Long.MAX_VALUE));
            }
            for (final FormerMember f : state.getFormerMembers()) {
                spans.computeIfAbsent(f.getKeyId(), k -> new ArrayList<>(1))
                        .add(new Span(new RosterEntry(f.getDeviceId(), f.getKeyId(), f.getPublicKey(), f.getSinceEpoch()), f.getUntilEpoch()));
            }
            return new KeyIndex(spans);
        }

        /** The member holding {@code keyId} at {@code epoch} (an epoch the state has reached), or null. */
        public RosterEntry memberAt(final String keyId, final long epoch) {
            final List<Span> held = spans.get(keyId);
            if (held != null) {
                for (final Span span : held) {
                    if (span.entry().getSinceEpoch() <= epoch && epoch < span.untilEpoch()) {
                        return span.entry();
                    }
                }
            }
            return null;
        }
    }

    /** Who may sign a fact at an epoch: a member, the admin of that epoch, or an admin not yet retired. */
    public sealed interface Signer permits Member, Admin, Unknown, RetiredAdminSigner {
    }

    public record Member(RosterEntry entry) implements Signer {
    }

    public record Admin(String keyId, byte[] publicKey) implements Signer {
    }

    public record Unknown() implements Signer {
    }

    public record RetiredAdminSigner(RetiredAdmin retired) implements Signer {
    }

    /**
     * Resolves the signer of a fact at {@code epoch}. A replaced admin key remains valid for epochs
     * before the replacement's activation epoch and is refused at or after it.
     */
    public static Signer signerAt(final MaintenanceState state, final RosterAtEpoch roster, final String keyId, final long epoch) {
        return signerAt(state, memberByKeyId(roster.getMembers(), keyId), roster.getAdminKeyId(), roster.getAdminPublicKey(), keyId, epoch);
    }

    /**
     * {@link #signerAt(MaintenanceState, RosterAtEpoch, String, long)} with the member found in {@code keys}
     * (O(1) in the roster's size) and the admin read from the epoch's header: what ingest asks per fact.
     */
    public static Signer signerAt(final MaintenanceState state, final RosterEpoch header, final KeyIndex keys, final String keyId) {
        final long epoch = header.getEpoch();
        return signerAt(state, keys.memberAt(keyId, epoch), header.getAdminKeyId(), header.getAdminPublicKey(), keyId, epoch);
    }

    private static Signer signerAt(final MaintenanceState state, final RosterEntry member, final String adminKeyId,
                                   final java.nio.ByteBuffer adminPublicKey, final String keyId, final long epoch) {
        final Optional<RetiredAdmin> retired = retirement(state, keyId);
        if (retired.isPresent() && epoch >= retired.get().getActivationEpoch()) {
            return new RetiredAdminSigner(retired.get());
        }
        if (member != null) {
            return new Member(member);
        }
        if (adminKeyId.equals(keyId)) {
            return new Admin(keyId, Canonical.array(adminPublicKey));
        }
        if (retired.isPresent()) {
            // A retired admin before its activation epoch: find its key in the chain.
            for (final RosterEpoch earlier : state.getRosterEpochs()) {
                if (earlier.getAdminKeyId().equals(keyId)) {
                    return new Admin(keyId, Canonical.array(earlier.getAdminPublicKey()));
                }
            }
        }
        return new Unknown();
    }
}
