package io.factfleet.bridge.internal;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import java.util.ArrayList;
import java.util.List;

/** Rosters of generated authorities, as the reducer would serve them. */
final class TestRosters {
    private TestRosters() {
    }

    static Roster of(final AuthorityGenesis authority, final long epoch) {
        final List<Roster.Member> members = new ArrayList<>();
        for (int i = 0; i < authority.deviceIds().size(); i++) {
            final Ed25519Keys.SigningKey key = authority.deviceKeys().get(i);
            members.add(new Roster.Member(authority.deviceIds().get(i), key.keyId(), key.publicKey()));
        }
        return new Roster(authority.authorityId(), epoch, authority.threshold(), authority.adminKey().keyId(),
                authority.adminKey().publicKey(), List.copyOf(members));
    }

    static Caller caller(final AuthorityGenesis authority, final int device) {
        return new Caller(authority.authorityId(), authority.deviceIds().get(device), authority.deviceKeys().get(device).keyId(), of(authority, 0));
    }
}
