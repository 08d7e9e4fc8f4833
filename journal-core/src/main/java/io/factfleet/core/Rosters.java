package io.factfleet.core;

import io.factfleet.schema.state.FormerMember;
import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RetiredAdmin;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import io.factfleet.schema.state.RosterEpoch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
        final Optional<RetiredAdmin> retired = retirement(state, keyId);
        if (retired.isPresent() && epoch >= retired.get().getActivationEpoch()) {
            return new RetiredAdminSigner(retired.get());
        }
        final RosterEntry member = memberByKeyId(roster.getMembers(), keyId);
        if (member != null) {
            return new Member(member);
        }
        if (roster.getAdminKeyId().equals(keyId)) {
            return new Admin(keyId, Canonical.array(roster.getAdminPublicKey()));
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
