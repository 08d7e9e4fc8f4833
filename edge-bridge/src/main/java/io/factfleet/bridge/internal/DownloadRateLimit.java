package io.factfleet.bridge.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;

/**
 * Each device's artifact download requests per second, beside (and below) its request rate: a
 * download moves megabytes per request, so its range requests get their own, smaller bucket. A
 * device's bucket unused for {@code ttl} is dropped, and at most {@code maxDevices} are kept.
 */
public final class DownloadRateLimit {
    private final int perSecond;
    private final TimeMeter time;
    private final Cache<String, Bucket> buckets;

    public DownloadRateLimit(final int perSecond, final Duration ttl, final int maxDevices, final TimeMeter time) {
        this.perSecond = perSecond;
        this.time = time;
        this.buckets = Caffeine.newBuilder().expireAfterAccess(ttl).maximumSize(maxDevices).build();
    }

    /** Takes a token from the device's download bucket. @throws ApiException 429 {@code RATE_LIMITED} with {@code Retry-After} */
    public void consume(final Caller caller) {
        final Bucket bucket = buckets.get(caller.peerKey(), key -> Bucket.builder().withCustomTimePrecision(time)
                .addLimit(l -> l.capacity(perSecond).refillGreedy(perSecond, Duration.ofSeconds(1))).build());
        PeerRegistry.consume(bucket, "device " + caller.peerKey() + "'s artifact download rate (" + perSecond + " requests/s)");
    }
}
