package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.factfleet.bridge.BridgeError;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerRegistryTest {
    private final MutableClock clock = new MutableClock(10_000_000);
    private final TimeMeter bucketTime = new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return clock.millis() * 1_000_000L;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    };

    private PeerRegistry registry(final int deviceBurst, final int globalBurst, final int perDevice, final int global, final int maxCount) {
        return new PeerRegistry(new PeerRegistry.Limits(1, deviceBurst, 10, globalBurst, perDevice, global, 0.9, 0.5,
                Duration.ofMinutes(10), maxCount), clock, bucketTime);
    }

    @Test
    void theScoreWeighsTrustHalfSuccessThreeTenthsAndSpareLoadOneFifth() {
        assertThat(new PeerScore(1, 1, 0).value()).isCloseTo(1.0, within(1e-9));
        assertThat(new PeerScore(1, 1, 1).value()).isCloseTo(0.8, within(1e-9));
        assertThat(new PeerScore(0.4, 0.5, 0.25).value()).isCloseTo(0.5 * 0.4 + 0.3 * 0.5 + 0.2 * 0.75, within(1e-9));
        assertThat(new PeerScore(2, -1, 3).value()).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void rejectedFactsLowerTrustAndTheSuccessRate() {
        final PeerRegistry peers = registry(10, 100, 4, 100, 100);
        final PeerRegistry.Peer peer = peers.peer("a/d0");

        peer.recordBatch(10, 5);

        final PeerScore score = peer.score();
        assertThat(score.trust()).isCloseTo(1 - 5 * PeerRegistry.REJECTED_FACT_PENALTY, within(1e-9));
        assertThat(score.successRate()).isCloseTo(1 - PeerRegistry.SUCCESS_ALPHA * 0.5, within(1e-9));
    }

    @Test
    void loadIsTheDevicesShareOfRecentRequests() {
        final PeerRegistry peers = registry(100, 1000, 100, 1000, 100);
        final PeerRegistry.Peer busy = peers.peer("a/busy");
        final PeerRegistry.Peer quiet = peers.peer("a/quiet");
        for (int i = 0; i < 3; i++) {
            peers.admit(busy, 1).close();
        }
        peers.admit(quiet, 1).close();

        assertThat(busy.score().load()).isCloseTo(0.75, within(1e-9));
        assertThat(quiet.score().load()).isCloseTo(0.25, within(1e-9));
        assertThat(quiet.score().value()).isGreaterThan(busy.score().value());
    }

    @Test
    void aDeviceOverItsBurstIsRateLimitedWithRetryAfter() {
        final PeerRegistry peers = registry(2, 100, 10, 100, 100);
        final PeerRegistry.Peer peer = peers.peer("a/d0");
        peers.admit(peer, 1).close();
        peers.admit(peer, 1).close();

        assertThatThrownBy(() -> peers.admit(peer, 1)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isEqualTo(BridgeError.RATE_LIMITED);
            assertThat(e.retryAfterSeconds()).hasValue(1);
        });
        // Another device is not affected, and the device recovers as its bucket refills.
        peers.admit(peers.peer("a/d1"), 1).close();
        clock.advance(Duration.ofSeconds(1));
        peers.admit(peer, 1).close();
    }

    @Test
    void theGlobalBucketLimitsAllDevicesTogether() {
        final PeerRegistry peers = registry(100, 2, 10, 100, 100);
        peers.consumeGlobal();
        peers.consumeGlobal();

        assertThatThrownBy(peers::consumeGlobal).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error()).isEqualTo(BridgeError.RATE_LIMITED));
    }

    @Test
    void sessionsAreCappedPerDeviceAndOverallAndFreedOnClose() {
        final PeerRegistry peers = registry(100, 100, 2, 3, 100);
        final PeerRegistry.Peer d0 = peers.peer("a/d0");
        final PeerRegistry.Session first = peers.admit(d0, 1);
        peers.admit(d0, 1);

        assertError(() -> peers.admit(d0, 1), BridgeError.TOO_MANY_SESSIONS);
        first.close();
        first.close();
        assertThat(peers.sessions()).isEqualTo(1);
        peers.admit(d0, 1);
        peers.admit(peers.peer("a/d1"), 1);

        assertError(() -> peers.admit(peers.peer("a/d2"), 1), BridgeError.TOO_MANY_SESSIONS);
        assertThat(peers.sessions()).isEqualTo(3);
    }

    @Test
    void nearTheGlobalLimitLowScoredDevicesAreShedAndHighScoredOnesServed() {
        final PeerRegistry peers = registry(100, 100, 10, 10, 100);
        final PeerRegistry.Peer bad = peers.peer("a/bad");
        bad.penalize(1);
        bad.recordBatch(10, 0);
        final PeerRegistry.Peer good = peers.peer("a/good");
        final List<PeerRegistry.Session> open = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            open.add(peers.admit(peers.peer("a/filler" + i), 1));
        }
        open.add(peers.admit(bad, 1));

        assertError(() -> peers.admit(bad, 1), BridgeError.SHED_UNDER_LOAD);
        open.add(peers.admit(good, 1));
        assertThat(peers.sessions()).isEqualTo(10);
    }

    @Test
    void staleIdlePeersAreDroppedAfterTheTtl() {
        final PeerRegistry peers = registry(100, 100, 10, 100, 100);
        peers.peer("a/old");
        final PeerRegistry.Session busy = peers.admit(peers.peer("a/busy"), 1);
        clock.advance(Duration.ofMinutes(11));
        peers.peer("a/new");

        peers.cleanup();

        assertThat(peers.contains("a/old")).isFalse();
        assertThat(peers.contains("a/busy")).isTrue();
        assertThat(peers.contains("a/new")).isTrue();
        assertThat(peers.evictedCount()).isEqualTo(1);
        busy.close();
    }

    @Test
    void overTheMaximumCountTheLeastRecentlySeenAreEvicted() {
        final PeerRegistry peers = registry(100, 100, 10, 100, 3);
        for (int i = 0; i < 3; i++) {
            peers.peer("a/d" + i);
            clock.advance(Duration.ofSeconds(1));
        }
        peers.peer("a/d0");
        clock.advance(Duration.ofSeconds(1));

        peers.peer("a/d3");

        assertThat(peers.size()).isEqualTo(3);
        assertThat(peers.contains("a/d1")).isFalse();
        assertThat(peers.contains("a/d0")).isTrue();
        assertThat(peers.contains("a/d3")).isTrue();
    }

    private static void assertError(final org.assertj.core.api.ThrowableAssert.ThrowingCallable call, final BridgeError expected) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(expected));
    }
}
