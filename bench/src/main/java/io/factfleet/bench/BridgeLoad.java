package io.factfleet.bench;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.BridgeException;
import io.factfleet.device.Outbox;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.simulator.FleetPlan;
import io.factfleet.simulator.FleetSimulator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * Load on the edge bridge: a fleet from the fleet simulator ({@link FleetSimulator}: authorities,
 * device keys, genesis facts through the operator's producer) whose devices push pre-signed facts
 * through the bridge as fast as they can, each device one client thread sending batches one after
 * the other with its own {@link BridgeClient} (signed requests, base64 canonical Avro JSON batches,
 * the SDK's wire format). The bridge acknowledges a batch only once Kafka has every fact
 * ({@code acks=all}, idempotent): facts/s acknowledged is the figure, and the time of each batch
 * request its latency.
 *
 * <p>The simulator's own rounds (sign into the SQLite outbox, flush, sync) are not used for the
 * load: they would measure the devices' disks and replicas on the same two cores, not the bridge.
 */
final class BridgeLoad {
    /** One timed push round. */
    record Result(long facts, double seconds, double factsPerSecond, double[] batchMillis, long retries, long notAccepted) {
    }

    private final FleetSimulator fleet;
    private final int batch;
    private final int valueBytes;
    private final List<Device> devices = new ArrayList<>();

    private record Device(String authorityId, String deviceId, DeviceSigner signer, BridgeClient client) {
    }

    private BridgeLoad(final FleetSimulator fleet, final java.net.URI bridgeUri, final int batch, final int valueBytes) {
        this.fleet = fleet;
        this.batch = batch;
        this.valueBytes = valueBytes;
        for (final AuthorityGenesis a : fleet.authorities()) {
            for (final String deviceId : a.deviceIds()) {
                final DeviceSigner signer = a.device(deviceId);
                devices.add(new Device(a.authorityId(), deviceId, signer,
                        new BridgeClient(bridgeUri, a.authorityId(), deviceId, signer.key(), System::currentTimeMillis)));
            }
        }
    }

    /** Creates the fleet (genesis facts go to {@code stack.publishGenesis()}) and waits until the reducer knows every authority. */
    static BridgeLoad create(final SyncBench.Stack stack, final Ed25519Keys.SigningKey operator, final Path dir, final int authorities,
                             final int devicesPerAuthority, final int batch, final int valueBytes) {
        final FleetPlan plan = new FleetPlan(authorities, devicesPerAuthority, Math.min(2, devicesPerAuthority), 1, Duration.ofSeconds(1),
                0.0, Duration.ofSeconds(60));
        final FleetSimulator fleet = FleetSimulator.create(plan, "bench-load", dir, stack.bridgeUri(), operator, stack.publishGenesis());
        for (final AuthorityGenesis a : fleet.authorities()) {
            final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (stack.reducerGet().apply("/authorities/" + a.authorityId() + "/merkle").path("factCount").asLong(0) < 1) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(a.authorityId() + " is not known to the reducer after 90 s");
                }
                SyncBench.sleep(10);
            }
        }
        return new BridgeLoad(fleet, stack.bridgeUri(), batch, valueBytes);
    }

    int devices() {
        return devices.size();
    }

    /** {@code perDevice} journal entries for every device, keys starting at {@code from}; signed on all cores (the devices' work). */
    List<List<FactEnvelope>> sign(final int from, final int perDevice) {
        final byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'v');
        return devices.stream().parallel().map(d -> IntStream.range(from, from + perDevice)
                        .mapToObj(i -> d.signer().journalEntry(0, String.format("k%07d", i).getBytes(StandardCharsets.US_ASCII), value.clone()))
                        .toList())
                .toList();
    }

    /**
     * Every device sends its facts in batches, all devices at once, one request in flight each; time
     * from the first request to the last acknowledgement. A refused request (429, 503) is retried
     * after its Retry-After (or 50 ms) and counted.
     */
    Result push(final List<List<FactEnvelope>> facts) throws InterruptedException {
        final int n = devices.size();
        final List<double[]> latencies = new ArrayList<>();
        final AtomicLong retries = new AtomicLong();
        final AtomicLong notAccepted = new AtomicLong();
        final AtomicLong lastAck = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch ready = new CountDownLatch(n);
        final CountDownLatch go = new CountDownLatch(1);
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final Device device = devices.get(i);
            final List<FactEnvelope> mine = facts.get(i);
            final double[] ms = new double[(mine.size() + batch - 1) / batch];
            latencies.add(ms);
            final Thread t = new Thread(() -> {
                try {
                    ready.countDown();
                    go.await();
                    int k = 0;
                    for (int from = 0; from < mine.size(); from += batch) {
                        final List<FactEnvelope> chunk = mine.subList(from, Math.min(mine.size(), from + batch));
                        while (true) {
                            final long start = System.nanoTime();
                            try {
                                final List<BridgeClient.SubmitResult> results = device.client().submit(chunk);
                                final long end = System.nanoTime();
                                ms[k++] = (end - start) / 1e6;
                                lastAck.accumulateAndGet(end, Math::max);
                                notAccepted.addAndGet(results.stream().filter(r -> r.outcome() != Outbox.Outcome.ACCEPTED).count()
                                        + Math.max(0, chunk.size() - results.size()));
                                break;
                            } catch (final BridgeException e) {
                                if (!e.retriable() && e.status() != 429) {
                                    throw e;
                                }
                                retries.incrementAndGet();
                                Thread.sleep(e.retryAfter().orElse(Duration.ofMillis(50)).toMillis());
                            }
                        }
                    }
                } catch (final Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "bench-bridge-client-" + i);
            threads.add(t);
            t.start();
        }
        ready.await();
        final long start = System.nanoTime();
        go.countDown();
        for (final Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a device's push through the bridge failed: " + failure.get(), failure.get());
        }
        final long total = facts.stream().mapToLong(List::size).sum();
        final double seconds = (lastAck.get() - start) / 1e9;
        final double[] all = latencies.stream().flatMapToDouble(Arrays::stream).toArray();
        return new Result(total, seconds, (total - notAccepted.get()) / seconds, all, retries.get(), notAccepted.get());
    }

    void close() {
        fleet.close();
    }
}
