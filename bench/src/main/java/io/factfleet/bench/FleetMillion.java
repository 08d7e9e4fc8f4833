package io.factfleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.core.DeviceSigner;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.ThresholdCertificates;
import io.factfleet.core.UpgradeFacts;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.InstalledPackage;
import io.factfleet.schema.ReadinessStatus;
import io.factfleet.schema.RolloutPlan;
import io.factfleet.schema.RolloutWave;
import io.factfleet.schema.UpgradeKind;
import io.factfleet.schema.UpgradeMetadata;
import io.factfleet.schema.UpgradeProposed;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code fleet_1m}: {@code authorities} authorities of {@code devicesEach} devices (100 x 10,000 = 1,000,000) on the
 * whole stack of one in-process broker, and a day of their life compressed: every authority created and its devices
 * enrolled in one co-signed roster batch through the snapshot coordinator; one DeviceMetadata from every device; one
 * 2-wave rollout per authority (1%, then the rest) with one READY from every device when its wave opens; one snapshot
 * per authority approved by M of its devices. Devices are lightweight signers producing their facts straight to the
 * inbound topic (what the bridge does after its checks), not SDK agents and not through the bridge's HTTP: the part
 * measures what the journal, ingest, the reducer and the coordinators do with a million devices, not HTTP.
 *
 * <p>It reports what it cost: facts, wall seconds per phase, bytes on disk in the journal (the broker's log sizes) and
 * in each service's state directory, and the heap the one JVM running everything holds after a full GC.
 */
final class FleetMillion {
    private static final String PROPOSAL = "fw-2";
    private static final int BATCH = 20_000;
    /** Authorities snapshotted at once. */
    private static final int SNAPSHOT_GROUP = 10;
    private final int authorities;
    private final int devicesEach;
    private final Ed25519Keys.SigningKey operator = Ed25519Keys.generate();

    FleetMillion(final int authorities, final int devicesEach) {
        this.authorities = authorities;
        this.devicesEach = devicesEach;
    }

    /**
     * Runs the part alone and prints its figures (does not merge them): {@code [authorities [devicesEach]]}, default
     * 100 and 10,000. {@code ScaleBench --fleet-1m} runs it and merges.
     */
    public static void main(final String[] args) throws Exception {
        final ObjectNode run = ResultsFile.JSON.createObjectNode();
        new FleetMillion(args.length > 0 ? Integer.parseInt(args[0]) : 100, args.length > 1 ? Integer.parseInt(args[1]) : 10_000).measure(run);
        say("%s", ResultsFile.JSON.writeValueAsString(run));
        System.exit(0);
    }

    /** One authority: its genesis (5 anchors, M = 3) and its enrolled devices in id order. */
    private record Site(AuthorityGenesis genesis, List<String> deviceIds, Map<String, Ed25519Keys.SigningKey> devices) {
        String id() {
            return genesis.authorityId();
        }
    }

    void measure(final ObjectNode run) throws Exception {
        final long start = System.nanoTime();
        final ObjectNode figures = run.putObject("fleet_1m");
        figures.put("machine", Machine.line());
        figures.put("authorities", authorities);
        figures.put("devices_per_authority", devicesEach);
        final ObjectNode phases = figures.putObject("phase_s");
        long t = System.nanoTime();
        final List<Site> sites = IntStream.range(0, authorities).parallel().mapToObj(this::site).toList();
        t = phase(phases, "keys", t);
        final Map<String, Ed25519Keys.SigningKey> admins = new LinkedHashMap<>();
        sites.forEach(s -> admins.put(s.id(), s.genesis().adminKey()));
        final Path dataDir = Files.createTempDirectory("factfleet-1m");
        final AtomicLong factsSent = new AtomicLong();
        try (BenchStack stack = BenchStack.start(dataDir, operator, admins, 6, false)) {
            t = phase(phases, "stack_start", t);
            for (final Site s : sites) {
                stack.sendGenesis(s.genesis(), operator);
            }
            factsSent.addAndGet(sites.size());
            for (final Site s : sites) {
                BenchStack.await(s.id() + " is known", Duration.ofSeconds(120), () -> stack.snapshotStatus(s.id()) != null
                        && stack.roster(s.id(), "") != null);
            }
            t = phase(phases, "genesis", t);

            for (final Site s : sites) {
                stack.enrolBatch(s.genesis(), s.devices());
            }
            factsSent.addAndGet(sites.size());
            for (final Site s : sites) {
                BenchStack.await(s.id() + "'s roster shows every device", Duration.ofSeconds(600), () -> {
                    final JsonNode one = stack.roster(s.id(), "?device=" + s.deviceIds().get(0));
                    return one != null && one.path("identityEpoch").asLong() == 1 && one.path("memberCount").asInt() == devicesEach + 5;
                });
            }
            t = phase(phases, "enrol", t);

            final long metadata = sendAll(stack, sites, (s, device) -> signer(s, device).deviceMetadata(1,
                    List.of(new InstalledPackage("fw", 1L)), "auto"), null);
            factsSent.addAndGet(metadata);
            awaitFolded(stack, sites, factsSent.get(), "every device's metadata");
            t = phase(phases, "metadata", t);

            rollout(stack, sites, factsSent);
            t = phase(phases, "rollout", t);

            snapshots(stack, sites, factsSent);
            t = phase(phases, "snapshot", t);

            long facts = 0;
            for (final Site s : sites) {
                facts += stack.snapshotStatus(s.id()).path("factCount").asLong();
            }
            figures.put("facts", facts);
            figures.put("facts_sent", factsSent.get());
            figures.put("reducer_facts_folded", stack.reducer.metrics().snapshot().factsFolded());
            final Map<String, Long> topics = topicBytes(stack);
            figures.put("journal_bytes", topics.getOrDefault(FactFleetTopics.JOURNAL.name(), 0L));
            final ObjectNode changelogs = figures.putObject("changelog_bytes");
            topics.forEach((topic, bytes) -> {
                if (topic.endsWith("-changelog")) {
                    changelogs.put(topic, bytes);
                }
            });
            figures.put("broker_log_bytes", topics.values().stream().mapToLong(Long::longValue).sum());
            final ObjectNode stores = figures.putObject("state_dir_bytes");
            for (final String service : List.of("ingest", "reducer", "snapshots", "ota")) {
                stores.put(service, directoryBytes(dataDir.resolve(service)));
            }
            System.gc();
            figures.put("heap_used_after_gc_bytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            figures.put("heap_note", "one JVM runs the broker, the registry, ingest, the reducer, both coordinators and the simulated "
                    + "devices' keys: this is all of it, an upper bound on the reducer's");
        } finally {
            BenchMain.deleteQuietly(dataDir);
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        figures.put("wall_s", round(seconds, 1));
        figures.put("completed", true);
        figures.put("method", authorities + " authorities x " + devicesEach + " devices on one in-process broker (6 partitions) with the "
                + "registry, ingest, a reducer and both coordinators, operator authentication on: genesis; one roster batch per "
                + "authority through the snapshot coordinator, co-signed by 3 of 5 anchors; one DeviceMetadata per device; one rollout per "
                + "authority (waves 1% and the rest, no approval), each device's READY sent when the OTA coordinator shows its wave "
                + "OPEN; one snapshot per authority (10 authorities at a time), approved by 3 anchors. Devices are lightweight signers producing to the inbound "
                + "topic (ingest verifies every signature), not through the bridge's HTTP");
        run.put("fleet_1m_wall_s", round(seconds, 1));
        say("fleet_1m: %d authorities x %d devices in %.1f s", authorities, devicesEach, seconds);
    }

    private Site site(final int index) {
        final Map<String, Ed25519Keys.SigningKey> anchors = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            anchors.put("anchor-" + i, Ed25519Keys.generate());
        }
        final AuthorityGenesis genesis = AuthorityGenesis.of(String.format("site-%03d", index), anchors, Ed25519Keys.generate(), 3);
        final Map<String, Ed25519Keys.SigningKey> devices = new LinkedHashMap<>();
        final List<String> ids = new ArrayList<>(devicesEach);
        for (int i = 0; i < devicesEach; i++) {
            final String id = String.format("dev-%05d", i);
            ids.add(id);
            devices.put(id, Ed25519Keys.generate());
        }
        return new Site(genesis, ids, devices);
    }

    private static DeviceSigner signer(final Site s, final String device) {
        return new DeviceSigner(s.id(), device, s.devices().get(device));
    }

    private interface FactOf {
        FactEnvelope of(Site site, String device);
    }

    /**
     * Signs and produces one fact per device (of {@code members}, per site, or of every device), in parallel, waiting for
     * Kafka's acknowledgement of each batch; the number of facts sent.
     */
    private static long sendAll(final BenchStack stack, final List<Site> sites, final FactOf fact, final Map<String, List<String>> members)
            throws Exception {
        final List<Map.Entry<Site, String>> all = new ArrayList<>();
        for (final Site s : sites) {
            for (final String device : members == null ? s.deviceIds() : members.get(s.id())) {
                all.add(Map.entry(s, device));
            }
        }
        for (int from = 0; from < all.size(); from += BATCH) {
            final List<Future<?>> sent = all.subList(from, Math.min(all.size(), from + BATCH)).parallelStream()
                    .map(e -> stack.send(fact.of(e.getKey(), e.getValue()))).<Future<?>>map(f -> f).toList();
            for (final Future<?> f : sent) {
                f.get();
            }
        }
        return all.size();
    }

    /** Until the reducer folded {@code expected} facts and the snapshot coordinator's counts add up to it too. */
    private static void awaitFolded(final BenchStack stack, final List<Site> sites, final long expected, final String what) throws Exception {
        BenchStack.await("the reducer folded " + what, Duration.ofHours(1), () -> {
            Thread.sleep(500);
            return stack.reducer.metrics().snapshot().factsFolded() >= expected;
        });
        BenchStack.await("the snapshot coordinator folded " + what, Duration.ofHours(1), () -> {
            long folded = 0;
            for (final Site s : sites) {
                folded += stack.snapshotStatus(s.id()).path("factCount").asLong();
            }
            if (folded < expected) {
                Thread.sleep(2_000);
            }
            return folded >= expected;
        });
    }

    private void rollout(final BenchStack stack, final List<Site> sites, final AtomicLong factsSent) throws Exception {
        final List<RolloutWave> waves = List.of(
                RolloutWave.newBuilder(UpgradeFacts.wave("canary", 0, 100, 0, 0)).setDeviceCount(null).setDevicePercent(1).setDeviceFilter("dev-.*").build(),
                RolloutWave.newBuilder(UpgradeFacts.wave("rest", 0, 99, null, 0)).setDeviceCount(null).setDeviceFilter("dev-.*").build());
        for (final Site s : sites) {
            final UpgradeMetadata metadata = UpgradeFacts.metadata(s.id(), PROPOSAL, "fw", 2, "fw 2 image".getBytes(), UpgradeKind.SOFT, null,
                    Long.MAX_VALUE, new RolloutPlan(waves, false));
            final UpgradeProposed proposed = new UpgradeProposed(metadata, ThresholdCertificates.of(metadata, s.genesis().deviceKeys().subList(0, 3)));
            BenchStack.expect(202, stack.post(URI.create("http://127.0.0.1:" + stack.ota.port() + "/authorities/" + s.id() + "/upgrades"),
                    ResultsFile.JSON.writeValueAsString(Map.of("proposal", Base64.getEncoder().encodeToString(Canonical.bytes(proposed))))));
        }
        factsSent.addAndGet(sites.size());
        final Map<String, Integer> offsets = new LinkedHashMap<>();
        for (int w = 0; w < waves.size(); w++) {
            final int wave = w;
            final Map<String, List<String>> members = new LinkedHashMap<>();
            for (final Site s : sites) {
                BenchStack.await(s.id() + "'s wave " + w + " opens", Duration.ofSeconds(600), () -> {
                    final boolean open = "OPEN".equals(stack.upgrade(s.id(), PROPOSAL).path("waves").path(wave).path("state").asText());
                    if (!open) {
                        Thread.sleep(500);
                    }
                    return open;
                });
                final int size = stack.upgrade(s.id(), PROPOSAL).path("waves").path(wave).path("devices").asInt();
                final int offset = offsets.getOrDefault(s.id(), 0);
                members.put(s.id(), s.deviceIds().subList(offset, offset + size));
                offsets.put(s.id(), offset + size);
            }
            factsSent.addAndGet(sendAll(stack, sites, (s, device) -> signer(s, device).readiness(1, PROPOSAL, "fw", 2, ReadinessStatus.READY, null),
                    members));
            say("  wave %d: READY sent by %d devices", w, members.values().stream().mapToInt(List::size).sum());
        }
        for (final Site s : sites) {
            BenchStack.await(s.id() + "'s rollout completes", Duration.ofHours(1), () -> {
                final boolean done = "COMPLETED".equals(stack.upgrade(s.id(), PROPOSAL).path("state").asText());
                if (!done) {
                    Thread.sleep(2_000);
                }
                return done;
            });
        }
        // The coordinator's activation and transitions are facts too.
        factsSent.set(Math.max(factsSent.get(), stack.reducer.metrics().snapshot().factsFolded()));
    }

    /**
     * One snapshot per authority, {@link #SNAPSHOT_GROUP} authorities at a time: requested, approved by 3 anchors once
     * open, completed. All 100 at once was tried first: the last ones' approvals queued behind the first ones' garbage
     * collection (about 20,000 tombstones per authority) past the coordinator's 30 s approval timeout, and they aborted.
     */
    private static void snapshots(final BenchStack stack, final List<Site> sites, final AtomicLong factsSent) throws Exception {
        for (int from = 0; from < sites.size(); from += SNAPSHOT_GROUP) {
            final List<Site> group = sites.subList(from, Math.min(sites.size(), from + SNAPSHOT_GROUP));
            for (final Site s : group) {
                BenchStack.expect(202, stack.post(stack.snapshots.httpUri().resolve("/authorities/" + s.id() + "/snapshots"),
                        "{\"reason\":\"fleet_1m\"}"));
            }
            final Map<String, String> proposals = new LinkedHashMap<>();
            for (final Site s : group) {
                final JsonNode[] open = new JsonNode[1];
                BenchStack.await(s.id() + "'s proposal opens", Duration.ofSeconds(600), () -> {
                    open[0] = stack.snapshotStatus(s.id()).path("openProposal");
                    final boolean ready = "OPEN".equals(open[0].path("phase").asText());
                    if (!ready) {
                        Thread.sleep(200);
                    }
                    return ready;
                });
                final String proposalId = open[0].path("proposalId").asText();
                final long epoch = open[0].path("targetEpoch").asLong();
                final byte[] digest = HexFormat.of().parseHex(open[0].path("digest").asText());
                for (int a = 0; a < 3; a++) {
                    stack.send(s.genesis().device(a).approveSnapshot(epoch, proposalId, epoch, digest)).get();
                }
                factsSent.addAndGet(3);
                proposals.put(s.id(), proposalId);
            }
            for (final Site s : group) {
                BenchStack.await(s.id() + "'s snapshot completes", Duration.ofSeconds(600), () -> {
                    final JsonNode status = stack.snapshotStatus(s.id());
                    if (proposals.get(s.id()).equals(status.path("lastSnapshot").path("proposalId").asText())) {
                        return true;
                    }
                    if (status.path("openProposal").isNull() && status.path("lastError").asText().startsWith("ABORTED")) {
                        throw new IllegalStateException(s.id() + "'s snapshot aborted: " + status.path("lastError").asText());
                    }
                    Thread.sleep(200);
                    return false;
                });
            }
        }
    }

    /** Bytes of each topic's partitions on the broker's log directories. */
    private static Map<String, Long> topicBytes(final BenchStack stack) throws Exception {
        final Map<String, Long> bytes = new java.util.TreeMap<>();
        try (org.apache.kafka.clients.admin.Admin admin = stack.kafka.admin()) {
            final Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(stack.kafka.brokerIds()).allDescriptions().get();
            for (final Map<String, LogDirDescription> byDir : dirs.values()) {
                for (final LogDirDescription d : byDir.values()) {
                    for (final Map.Entry<TopicPartition, ReplicaInfo> r : d.replicaInfos().entrySet()) {
                        bytes.merge(r.getKey().topic(), r.getValue().size(), Long::sum);
                    }
                }
            }
        }
        return bytes;
    }

    private static long directoryBytes(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (final IOException e) {
                    return 0; // a RocksDB file compacted away while walking
                }
            }).sum();
        }
    }

    private static long phase(final ObjectNode phases, final String name, final long since) {
        final long now = System.nanoTime();
        phases.put(name, round((now - since) / 1e9, 1));
        say("  %s: %.1f s", name, (now - since) / 1e9);
        return now;
    }

    private static double round(final double value, final int decimals) {
        final double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private static void say(final String format, final Object... args) {
        System.out.printf("[fleet_1m] " + format + "%n", args);
        System.out.flush();
    }
}
