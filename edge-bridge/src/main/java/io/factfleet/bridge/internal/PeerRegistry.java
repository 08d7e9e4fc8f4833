package io.factfleet.bridge.internal;

import io.factfleet.bridge.BridgeError;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Per-device state: peer score inputs, the device's rate-limit bucket and its open sessions; plus
 * the global bucket and session count. Bounded: state unused for {@code ttl} is dropped and at most
 * {@code maxCount} devices are kept, the least recently seen evicted first ({@link #cleanup()},
 * run periodically and whenever an insert overflows). A device with an open session is never evicted.
 */
public final class PeerRegistry {
    /** Trust lost per fact the bridge refused for its shape. */
    static final double REJECTED_FACT_PENALTY = 0.02;
    /** Trust lost per undecodable or malformed request. */
    static final double MALFORMED_PENALTY = 0.1;
    /** Trust lost per authentication failure proven to be the device's (replay, wrong authority or device). */
    static final double AUTH_FAILURE_PENALTY = 0.2;
    /** Trust regained per successful request. */
    static final double GOOD_REQUEST_REWARD = 0.005;
    /** Weight of the newest batch in the success rate. */
    static final double SUCCESS_ALPHA = 0.2;
    /** Half-life of the request counts behind {@code load}. */
    static final Duration LOAD_HALF_LIFE = Duration.ofSeconds(60);

    /** The limits the registry enforces. */
    public record Limits(int devicePerSecond, int deviceBurst, int globalPerSecond, int globalBurst, int sessionsPerDevice,
                         int sessionsGlobal, double shedLoadFraction, double shedScoreThreshold, Duration ttl, int maxCount) {
    }

    private final Limits limits;
    private final Clock clock;
    private final Supplier<Bucket> deviceBuckets;
    private final Bucket globalBucket;
    private final ConcurrentMap<String, Peer> peers = new ConcurrentHashMap<>();
    private final AtomicInteger globalSessions = new AtomicInteger();
    private final AtomicLong evicted = new AtomicLong();
    private final DecayingCount globalLoad = new DecayingCount();

    public PeerRegistry(final Limits limits, final Clock clock, final TimeMeter bucketTime) {
        this.limits = limits;
        this.clock = clock;
        this.deviceBuckets = () -> Bucket.builder().withCustomTimePrecision(bucketTime)
                .addLimit(l -> l.capacity(limits.deviceBurst()).refillGreedy(limits.devicePerSecond(), Duration.ofSeconds(1))).build();
        this.globalBucket = Bucket.builder().withCustomTimePrecision(bucketTime)
                .addLimit(l -> l.capacity(limits.globalBurst()).refillGreedy(limits.globalPerSecond(), Duration.ofSeconds(1))).build();
    }

    public static String key(final String authorityId, final String deviceId) {
        return authorityId + "/" + deviceId;
    }

    /** One device's state. Methods are thread-safe. */
    public final class Peer {
        private final String key;
        private final Bucket bucket = deviceBuckets.get();
        private final AtomicInteger sessions = new AtomicInteger();
        private final DecayingCount load = new DecayingCount();
        private volatile long lastSeenMillis = clock.millis();
        private double trust = 1.0;
        private double successRate = 1.0;

        private Peer(final String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public synchronized PeerScore score() {
            final long now = clock.millis();
            final double global = globalLoad.value(now);
            return new PeerScore(trust, successRate, global <= 0 ? 0 : load.value(now) / global);
        }

        public synchronized void penalize(final double amount) {
            trust = Math.max(0, trust - amount);
        }

        synchronized void reward() {
            trust = Math.min(1, trust + GOOD_REQUEST_REWARD);
        }

        /** Records a batch's outcome: {@code good} of {@code submitted} facts accepted or already known. */
        public synchronized void recordBatch(final int submitted, final int good) {
            if (submitted <= 0) {
                return;
            }
            successRate = (1 - SUCCESS_ALPHA) * successRate + SUCCESS_ALPHA * ((double) good / submitted);
            penalize(REJECTED_FACT_PENALTY * (submitted - good));
        }

        public int sessions() {
            return sessions.get();
        }

        long lastSeenMillis() {
            return lastSeenMillis;
        }
    }

    /** An admitted request; {@link #close()} (idempotent) ends it. */
    public final class Session implements AutoCloseable {
        private final Peer peer;
        private final java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);

        private Session(final Peer peer) {
            this.peer = peer;
        }

        public Peer peer() {
            return peer;
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                peer.sessions.decrementAndGet();
                globalSessions.decrementAndGet();
                peer.lastSeenMillis = clock.millis();
            }
        }
    }

    /** The device's state, created on first sight; marks it seen. */
    public Peer peer(final String key) {
        Peer peer = peers.get(key);
        if (peer == null) {
            final Peer created = new Peer(key);
            peer = peers.putIfAbsent(key, created);
            if (peer == null) {
                peer = created;
                if (peers.size() > limits.maxCount()) {
                    cleanup();
                }
            }
        }
        peer.lastSeenMillis = clock.millis();
        return peer;
    }

    /** Takes a token from the global bucket. @throws ApiException 429 RATE_LIMITED */
    public void consumeGlobal() {
        consume(globalBucket, "the bridge's global request rate (" + limits.globalPerSecond() + "/s)");
    }

    /**
     * Admits one request of {@code peer}: a token from its bucket, then a session slot under the
     * per-device and global caps; near the global cap, devices scoring below the threshold are shed.
     *
     * @throws ApiException 429 RATE_LIMITED, 503 TOO_MANY_SESSIONS or 503 SHED_UNDER_LOAD
     */
    public Session admit(final Peer peer, final int retryAfterSeconds) {
        consume(peer.bucket, "device " + peer.key() + "'s request rate (" + limits.devicePerSecond() + "/s)");
        final long now = clock.millis();
        synchronized (peer) {
            peer.load.add(now);
        }
        globalLoad.add(now);
        final int global = globalSessions.incrementAndGet();
        if (global > limits.sessionsGlobal()) {
            globalSessions.decrementAndGet();
            throw ApiException.of(BridgeError.TOO_MANY_SESSIONS, "the bridge has " + limits.sessionsGlobal()
                    + " sessions open, its limit; retry later").retryAfter(retryAfterSeconds);
        }
        if (global > limits.shedLoadFraction() * limits.sessionsGlobal()) {
            final double score = peer.score().value();
            if (score < limits.shedScoreThreshold()) {
                globalSessions.decrementAndGet();
                throw ApiException.of(BridgeError.SHED_UNDER_LOAD, String.format("the bridge is near its session limit and serves "
                        + "devices scoring at least %.2f first; this device scores %.2f (trust, success rate, load); retry later",
                        limits.shedScoreThreshold(), score)).retryAfter(retryAfterSeconds * 5);
            }
        }
        if (peer.sessions.incrementAndGet() > limits.sessionsPerDevice()) {
            peer.sessions.decrementAndGet();
            globalSessions.decrementAndGet();
            throw ApiException.of(BridgeError.TOO_MANY_SESSIONS, "device " + peer.key() + " already has " + limits.sessionsPerDevice()
                    + " requests open, its limit; finish one first").retryAfter(retryAfterSeconds);
        }
        peer.reward();
        return new Session(peer);
    }

    /** Takes a token from {@code bucket}. @throws ApiException 429 RATE_LIMITED with the seconds until a token is back */
    static void consume(final Bucket bucket, final String what) {
        final ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            final int seconds = (int) Math.max(1, Duration.ofNanos(probe.getNanosToWaitForRefill()).toSeconds()
                    + (probe.getNanosToWaitForRefill() % 1_000_000_000L == 0 ? 0 : 1));
            throw ApiException.of(BridgeError.RATE_LIMITED, "over " + what + "; retry in " + seconds + " s").retryAfter(seconds);
        }
    }

    /**
     * Drops peers unseen for the TTL, then, above the maximum count, the least recently seen; peers
     * with open sessions stay.
     */
    public synchronized void cleanup() {
        final long cutoff = clock.millis() - limits.ttl().toMillis();
        final int before = peers.size();
        peers.values().removeIf(p -> p.sessions() == 0 && p.lastSeenMillis() < cutoff);
        if (peers.size() > limits.maxCount()) {
            final List<Peer> idle = new ArrayList<>(peers.values().stream().filter(p -> p.sessions() == 0).toList());
            idle.sort(Comparator.comparingLong(Peer::lastSeenMillis));
            for (int i = 0; i < idle.size() && peers.size() > limits.maxCount(); i++) {
                peers.remove(idle.get(i).key(), idle.get(i));
            }
        }
        evicted.addAndGet(Math.max(0, before - peers.size()));
    }

    public int size() {
        return peers.size();
    }

    public int sessions() {
        return globalSessions.get();
    }

    public long evictedCount() {
        return evicted.get();
    }

    /** Whether state for this device is kept (tests, diagnostics). */
    public boolean contains(final String key) {
        return peers.containsKey(key);
    }

    /** A count of events decaying with {@link #LOAD_HALF_LIFE}; callers synchronize. */
    private static final class DecayingCount {
        private double value;
        private long atMillis = Long.MIN_VALUE;

        synchronized void add(final long now) {
            value = value(now) + 1;
            atMillis = now;
        }

        synchronized double value(final long now) {
            if (atMillis == Long.MIN_VALUE) {
                return 0;
            }
            return value * Math.pow(0.5, Math.max(0, now - atMillis) / (double) LOAD_HALF_LIFE.toMillis());
        }
    }
}
