package io.factfleet.system.reliability;

import io.factfleet.contracts.JournalKey;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Facts;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.BridgeException;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady load of signed facts from simulated devices through the bridge, as the device SDK's outbox sends them: each device
 * sends a small batch, keeps every fact the bridge did not acknowledge and sends it again on its next turn, and records
 * every fact the bridge acknowledged ({@code ACCEPTED} or {@code DUPLICATE}), by journal key. Each answer is counted by its
 * HTTP status and code, so a test can tell a 503 (refused, retried: no loss) from anything else.
 */
final class DeviceLoad implements AutoCloseable {
    private static final int BATCH = 3;
    /** How often each device sends: {@code reliability.device.turn.ms}, 1 s in the test command, 250 ms with -Preliability. */
    private static final Duration TURN = Duration.ofMillis(Long.getLong("reliability.device.turn.ms", 1000));

    private final List<Device> devices = new ArrayList<>();
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
    private final Map<String, String> rejections = new ConcurrentHashMap<>();
    /** Journal key to the device that made the fact and its number in that device's sequence. */
    private final Map<String, Made> made = new ConcurrentHashMap<>();
    private final ScheduledExecutorService turns;
    private volatile boolean producing;

    DeviceLoad(final URI bridge, final List<AuthorityGenesis> authorities, final int devicesPerAuthority) {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
        for (final AuthorityGenesis authority : authorities) {
            for (int d = 0; d < devicesPerAuthority; d++) {
                final DeviceSigner signer = authority.device(d);
                devices.add(new Device(signer, new BridgeClient(bridge, authority.authorityId(), signer.deviceId(), signer.key(),
                        System::currentTimeMillis, http)));
            }
        }
        turns = Executors.newScheduledThreadPool(Math.min(4, devices.size()), r -> {
            final Thread t = new Thread(r, "device-load");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts sending: every device takes a turn every {@link #TURN}, making {@value #BATCH} new facts while its outbox is short. */
    DeviceLoad start() {
        producing = true;
        for (final Device device : devices) {
            turns.scheduleWithFixedDelay(device::turn, 0, TURN.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** Stops making new facts and waits until every fact made so far is acknowledged (the outboxes are empty). */
    void drain(final Duration timeout) {
        producing = false;
        Await.until("every device's outbox is empty (" + pending() + " facts unacknowledged)", timeout, () -> pending() == 0);
    }

    int pending() {
        return devices.stream().mapToInt(d -> d.outbox.size()).sum();
    }

    /** Journal keys ({@code authorityId/factIdHex}) of the facts the bridge acknowledged. */
    Set<String> acknowledged() {
        return Set.copyOf(acknowledged);
    }

    int acknowledgedCount() {
        return acknowledged.size();
    }

    /** Acknowledged facts of one authority. */
    int acknowledgedCount(final String authorityId) {
        return (int) acknowledged.stream().filter(k -> JournalKey.authorityOf(k).equals(authorityId)).count();
    }

    /** A fact's maker: the device and the fact's place in the order the device made its facts. */
    record Made(String deviceId, long sequence) {
    }

    /** Journal key to who made the fact and when in its order, for every fact made so far. */
    Map<String, Made> made() {
        return Map.copyOf(made);
    }

    /** Count of answers by "status code" (200 ACCEPTED, 503 KAFKA_UNAVAILABLE, 0 UNREACHABLE, ...). */
    Map<String, Long> answers() {
        final Map<String, Long> out = new TreeMap<>();
        answers.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Answers that are neither success nor a retriable refusal: each one a finding. */
    Map<String, Long> unexpectedAnswers() {
        final Map<String, Long> out = new TreeMap<>(answers());
        out.keySet().removeIf(k -> k.startsWith("200 ") || k.startsWith("503 ") || k.startsWith("0 ") || k.startsWith("429 "));
        return out;
    }

    Map<String, String> rejections() {
        return Map.copyOf(rejections);
    }

    long answered(final String prefix) {
        return answers().entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue).sum();
    }

    private void count(final String key) {
        answers.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }

    private final class Device {
        private final DeviceSigner signer;
        private final BridgeClient client;
        private final Map<String, FactEnvelope> outbox = new java.util.LinkedHashMap<>();
        private long next;

        Device(final DeviceSigner signer, final BridgeClient client) {
            this.signer = signer;
            this.client = client;
        }

        synchronized void turn() {
            try {
                if (producing && outbox.size() < 4 * BATCH) {
                    for (int i = 0; i < BATCH; i++) {
                        final long n = next++;
                        final FactEnvelope fact = signer.journalEntry(0, (signer.deviceId() + "/" + n).getBytes(StandardCharsets.UTF_8),
                                Long.toString(n).getBytes(StandardCharsets.UTF_8));
                        final String key = JournalKey.of(signer.authorityId(), Facts.idHex(fact));
                        made.put(key, new Made(signer.authorityId() + "/" + signer.deviceId(), n));
                        outbox.put(key, fact);
                    }
                }
                if (outbox.isEmpty()) {
                    return;
                }
                final List<String> keys = new ArrayList<>(outbox.keySet()).subList(0, Math.min(2 * BATCH, outbox.size()));
                final List<FactEnvelope> batch = keys.stream().map(outbox::get).toList();
                final List<BridgeClient.SubmitResult> results = client.submit(batch);
                count("200 OK");
                for (final BridgeClient.SubmitResult r : results) {
                    final String key = JournalKey.of(signer.authorityId(), r.factId());
                    switch (r.outcome()) {
                        case ACCEPTED, DUPLICATE -> {
                            acknowledged.add(key);
                            outbox.remove(key);
                        }
                        case REJECTED -> {
                            rejections.put(key, r.code() + ": " + r.message());
                            outbox.remove(key);
                        }
                    }
                }
            } catch (final BridgeException e) {
                count(e.status() + " " + e.code());
            } catch (final RuntimeException | Error e) {
                // Counted, never thrown: an exception would end this device's periodic turns without a word.
                count("exception " + e);
            }
        }
    }

    @Override
    public void close() {
        producing = false;
        turns.shutdownNow();
    }
}
