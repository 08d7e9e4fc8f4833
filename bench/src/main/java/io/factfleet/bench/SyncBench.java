package io.factfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.SaltedBloomFilter;
import io.factfleet.device.Backoff;
import io.factfleet.device.BridgeClient;
import io.factfleet.device.DeviceAgent;
import io.factfleet.device.Outbox;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.JournalEntry;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Anti-entropy catch-up through the edge bridge, "each side holds 1,000 facts the other lacks"
 * (issue 3): per trial a fresh authority with devices A, B and C (threshold 2).
 *
 * <ol>
 *   <li>A (a {@link DeviceAgent} with its own data directory) syncs once, so A and the server agree
 *       (both hold the genesis fact).</li>
 *   <li>While A is offline, B puts N facts on the server through the bridge (pre-signed, batches of
 *       200 with B's {@link BridgeClient}) and A signs N facts into its outbox.</li>
 *   <li>A comes online: {@code flushOnce(200)} until its outbox is empty (the push: payload, its
 *       requests counted apart), the bench waits until the reducer's {@code /merkle} factCount shows
 *       every fact, then {@code A.sync()} by cursor: its round trips and overhead bytes are the
 *       figures (the SDK's {@code SyncReport}); A must end in sync with the server's {@code /state}
 *       digest.</li>
 *   <li>The Bloom fallback, same authority: C opens a fresh data directory (no cursor) and its
 *       replica is given A's N facts ({@code LocalReplica.add}), half of what the server holds; C signs
 *       N facts and pushes them, so again each side held N facts the other lacked; then
 *       {@code C.sync()} without a cursor sends a salted Bloom filter (new salt per request) of the
 *       2N fact ids it holds.</li>
 * </ol>
 *
 * The bridge's own request counters ({@code factfleet_bridge_request_seconds_count} on
 * {@code /metrics}) are read around each sync, so a request the SDK does not count as a round trip
 * (the fact-status query it makes when its own facts do not match the root) still shows.
 */
final class SyncBench {
    /** The false-positive rate DeviceAgent.sync sizes its filter for. */
    static final double SDK_BLOOM_FPR = 0.001;
    static final double ROUND_TRIPS_GOAL = 1.1;
    static final long OVERHEAD_BYTES_GOAL = 3_072;
    private static final int BATCH = 200;
    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));

    /** What the bench needs from the running stack. */
    record Stack(URI bridgeUri, Consumer<FactEnvelope> publishGenesis, Function<String, JsonNode> reducerGet,
                 Function<String, String> bridgeGetText) {
    }

    /** One measured sync. */
    record Trial(String mode, int roundTrips, long overheadBytes, int factsReceived, boolean inSync, boolean digestMatches,
                 int pushRequests, int pushFailures, long bridgeSyncRequests, long bridgeOtherRequests, long bridgeBodyBytes,
                 long payloadBytes, int filterIds, int filterBytes, double syncMillis) {
        /** Requests the bridge saw during the sync (sync and any other /v1 request, such as a fact-status query). */
        long bridgeRequests() {
            return bridgeSyncRequests + bridgeOtherRequests;
        }

        /** Request and response bodies the bridge counted during the sync, less the facts' base64 text (no headers). */
        long bridgeBodyOverhead() {
            return bridgeBodyBytes - payloadBytes;
        }

        /** JSON array framing of the facts in the answers: two quotes and a comma each, less one comma per answer. */
        long factFraming() {
            return Math.max(0, 3L * factsReceived - roundTrips);
        }

        ObjectNode json() {
            final ObjectNode o = ResultsFile.JSON.createObjectNode();
            o.put("mode", mode);
            o.put("round_trips", roundTrips);
            o.put("overhead_bytes", overheadBytes);
            o.put("fact_framing_bytes", factFraming());
            o.put("facts_received", factsReceived);
            o.put("in_sync", inSync);
            o.put("digest_matches_server", digestMatches);
            o.put("push_requests", pushRequests);
            if (pushFailures > 0) {
                o.put("push_failures", pushFailures);
            }
            o.put("bridge_sync_requests", bridgeSyncRequests);
            o.put("bridge_other_requests", bridgeOtherRequests);
            o.put("bridge_body_bytes", bridgeBodyBytes);
            o.put("payload_base64_bytes", payloadBytes);
            o.put("bridge_body_overhead_bytes", bridgeBodyOverhead());
            if (filterIds > 0) {
                o.put("bloom_filter_ids", filterIds);
                o.put("bloom_filter_bytes", filterBytes);
            }
            o.put("sync_ms", Math.round(syncMillis * 10) / 10.0);
            return o;
        }
    }

    private final Stack stack;
    private final Ed25519Keys.SigningKey operator;
    private final Path deviceRoot;
    private final int factsEach;
    private final int valueBytes;
    private final BenchLog log;

    SyncBench(final Stack stack, final Ed25519Keys.SigningKey operator, final Path deviceRoot, final int factsEach, final int valueBytes,
              final BenchLog log) {
        this.stack = stack;
        this.operator = operator;
        this.deviceRoot = deviceRoot;
        this.factsEach = factsEach;
        this.valueBytes = valueBytes;
        this.log = log;
    }

    interface BenchLog {
        void say(String format, Object... args);
    }

    /** Runs {@code trials} trials; returns the cursor trials and the Bloom trials. */
    List<List<Trial>> run(final int trials) {
        final List<Trial> cursor = new ArrayList<>();
        final List<Trial> bloom = new ArrayList<>();
        for (int t = 0; t < trials; t++) {
            final Trial[] pair = trial(t);
            cursor.add(pair[0]);
            bloom.add(pair[1]);
            log.say("  trial %d: cursor %d round trip(s) (bridge saw %d requests), %d overhead bytes, %d facts, in sync %s, digest %s, push %d requests; "
                            + "bloom %d round trip(s) (bridge saw %d requests), %d overhead bytes (filter %d bytes for %d ids), %d facts, in sync %s, digest %s",
                    t + 1, pair[0].roundTrips, pair[0].bridgeRequests(), pair[0].overheadBytes, pair[0].factsReceived, pair[0].inSync,
                    pair[0].digestMatches ? "=" : "DIFFERS", pair[0].pushRequests, pair[1].roundTrips, pair[1].bridgeRequests(), pair[1].overheadBytes,
                    pair[1].filterBytes, pair[1].filterIds, pair[1].factsReceived, pair[1].inSync, pair[1].digestMatches ? "=" : "DIFFERS");
        }
        return List.of(cursor, bloom);
    }

    private Trial[] trial(final int t) {
        final String authorityId = BenchFacts.authorityId("sync", t);
        final AuthorityGenesis genesis = AuthorityGenesis.generate(authorityId, 3, 2);
        final List<String> devices = genesis.deviceIds();
        stack.publishGenesis().accept(genesis.genesisFact(operator));
        awaitCount(authorityId, 1);
        final Path dir = deviceRoot.resolve(authorityId);
        final long n = factsEach;

        // B's facts, signed now (B's work, not measured), sent through the bridge while A is offline.
        final DeviceSigner b = genesis.device(devices.get(1));
        final List<FactEnvelope> bFacts = IntStream.range(0, factsEach).parallel().mapToObj(i -> b.journalEntry(0, key("b", i), value(i))).toList();

        final Trial cursorTrial;
        final List<FactEnvelope> aFacts = new ArrayList<>();
        try (DeviceAgent a = DeviceAgent.open(authorityId, devices.get(0), genesis.deviceKeys().get(0), dir.resolve("a"), stack.bridgeUri(),
                BACKOFF, System::currentTimeMillis)) {
            final DeviceAgent.SyncReport first = a.sync();
            if (!first.inSync()) {
                throw new IllegalStateException(authorityId + ": device A is not in sync after its first sync: " + first);
            }
            final BridgeClient bClient = new BridgeClient(stack.bridgeUri(), authorityId, devices.get(1), b.key(), System::currentTimeMillis);
            for (int i = 0; i < bFacts.size(); i += BATCH) {
                for (final BridgeClient.SubmitResult r : bClient.submit(bFacts.subList(i, Math.min(bFacts.size(), i + BATCH)))) {
                    if (r.outcome() != Outbox.Outcome.ACCEPTED) {
                        throw new IllegalStateException(authorityId + ": the bridge answered " + r + " for a fact of B");
                    }
                }
            }
            for (int i = 0; i < factsEach; i++) {
                aFacts.add(a.sign(entry("a", i)));
            }
            cursorTrial = pushThenSync(a, authorityId, 1 + 2 * n, 0);
        }
        if (!cursorTrial.mode.equals("cursor")) {
            throw new IllegalStateException(authorityId + ": device A synced by " + cursorTrial.mode + ", not by cursor");
        }

        // The Bloom fallback: C has no cursor, holds A's facts (half the server's) and N of its own.
        final Trial bloomTrial;
        try (DeviceAgent c = DeviceAgent.open(authorityId, devices.get(2), genesis.deviceKeys().get(2), dir.resolve("c"), stack.bridgeUri(),
                BACKOFF, System::currentTimeMillis)) {
            aFacts.forEach(c.replica()::add);
            for (int i = 0; i < factsEach; i++) {
                c.sign(entry("c", i));
            }
            bloomTrial = pushThenSync(c, authorityId, 1 + 3 * n, -1);
        }
        if (!bloomTrial.mode.equals("bloom")) {
            throw new IllegalStateException(authorityId + ": device C synced by " + bloomTrial.mode + ", not by Bloom filter");
        }
        return new Trial[] {cursorTrial, bloomTrial};
    }

    /**
     * Pushes the device's outbox, waits until the server holds {@code serverFacts}, syncs. {@code filterIds}: -1 to
     * work out the Bloom filter the SDK will send (replica plus own unconfirmed facts), 0 for none.
     */
    private Trial pushThenSync(final DeviceAgent device, final String authorityId, final long serverFacts, final int filterIds) {
        int requests = 0;
        int failures = 0;
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (device.outbox().pendingCount() > 0) {
            final int sent = device.flushOnce(BATCH);
            if (sent != 0) {
                requests++;
            }
            if (sent < 0) {
                failures++;
            }
            if (sent <= 0) {
                sleep(20);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(authorityId + ": " + device.deviceId() + " could not push its outbox in 60 s");
            }
        }
        awaitCount(authorityId, serverFacts);
        final int ids = filterIds < 0 ? device.replica().size() + device.unconfirmedOwnFacts() : 0;
        final int filterBytes = ids > 0 ? SaltedBloomFilter.sized(new byte[SaltedBloomFilter.SALT_BYTES], ids, SDK_BLOOM_FPR).bitBytes().length : 0;
        final Set<String> held = device.replica().factIds();
        final long[] before = bridgeCounters();
        final long start = System.nanoTime();
        final DeviceAgent.SyncReport report = device.sync();
        final double millis = (System.nanoTime() - start) / 1e6;
        final long[] after = settledBridgeCounters(before);
        final JsonNode server = stack.reducerGet().apply("/authorities/" + authorityId + "/state");
        final boolean digest = server.path("digest").asText("").equals(Hashing.hex(device.replica().digest()));
        // The facts that came over the wire: new in the replica and not signed by this device (its own it adds itself).
        long payload = 0;
        for (final FactEnvelope f : device.replica().facts()) {
            if (!held.contains(Facts.idHex(f)) && !f.getBody().getDeviceId().equals(device.deviceId())) {
                payload += 4L * ((Canonical.bytes(f).length + 2) / 3);
            }
        }
        return new Trial(report.mode(), report.roundTrips(), report.overheadBytes(), report.factsReceived(), report.inSync(), digest,
                requests, failures, after[0] - before[0], after[1] - before[1], after[2] - before[2] + after[3] - before[3], payload,
                ids, filterBytes, millis);
    }

    /**
     * The bridge's counters so far, from its Prometheus text: {sync requests, other /v1 requests,
     * request body bytes, response body bytes}.
     */
    private long[] bridgeCounters() {
        return counters(stack.bridgeGetText().apply("/metrics"));
    }

    /** {sync requests, other /v1 requests, request body bytes, response body bytes} from the bridge's Prometheus text. */
    static long[] counters(final String text) {
        final long[] c = new long[4];
        for (final String line : text.split("\n")) {
            if (line.startsWith("factfleet_bridge_bytes_in_total ")) {
                c[2] = (long) value(line);
            } else if (line.startsWith("factfleet_bridge_bytes_out_total ")) {
                c[3] = (long) value(line);
            } else if (line.startsWith("factfleet_bridge_request_seconds_count{")) {
                final int r = line.indexOf("route=\"");
                final String route = r < 0 ? "" : line.substring(r + 7, line.indexOf('"', r + 7));
                if (route.endsWith("/sync")) {
                    c[0] += (long) value(line);
                } else if (route.startsWith("/v1/")) {
                    c[1] += (long) value(line);
                }
            }
        }
        return c;
    }

    private static double value(final String line) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /** The counters after a sync, read until two reads 50 ms apart agree (the request log is written after the answer). */
    private long[] settledBridgeCounters(final long[] before) {
        long[] last = bridgeCounters();
        for (int i = 0; i < 20; i++) {
            sleep(50);
            final long[] now = bridgeCounters();
            if (Arrays.equals(now, last) && now[0] > before[0]) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private void awaitCount(final String authorityId, final long facts) {
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        long seen = -1;
        while (System.nanoTime() < deadline) {
            seen = stack.reducerGet().apply("/authorities/" + authorityId + "/merkle").path("factCount").asLong(-1);
            if (seen >= facts) {
                return;
            }
            sleep(10);
        }
        throw new IllegalStateException(authorityId + ": the reducer shows " + seen + " of " + facts + " facts after 90 s");
    }

    private JournalEntry entry(final String who, final int i) {
        return new JournalEntry(ByteBuffer.wrap(key(who, i)), ByteBuffer.wrap(value(i)), null);
    }

    /** Fixed-width keys (8 bytes, like the ingest bench's), so every fact has the same size. */
    private static byte[] key(final String who, final int i) {
        return String.format("%s%07d", who, i).getBytes(StandardCharsets.US_ASCII);
    }

    private byte[] value(final int i) {
        final byte[] v = new byte[valueBytes];
        Arrays.fill(v, (byte) ('a' + i % 26));
        return v;
    }

    static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Averages, max and goals of a list of trials, under {@code prefix} (sync_ or sync_bloom_). */
    static void summarize(final String prefix, final List<Trial> trials, final ObjectNode run, final ObjectNode goals, final ObjectNode detail) {
        final double roundTrips = trials.stream().mapToInt(Trial::roundTrips).average().orElse(0);
        final double overhead = trials.stream().mapToLong(Trial::overheadBytes).average().orElse(0);
        final long overheadMax = trials.stream().mapToLong(Trial::overheadBytes).max().orElse(0);
        run.put(prefix + "round_trips_avg", Math.round(roundTrips * 1000) / 1000.0);
        run.put(prefix + "overhead_bytes_avg", Math.round(overhead * 10) / 10.0);
        run.put(prefix + "overhead_bytes_max", overheadMax);
        run.put(prefix + "push_requests_avg", Math.round(trials.stream().mapToInt(Trial::pushRequests).average().orElse(0) * 100) / 100.0);
        run.put(prefix + "trials", trials.size());
        // What the bridge saw: every request of the sync, and the bodies less the facts (headers not included).
        final double bridgeRequests = trials.stream().mapToLong(Trial::bridgeRequests).average().orElse(0);
        final double bridgeOverhead = trials.stream().mapToLong(Trial::bridgeBodyOverhead).average().orElse(0);
        run.put(prefix + "bridge_requests_avg", Math.round(bridgeRequests * 1000) / 1000.0);
        goals.put(prefix + "round_trips", ROUND_TRIPS_GOAL);
        goals.put(prefix + "round_trips_met", Math.max(roundTrips, bridgeRequests) <= ROUND_TRIPS_GOAL);
        goals.put(prefix + "overhead_bytes", OVERHEAD_BYTES_GOAL);
        goals.put(prefix + "overhead_bytes_met", Math.max(overhead, bridgeOverhead) <= OVERHEAD_BYTES_GOAL);
        final ObjectNode d = detail.putObject(prefix.equals("sync_") ? "cursor" : "bloom");
        d.put("all_in_sync", trials.stream().allMatch(Trial::inSync));
        d.put("all_digests_match_server", trials.stream().allMatch(Trial::digestMatches));
        d.put("facts_received_avg", Math.round(trials.stream().mapToInt(Trial::factsReceived).average().orElse(0) * 10) / 10.0);
        d.put("fact_framing_bytes_avg", Math.round(trials.stream().mapToLong(Trial::factFraming).average().orElse(0) * 10) / 10.0);
        d.put("overhead_less_fact_framing_bytes_avg",
                Math.round(trials.stream().mapToLong(t -> t.overheadBytes - t.factFraming()).average().orElse(0) * 10) / 10.0);
        d.put("bridge_requests_per_sync_max", trials.stream().mapToLong(Trial::bridgeRequests).max().orElse(0));
        d.put("bridge_body_overhead_bytes_avg", Math.round(bridgeOverhead * 10) / 10.0);
        d.put("bridge_body_overhead_bytes_max", trials.stream().mapToLong(Trial::bridgeBodyOverhead).max().orElse(0));
        final ArrayNode each = d.putArray("trials");
        trials.forEach(t -> each.add(t.json()));
    }
}
