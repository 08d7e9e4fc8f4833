package io.factfleet.core;

import io.factfleet.schema.AdminReplacement;
import io.factfleet.schema.AdminReplacementStatement;
import io.factfleet.schema.DeviceEnrolled;
import io.factfleet.schema.DeviceEnrolment;
import io.factfleet.schema.DeviceRemoval;
import io.factfleet.schema.DeviceRemoved;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.SnapshotAborted;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotProposed;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.UpgradeActivated;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A pool of signed facts for one authority that exercises every fact kind and every
 * order-sensitive corner: two certified roster changes competing for the same epoch, facts that
 * wait for an epoch, an admin replacement with facts by the retired admin before and after its
 * activation, approvals with wrong digests, wrong epochs and duplicate keys, readiness reports
 * that overwrite each other, rising cache floors and competing activations.
 */
final class FactPool {
    static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.fromSeed(Hashing.sha256("operator".getBytes()));

    final AuthorityGenesis genesis;
    final List<FactEnvelope> facts = new ArrayList<>();

    private FactPool(final AuthorityGenesis genesis) {
        this.genesis = genesis;
    }

    static FactPool build(final long seed) {
        final Random random = new Random(seed);
        final java.util.function.Function<String, Ed25519Keys.SigningKey> key =
                name -> Ed25519Keys.fromSeed(Hashing.sha256((seed + "/" + name).getBytes()));
        final java.util.Map<String, Ed25519Keys.SigningKey> devices = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            devices.put("auth-" + seed + "-d" + i, key.apply("d" + i));
        }
        final AuthorityGenesis g = AuthorityGenesis.of("auth-" + seed, devices, key.apply("admin"), 2);
        final FactPool pool = new FactPool(g);
        final List<FactEnvelope> f = pool.facts;
        final String a = g.authorityId();
        final java.util.function.LongSupplier clock = () -> 1_000 + random.nextInt(50);
        final DeviceSigner d0 = new DeviceSigner(a, g.deviceIds().get(0), g.deviceKeys().get(0), clock);
        final DeviceSigner d1 = new DeviceSigner(a, g.deviceIds().get(1), g.deviceKeys().get(1), clock);
        final DeviceSigner d2 = new DeviceSigner(a, g.deviceIds().get(2), g.deviceKeys().get(2), clock);
        final DeviceSigner d3 = new DeviceSigner(a, g.deviceIds().get(3), g.deviceKeys().get(3), clock);
        final DeviceSigner admin = new DeviceSigner(a, "admin", g.adminKey(), clock);
        final Ed25519Keys.SigningKey newcomerKey = key.apply("newcomer");
        final Ed25519Keys.SigningKey rivalKey = key.apply("rival");
        final Ed25519Keys.SigningKey newAdmin = key.apply("new-admin");
        final DeviceSigner newcomer = new DeviceSigner(a, "newcomer", newcomerKey, clock);
        final DeviceSigner stranger = new DeviceSigner(a, "stranger", key.apply("stranger"), clock);

        final FactEnvelope first = g.genesisFact(OPERATOR);
        f.add(first);
        // A second genesis for the same authority that sorts after the first: ignored as a duplicate.
        for (int i = 0; ; i++) {
            final FactEnvelope rival = AuthorityGenesis.of(a, java.util.Map.of("r", key.apply("r" + i)), key.apply("r-admin"), 1).genesisFact(OPERATOR);
            if (Facts.idHex(rival).compareTo(Facts.idHex(first)) > 0) {
                f.add(rival);
                break;
            }
        }

        // Epoch 0: application data, cache floors, metadata, an upgrade with readiness, a snapshot round.
        for (int i = 0; i < 4; i++) {
            f.add(d0.journalEntry(0, ("k" + i).getBytes(), ("v" + random.nextInt()).getBytes()));
        }
        f.add(d1.cacheInvalidated(0, List.of("c1", "c2"), 3));
        f.add(d2.cacheInvalidated(0, List.of("c1"), 5));
        f.add(d3.cacheInvalidated(0, List.of("c2"), 1));
        f.add(d1.deviceMetadata(0, List.of(new InstalledPackage("fw", 1L)), "auto"));
        f.add(d1.deviceMetadata(0, List.of(new InstalledPackage("fw", 2L)), "auto"));
        final UpgradeMetadata upgrade = new UpgradeMetadata(a, "up-1", "fw", 2L, ByteBuffer.wrap(Hashing.sha256(new byte[] {9})), 1024L,
                UpgradeKind.SOFT, null, Long.MAX_VALUE, new RolloutPlan(List.of(), false));
        f.add(admin.sign(0, new UpgradeProposed(upgrade, ThresholdCertificates.of(upgrade, List.of(g.deviceKeys().get(0), g.deviceKeys().get(1))))));
        // An upgrade whose certificate has one signer counted twice: ignored.
        final UpgradeMetadata forged = UpgradeMetadata.newBuilder(upgrade).setProposalId("up-forged").build();
        f.add(admin.sign(0, new UpgradeProposed(forged, ThresholdCertificates.of(forged, List.of(g.deviceKeys().get(0), g.deviceKeys().get(0))))));
        f.add(d0.readiness(0, "up-1", "fw", 2, ReadinessStatus.READY, null));
        f.add(d1.readiness(0, "up-1", "fw", 2, ReadinessStatus.NOT_READY, "battery low"));
        f.add(d1.readiness(0, "up-1", "fw", 2, ReadinessStatus.READY, null));
        f.add(d2.readiness(0, "up-1", "fw", 2, ReadinessStatus.REJECTED, "bad hash"));
        f.add(admin.sign(0, new UpgradeActivated("up-1", "fw", 2L, null)));
        f.add(admin.sign(0, new UpgradeActivated("up-0", "fw", 1L, null)));
        // A staged rollout with approval, transitions (some invalid), and a hard fork whose fence is epoch 2.
        final io.factfleet.schema.RolloutWave w0 = io.factfleet.schema.RolloutWave.newBuilder().setName("canary").setDeviceCount(2)
                .setSuccessThresholdPercent(50).setErrorThresholdCount(0).setTimeoutMillis(1000L).build();
        final io.factfleet.schema.RolloutWave w1 = io.factfleet.schema.RolloutWave.newBuilder().setName("rest").setDevicePercent(100)
                .setSuccessThresholdPercent(100).setErrorThresholdPercent(50).setTimeoutMillis(0L).build();
        final UpgradeMetadata staged = new UpgradeMetadata(a, "up-2", "app", 5L, ByteBuffer.wrap(Hashing.sha256(new byte[] {5})), 10L,
                UpgradeKind.HARD, 2L, Long.MAX_VALUE, new RolloutPlan(List.of(w0, w1), true));
        f.add(admin.sign(0, new UpgradeProposed(staged, ThresholdCertificates.of(staged, List.of(g.deviceKeys().get(2), g.deviceKeys().get(3))))));
        f.add(d0.readiness(0, "up-2", "app", 5, ReadinessStatus.READY, null));
        f.add(d3.readiness(0, "up-2", "app", 5, ReadinessStatus.REJECTED, "bad hash"));
        f.add(admin.sign(0, new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.APPROVE, null)));
        f.add(admin.sign(0, new io.factfleet.schema.RolloutTransition("up-2", 1, io.factfleet.schema.RolloutAction.OPEN_WAVE, "SUCCESS_THRESHOLD")));
        f.add(admin.sign(0, new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.PAUSE, null)));
        f.add(admin.sign(0, new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.RESUME, null)));
        f.add(d1.sign(0, new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.CANCEL, null))); // not admin
        f.add(admin.sign(0, new UpgradeActivated("up-2", "app", 5L, 2L)));

        final byte[] digest = Hashing.sha256(("prefix" + seed).getBytes());
        f.add(admin.sign(0, new SnapshotProposed("snap-1", "admin", 0L, ByteBuffer.wrap(digest), 10L)));
        f.add(d0.approveSnapshot(0, "snap-1", 0, digest));
        f.add(d1.approveSnapshot(0, "snap-1", 0, digest));
        f.add(d1.approveSnapshot(0, "snap-1", 0, digest)); // duplicate approver (different issuedAt, so a different fact)
        f.add(d2.approveSnapshot(0, "snap-1", 0, Hashing.sha256(new byte[] {1}))); // wrong digest
        f.add(d3.approveSnapshot(0, "snap-1", 1, digest)); // wrong epoch
        final SnapshotStatement snapshot = new SnapshotStatement(a, "snap-1", 0L, ByteBuffer.wrap(digest));
        f.add(admin.sign(0, new SnapshotCompleted(snapshot, "cid-1", 10L, ThresholdCertificates.of(snapshot,
                List.of(g.deviceKeys().get(0), g.deviceKeys().get(1))))));
        f.add(admin.sign(0, new SnapshotProposed("snap-2", "admin", 0L, ByteBuffer.wrap(digest), 12L)));
        f.add(admin.sign(0, new SnapshotAborted("snap-2", "timed out")));
        f.add(stranger.journalEntry(0, "x".getBytes(), "y".getBytes())); // unrostered signer: ignored

        // Two certified enrolments compete for epoch 0 -> 1: the smaller fact id wins.
        final DeviceEnrolment enrolNewcomer = new DeviceEnrolment(a, 0L, "newcomer", ByteBuffer.wrap(newcomerKey.publicKey()), null);
        f.add(admin.sign(0, new DeviceEnrolled(enrolNewcomer, ThresholdCertificates.of(enrolNewcomer, List.of(g.deviceKeys().get(0), g.deviceKeys().get(2))))));
        final DeviceEnrolment enrolRival = new DeviceEnrolment(a, 0L, "rival", ByteBuffer.wrap(rivalKey.publicKey()), 3);
        f.add(admin.sign(0, new DeviceEnrolled(enrolRival, ThresholdCertificates.of(enrolRival, List.of(g.deviceKeys().get(1), g.deviceKeys().get(3))))));
        // An enrolment with too few signatures: ignored.
        final DeviceEnrolment weak = new DeviceEnrolment(a, 0L, "weak", ByteBuffer.wrap(key.apply("weak").publicKey()), null);
        f.add(admin.sign(0, new DeviceEnrolled(weak, ThresholdCertificates.of(weak, List.of(g.deviceKeys().get(1))))));

        // Epoch 1: facts by the newcomer (valid only if its enrolment won), an admin replacement.
        f.add(newcomer.journalEntry(1, "n".getBytes(), "1".getBytes()));
        f.add(d2.cacheInvalidated(1, List.of("c3"), 7));
        final AdminReplacementStatement replace = new AdminReplacementStatement(a, 1L, g.adminKey().keyId(), ByteBuffer.wrap(newAdmin.publicKey()), 3L);
        f.add(d0.sign(1, new AdminReplacement(replace, ThresholdCertificates.of(replace, List.of(g.deviceKeys().get(0), g.deviceKeys().get(1), g.deviceKeys().get(2))))));

        // Epoch 2: old admin still valid (activation is epoch 3); a removal moves to epoch 3.
        f.add(admin.cacheInvalidated(2, List.of("c1"), 9));
        final DeviceRemoval removal = new DeviceRemoval(a, 2L, g.deviceIds().get(3), null);
        f.add(d1.sign(2, new DeviceRemoved(removal, ThresholdCertificates.of(removal, List.of(g.deviceKeys().get(0), g.deviceKeys().get(1), g.deviceKeys().get(2))))));

        // Epoch 3: the retired admin is refused; the new admin and the removed device's facts.
        f.add(admin.cacheInvalidated(3, List.of("c9"), 11));
        f.add(new DeviceSigner(a, "admin", newAdmin, clock).cacheInvalidated(3, List.of("c4"), 12));
        f.add(d3.journalEntry(3, "gone".getBytes(), "1".getBytes()));
        f.add(d0.journalEntry(3, "k".getBytes(), "3".getBytes()));
        // Epoch 5: ahead of any roster.
        f.add(d0.journalEntry(5, "future".getBytes(), "1".getBytes()));
        return pool;
    }

    /** A verifier that remembers answers: same bits as the real one, much faster in properties. */
    static final class MemoizingVerifier implements SignatureVerifier {
        private final ConcurrentHashMap<String, Boolean> answers = new ConcurrentHashMap<>();

        @Override
        public boolean verify(final byte[] publicKey, final byte[] message, final byte[] signature) {
            final String key = Hashing.hex(publicKey) + Hashing.hex(Hashing.sha256(message)) + Hashing.hex(signature);
            return answers.computeIfAbsent(key, k -> SignatureVerifier.bouncyCastle().verify(publicKey, message, signature));
        }
    }
}
