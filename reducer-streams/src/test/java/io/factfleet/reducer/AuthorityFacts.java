package io.factfleet.reducer;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.schema.DeviceEnrolled;
import io.factfleet.schema.DeviceEnrolment;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Signed facts of one authority for the reducer's tests: a genesis and a rival genesis, application
 * facts at epoch 0, two certified enrolments competing for epoch 0 to 1, facts at epoch 1 that wait
 * for whichever enrolment wins, and a fact at an epoch no roster reaches.
 */
final class AuthorityFacts {
    static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.fromSeed(Hashing.sha256("operator".getBytes(StandardCharsets.UTF_8)));

    final String authorityId;
    final FactEnvelope genesis;
    /** A second genesis for the same authority; whichever sorts first wins, so tests that need one roster leave it out (or null it). */
    FactEnvelope rivalGenesis;
    final List<FactEnvelope> epochZero = new ArrayList<>();
    final List<FactEnvelope> rosterChanges = new ArrayList<>();
    final List<FactEnvelope> epochOneAndLater = new ArrayList<>();
    /** Facts a test adds (in {@link #all()} too); empty as created. */
    final List<FactEnvelope> extra = new ArrayList<>();
    /** The genesis roster's devices (they sign the application facts) and the admin. */
    final List<DeviceSigner> devices = new ArrayList<>();
    DeviceSigner admin;

    private AuthorityFacts(final String authorityId, final FactEnvelope genesis) {
        this.authorityId = authorityId;
        this.genesis = genesis;
    }

    static AuthorityFacts create(final String authorityId) {
        final AuthorityGenesis g = AuthorityGenesis.generate(authorityId, 4, 2);
        final AuthorityFacts facts = new AuthorityFacts(authorityId, g.genesisFact(OPERATOR));
        final AtomicLong now = new AtomicLong(1_000);
        final LongSupplier clock = now::incrementAndGet;
        final List<DeviceSigner> devices = facts.devices;
        for (int i = 0; i < 4; i++) {
            devices.add(new DeviceSigner(authorityId, g.deviceIds().get(i), g.deviceKeys().get(i), clock));
        }
        final DeviceSigner admin = new DeviceSigner(authorityId, "admin", g.adminKey(), clock);
        facts.admin = admin;

        facts.rivalGenesis = AuthorityGenesis.generate(authorityId, 2, 1).genesisFact(OPERATOR);
        for (int i = 0; i < 6; i++) {
            facts.epochZero.add(devices.get(i % 4).journalEntry(0, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        facts.epochZero.add(devices.get(1).cacheInvalidated(0, List.of("c1", "c2"), 3));
        facts.epochZero.add(devices.get(2).cacheInvalidated(0, List.of("c1"), 5));
        facts.epochZero.add(devices.get(1).deviceMetadata(0, List.of(new InstalledPackage("fw", 1L)), "auto"));
        facts.epochZero.add(devices.get(1).deviceMetadata(0, List.of(new InstalledPackage("fw", 2L)), "auto"));

        final Ed25519Keys.SigningKey newcomerKey = Ed25519Keys.generate();
        final DeviceEnrolment newcomer = new DeviceEnrolment(authorityId, 0L, "newcomer", ByteBuffer.wrap(newcomerKey.publicKey()), null);
        facts.rosterChanges.add(admin.sign(0, new DeviceEnrolled(newcomer,
                ThresholdCertificates.of(newcomer, List.of(g.deviceKeys().get(0), g.deviceKeys().get(2))))));
        final DeviceEnrolment rival = new DeviceEnrolment(authorityId, 0L, "rival", ByteBuffer.wrap(Ed25519Keys.generate().publicKey()), 3);
        facts.rosterChanges.add(admin.sign(0, new DeviceEnrolled(rival,
                ThresholdCertificates.of(rival, List.of(g.deviceKeys().get(1), g.deviceKeys().get(3))))));

        facts.epochOneAndLater.add(new DeviceSigner(authorityId, "newcomer", newcomerKey, clock).journalEntry(1, "n".getBytes(StandardCharsets.UTF_8),
                "1".getBytes(StandardCharsets.UTF_8)));
        facts.epochOneAndLater.add(devices.get(2).cacheInvalidated(1, List.of("c3"), 7));
        facts.epochOneAndLater.add(devices.get(0).journalEntry(1, "k".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8)));
        facts.epochOneAndLater.add(devices.get(0).journalEntry(5, "future".getBytes(StandardCharsets.UTF_8), "1".getBytes(StandardCharsets.UTF_8)));
        return facts;
    }

    /** Every fact, the genesis first, then in the order written above, then {@link #extra}. */
    List<FactEnvelope> all() {
        final List<FactEnvelope> all = new ArrayList<>();
        all.add(genesis);
        if (rivalGenesis != null) {
            all.add(rivalGenesis);
        }
        all.addAll(epochZero);
        all.addAll(rosterChanges);
        all.addAll(epochOneAndLater);
        all.addAll(extra);
        return all;
    }

    /** Every fact but the rival genesis: the roster is the genesis's, so both enrolments are certified. */
    List<FactEnvelope> withOneGenesis() {
        final List<FactEnvelope> all = all();
        all.remove(rivalGenesis);
        return all;
    }

    /** The journal key of a fact: {@code <authorityId>/<factIdHex>}. */
    static String key(final FactEnvelope fact) {
        return fact.getBody().getAuthorityId() + "/" + Facts.idHex(fact);
    }
}
