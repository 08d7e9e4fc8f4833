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
public final class FactPool {
    static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.fromSeed(Hashing.sha256("operator".getBytes()));

    public final AuthorityGenesis genesis;
    public final List<FactEnvelope> facts = new ArrayList<>();

    private FactPool(final AuthorityGenesis genesis) {
        this.genesis = genesis;
    }

    public static FactPool build(final long seed) {
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
        // Steps an operator took, attributed: folded like plain transitions, with who acted.
        f.add(admin.sign(0, new io.factfleet.schema.OperatorRolloutTransition(
                new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.PAUSE, "maintenance"), "alice")));
        f.add(admin.sign(0, new io.factfleet.schema.OperatorRolloutTransition(
                new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.RESUME, null), "bob")));
        f.add(d2.sign(0, new io.factfleet.schema.OperatorRolloutTransition(
                new io.factfleet.schema.RolloutTransition("up-2", 0, io.factfleet.schema.RolloutAction.CANCEL, null), "mallory"))); // not admin
        f.add(admin.sign(0, new UpgradeActivated("up-2", "app", 5L, 2L)));
        // An upgrade an operator proposed through the coordinator: folded like any proposal, with who proposed it.
        final UpgradeMetadata attributed = new UpgradeMetadata(a, "up-3", "cfg", 1L, ByteBuffer.wrap(Hashing.sha256(new byte[] {3})), 3L,
                UpgradeKind.SOFT, null, Long.MAX_VALUE, new RolloutPlan(List.of(), false));
        f.add(admin.sign(0, new io.factfleet.schema.OperatorUpgradeProposal(new UpgradeProposed(attributed,
                ThresholdCertificates.of(attributed, List.of(g.deviceKeys().get(1), g.deviceKeys().get(2)))), "carol")));
        f.add(d2.readiness(0, "up-3", "cfg", 1, ReadinessStatus.READY, null));

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

    /** Devices in a large pool's genesis, and in each of its competing bulk enrolments. */
    static final int LARGE_GENESIS = 600;
    static final int LARGE_BATCH_A = 500;
    static final int LARGE_BATCH_B = 450;

    /**
     * A site-sized authority (600 devices at genesis, 1,100 after a bulk enrolment) for the same
     * properties: two certified bulk batches compete for epoch 0 -> 1, a batch with a duplicate key
     * and one with too few signatures are ignored, devices of either batch sign at epoch 1 (valid only
     * for the winner's), a bulk removal moves to epoch 2, removed devices' facts at epoch 0 stay valid
     * while theirs at epoch 2 are refused, and a staged rollout and a snapshot round run over the
     * large roster.
     */
    public static FactPool large(final long seed) {
        final Random random = new Random(seed);
        final java.util.function.Function<String, Ed25519Keys.SigningKey> key =
                name -> Ed25519Keys.fromSeed(Hashing.sha256((seed + "/" + name).getBytes()));
        final String a = "site-" + seed;
        final java.util.Map<String, Ed25519Keys.SigningKey> devices = new java.util.LinkedHashMap<>();
        for (int i = 0; i < LARGE_GENESIS; i++) {
            devices.put(a + "-d" + i, key.apply("d" + i));
        }
        final AuthorityGenesis g = AuthorityGenesis.of(a, devices, key.apply("admin"), 3);
        final FactPool pool = new FactPool(g);
        final List<FactEnvelope> f = pool.facts;
        final java.util.function.LongSupplier clock = () -> 1_000 + random.nextInt(50);
        final java.util.function.IntFunction<DeviceSigner> device = i -> new DeviceSigner(a, g.deviceIds().get(i), g.deviceKeys().get(i), clock);
        final DeviceSigner admin = new DeviceSigner(a, "admin", g.adminKey(), clock);
        final List<Ed25519Keys.SigningKey> signers = List.of(g.deviceKeys().get(0), g.deviceKeys().get(1), g.deviceKeys().get(2));
        f.add(g.genesisFact(OPERATOR));

        // Epoch 0: metadata and readiness from many devices, a staged rollout over the roster, a snapshot round.
        for (int i = 0; i < 12; i++) {
            f.add(device.apply(random.nextInt(LARGE_GENESIS)).deviceMetadata(0, List.of(new InstalledPackage("fw", 1L + random.nextInt(3))), "auto"));
            f.add(device.apply(random.nextInt(LARGE_GENESIS)).journalEntry(0, ("k" + i).getBytes(), ("v" + random.nextInt()).getBytes()));
        }
        final io.factfleet.schema.RolloutWave w0 = io.factfleet.schema.RolloutWave.newBuilder().setName("canary").setDevicePercent(1)
                .setSuccessThresholdPercent(50).setErrorThresholdCount(2).setTimeoutMillis(1000L).build();
        final io.factfleet.schema.RolloutWave w1 = io.factfleet.schema.RolloutWave.newBuilder().setName("rest").setDevicePercent(100)
                .setSuccessThresholdPercent(90).setErrorThresholdPercent(5).setTimeoutMillis(0L).build();
        final UpgradeMetadata staged = new UpgradeMetadata(a, "up-site", "fw", 4L, ByteBuffer.wrap(Hashing.sha256(new byte[] {4})), 10L,
                UpgradeKind.SOFT, null, Long.MAX_VALUE, new RolloutPlan(List.of(w0, w1), true));
        f.add(admin.sign(0, new UpgradeProposed(staged, ThresholdCertificates.of(staged, signers))));
        f.add(admin.sign(0, new io.factfleet.schema.RolloutTransition("up-site", 0, io.factfleet.schema.RolloutAction.APPROVE, null)));
        for (int i = 0; i < 8; i++) {
            f.add(device.apply(i).readiness(0, "up-site", "fw", 4, i == 5 ? ReadinessStatus.REJECTED : ReadinessStatus.READY, i == 5 ? "bad hash" : null));
        }
        f.add(admin.sign(0, new io.factfleet.schema.RolloutTransition("up-site", 1, io.factfleet.schema.RolloutAction.OPEN_WAVE, "SUCCESS_THRESHOLD")));
        final byte[] digest = Hashing.sha256(("site-prefix" + seed).getBytes());
        f.add(admin.sign(0, new SnapshotProposed("snap-site", "admin", 0L, ByteBuffer.wrap(digest), 30L)));
        for (int i = 0; i < 4; i++) {
            f.add(device.apply(i).approveSnapshot(0, "snap-site", 0, digest));
        }

        // Two bulk enrolments compete for epoch 0 -> 1 (the smaller fact id wins); batch A also removes 40 devices.
        final List<io.factfleet.schema.RosterMember> enrolA = new ArrayList<>();
        final List<Ed25519Keys.SigningKey> keysA = new ArrayList<>();
        for (int i = 0; i < LARGE_BATCH_A; i++) {
            keysA.add(key.apply("a" + i));
            enrolA.add(new io.factfleet.schema.RosterMember(a + "-a" + i, ByteBuffer.wrap(keysA.get(i).publicKey())));
        }
        final List<String> removeA = new ArrayList<>();
        for (int i = LARGE_GENESIS - 40; i < LARGE_GENESIS; i++) {
            removeA.add(g.deviceIds().get(i));
        }
        final io.factfleet.schema.RosterBatchChange batchA = new io.factfleet.schema.RosterBatchChange(a, 0L, enrolA, removeA, null);
        f.add(admin.sign(0, new io.factfleet.schema.RosterBatchChanged(batchA, ThresholdCertificates.of(batchA, signers))));
        final List<io.factfleet.schema.RosterMember> enrolB = new ArrayList<>();
        for (int i = 0; i < LARGE_BATCH_B; i++) {
            enrolB.add(new io.factfleet.schema.RosterMember(a + "-b" + i, ByteBuffer.wrap(key.apply("b" + i).publicKey())));
        }
        final io.factfleet.schema.RosterBatchChange batchB = new io.factfleet.schema.RosterBatchChange(a, 0L, enrolB, List.of(), 5);
        f.add(admin.sign(0, new io.factfleet.schema.RosterBatchChanged(batchB, ThresholdCertificates.of(batchB,
                List.of(g.deviceKeys().get(3), g.deviceKeys().get(4), g.deviceKeys().get(5))))));
        // A batch with a key twice, and one with too few signatures: both ignored whole.
        final List<io.factfleet.schema.RosterMember> twice = new ArrayList<>(enrolB.subList(0, 10));
        twice.add(new io.factfleet.schema.RosterMember(a + "-twin", enrolB.get(3).getPublicKey()));
        final io.factfleet.schema.RosterBatchChange duplicate = new io.factfleet.schema.RosterBatchChange(a, 0L, twice, List.of(), null);
        f.add(admin.sign(0, new io.factfleet.schema.RosterBatchChanged(duplicate, ThresholdCertificates.of(duplicate, signers))));
        final io.factfleet.schema.RosterBatchChange weak = new io.factfleet.schema.RosterBatchChange(a, 0L, enrolB.subList(0, 5), List.of(), null);
        f.add(admin.sign(0, new io.factfleet.schema.RosterBatchChanged(weak, ThresholdCertificates.of(weak, signers.subList(0, 2)))));

        // Epoch 1: devices of either batch sign (valid only for the winner's), and so does a device batch A removed.
        for (int i = 0; i < 6; i++) {
            f.add(new DeviceSigner(a, a + "-a" + i, keysA.get(i), clock).journalEntry(1, ("a" + i).getBytes(), "1".getBytes()));
            f.add(new DeviceSigner(a, a + "-b" + i, key.apply("b" + i), clock).journalEntry(1, ("b" + i).getBytes(), "1".getBytes()));
        }
        f.add(device.apply(LARGE_GENESIS - 1).journalEntry(1, "removed?".getBytes(), "1".getBytes()));
        // A bulk removal from epoch 1 (valid only if batch A won: it removes batch A's devices) moves to epoch 2.
        final io.factfleet.schema.RosterBatchChange removal = new io.factfleet.schema.RosterBatchChange(a, 1L, List.of(),
                List.of(a + "-a0", a + "-a1", g.deviceIds().get(10), g.deviceIds().get(11)), null);
        f.add(admin.sign(1, new io.factfleet.schema.RosterBatchChanged(removal, ThresholdCertificates.of(removal, signers))));

        // Epoch 2: removed devices are refused; the rest sign on. Epoch 0 facts by removed devices stay valid.
        f.add(new DeviceSigner(a, a + "-a0", keysA.get(0), clock).journalEntry(2, "gone".getBytes(), "1".getBytes()));
        f.add(device.apply(10).journalEntry(2, "gone".getBytes(), "1".getBytes()));
        f.add(new DeviceSigner(a, a + "-a2", keysA.get(2), clock).journalEntry(2, "here".getBytes(), "1".getBytes()));
        f.add(device.apply(11).journalEntry(0, "late".getBytes(), "1".getBytes()));
        f.add(device.apply(LARGE_GENESIS - 2).readiness(0, "up-site", "fw", 4, ReadinessStatus.READY, null));
        return pool;
    }

    /** A verifier that remembers answers: same bits as the real one, much faster in properties. */
    public static final class MemoizingVerifier implements SignatureVerifier {
        private final ConcurrentHashMap<String, Boolean> answers = new ConcurrentHashMap<>();

        @Override
        public boolean verify(final byte[] publicKey, final byte[] message, final byte[] signature) {
            final String key = Hashing.hex(publicKey) + Hashing.hex(Hashing.sha256(message)) + Hashing.hex(signature);
            return answers.computeIfAbsent(key, k -> SignatureVerifier.bouncyCastle().verify(publicKey, message, signature));
        }
    }
}
