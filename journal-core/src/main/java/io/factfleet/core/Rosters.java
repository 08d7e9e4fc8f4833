package io.factfleet.core;

import io.factfleet.schema.state.MaintenanceState;
import io.factfleet.schema.state.RetiredAdmin;
import io.factfleet.schema.state.RosterAtEpoch;
import io.factfleet.schema.state.RosterEntry;
import java.util.List;
import java.util.Optional;

/** Reads rosters and identity epochs out of a {@link MaintenanceState}. */
public final class Rosters {
    private Rosters() {
    }

    public static Optional<RosterAtEpoch> at(final MaintenanceState state, final long epoch) {
        for (final RosterAtEpoch roster : state.getRosterHistory()) {
            if (roster.getEpoch() == epoch) {
                return Optional.of(roster);
            }
        }
        return Optional.empty();
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
            // A retired admin before its activation epoch: find its key in the history.
            for (final RosterAtEpoch earlier : state.getRosterHistory()) {
                if (earlier.getAdminKeyId().equals(keyId)) {
                    return new Admin(keyId, Canonical.array(earlier.getAdminPublicKey()));
                }
            }
        }
        return new Unknown();
    }
}
