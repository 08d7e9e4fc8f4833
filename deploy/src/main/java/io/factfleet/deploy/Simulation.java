package io.factfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Hashing;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.simulator.FleetPlan;
import io.factfleet.simulator.FleetSimulator;
import io.factfleet.simulator.SimulatedDevice;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --simulate} fleet on a running {@link Stack}: a {@link FleetSimulator} whose devices each keep
 * their own key, SQLite outbox and replica under {@code <data-dir>/simulator} and talk to the stack's edge
 * bridge over HTTP, as real devices would.
 *
 * <p>Authorities are the operator's to create: the genesis of each authority the cluster does not know
 * yet is signed with the stack's operator key and produced to {@code factfleet.facts.inbound}. An authority
 * the reducer already knows (an earlier run on the same data directory created it) is resumed: no second
 * genesis, the same devices with their outboxes, replicas and sync cursors. The simulation is
 * {@linkplain Stack#attach attached} to the stack, so stopping the stack stops the devices first.
 *
 * <pre>{@code
 * Simulation simulation = Simulation.start(stack, FleetPlan.demo(), Simulation.DEFAULT_START_TIMEOUT);
 * simulation.reportEvery(Duration.ofSeconds(10), System.out::println);
 * ... stack.stop();   // stops the simulation first
 * }</pre>
 */
public final class Simulation implements AutoCloseable {
    /** The authorities' id prefix on the stack's own broker: {@code sim-0}, {@code sim-1}, ... */
    public static final String DEFAULT_PREFIX = "sim";
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
    /** How many offline devices a status line names; above that it only counts them. */
    private static final int NAMED_OFFLINE_DEVICES = 4;
    /** How many authorities a status line lists. */
    private static final int LISTED_AUTHORITIES = 6;
    private static final String FLEET_FILE = "fleet.properties";
    private static final String PREFIX_PROPERTY = "authority.prefix";
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final Logger LOG = LoggerFactory.getLogger(Simulation.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Stack stack;
    private final FleetPlan plan;
    private final FleetSimulator fleet;
    private final List<String> authorityIds;
    private final List<String> created;
    private final Map<String, Long> factCountsAtStart;
    private ScheduledExecutorService reporter;
    private boolean closed;

    private Simulation(final Stack stack, final FleetPlan plan, final FleetSimulator fleet, final List<String> created,
                       final Map<String, Long> factCountsAtStart) {
        this.stack = stack;
        this.plan = plan;
        this.fleet = fleet;
        this.authorityIds = fleet.authorities().stream().map(AuthorityGenesis::authorityId).toList();
        this.created = List.copyOf(created);
        this.factCountsAtStart = Map.copyOf(factCountsAtStart);
    }

    /**
     * Builds (or reopens) the fleet of {@code plan}, creates the authorities the cluster does not know yet,
     * waits until the reducer shows their rosters, then starts the devices.
     *
     * @param timeout bound of each wait on the reducer
     * @throws IllegalStateException if an authority of the fleet exists with other keys or without some of the
     *                               fleet's devices, if the authorities do not show in time, or if the stack stopped
     */
    public static Simulation start(final Stack stack, final FleetPlan plan, final Duration timeout) throws InterruptedException {
        final Path dir = stack.dataDirectory().simulator();
        final long deadline = System.nanoTime() + timeout.toNanos();
        final String prefix = prefix(stack, dir, deadline);
        final List<FactEnvelope> genesis = new ArrayList<>();
        final FleetSimulator fleet = FleetSimulator.create(plan, prefix, dir, stack.bridgeUrl(), stack.operatorKey(), genesis::add);
        Simulation simulation = null;
        try {
            final List<FactEnvelope> toProduce = new ArrayList<>();
            final List<String> created = new ArrayList<>();
            final Map<String, Long> counts = new LinkedHashMap<>();
            for (final AuthorityGenesis authority : fleet.authorities()) {
                final String id = authority.authorityId();
                io.factfleet.core.AdminKeyRing.put(stack.dataDirectory().adminKeys(), id, authority.adminKey());
                final Optional<JsonNode> roster = roster(stack, id, deadline);
                if (roster.isPresent()) {
                    requireSameFleet(authority, roster.get(), dir);
                    counts.put(id, factCount(stack, id));
                } else {
                    created.add(id);
                    counts.put(id, 0L);
                    genesis.stream().filter(g -> g.getBody().getAuthorityId().equals(id)).forEach(toProduce::add);
                }
            }
            if (!toProduce.isEmpty()) {
                OperatorFacts.produce(stack, "factfleet-simulator", toProduce);
                LOG.info("Simulation: produced the genesis of {} (signed by the operator key) to factfleet.facts.inbound", String.join(", ", created));
                for (final String id : created) {
                    awaitRoster(stack, id, deadline, timeout);
                }
            }
            final List<String> resumed = fleet.authorities().stream().map(AuthorityGenesis::authorityId).filter(id -> !created.contains(id)).toList();
            if (!resumed.isEmpty()) {
                LOG.info("Simulation: resuming {} from {} (created by an earlier run; no new genesis)", String.join(", ", resumed), dir);
            }
            simulation = new Simulation(stack, plan, fleet, created, counts);
            // Attached first: a stack stopping from now on stops the fleet (attach itself does if the stack is stopping already).
            stack.attach("the fleet simulator", simulation::close);
            fleet.start();
            LOG.info("Simulation: {} devices of {} authorities signing facts and talking to the edge bridge at {}", fleet.devices().size(),
                    fleet.authorities().size(), stack.bridgeUrl());
            return simulation;
        } catch (final InterruptedException | RuntimeException e) {
            if (simulation != null) {
                simulation.close();
            } else {
                fleet.close();
            }
            throw e;
        }
    }

    /**
     * The fleet's authority id prefix, kept in {@code dir/fleet.properties}. A new fleet on the stack's own
     * broker is {@value #DEFAULT_PREFIX}, unless the cluster already holds {@code sim-0} (its keys are gone
     * with an earlier simulator directory); on an existing cluster, which other data directories may share,
     * it is {@code sim-<8 hex digits>}.
     */
    private static String prefix(final Stack stack, final Path dir, final long deadline) throws InterruptedException {
        final Path file = dir.resolve(FLEET_FILE);
        try {
            if (Files.exists(file)) {
                final Properties p = new Properties();
                try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    p.load(in);
                }
                final String prefix = p.getProperty(PREFIX_PROPERTY, "").strip();
                if (prefix.isEmpty()) {
                    throw new IllegalStateException(file + " has no " + PREFIX_PROPERTY + "; delete " + dir + " to start a new simulated fleet");
                }
                return prefix;
            }
            final String prefix;
            if (stack.localBroker().isEmpty()) {
                prefix = randomPrefix();
            } else if (roster(stack, DEFAULT_PREFIX + "-0", deadline).isPresent()) {
                prefix = randomPrefix();
                LOG.info("Simulation: authority {}-0 exists already but its keys are not in {}; this fleet's authorities are {}-0, ...",
                        DEFAULT_PREFIX, dir, prefix);
            } else {
                prefix = DEFAULT_PREFIX;
            }
            Files.createDirectories(dir);
            final Properties p = new Properties();
            p.setProperty(PREFIX_PROPERTY, prefix);
            try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                p.store(out, "FactFleet simulated fleet: authorities <prefix>-0, <prefix>-1, ...; keys and device data beside this file. "
                        + "Delete this directory to start a new fleet.");
            }
            return prefix;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read or create " + file + ": " + e.getMessage(), e);
        }
    }

    private static String randomPrefix() {
        return DEFAULT_PREFIX + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** An existing authority is resumed only if it is this fleet's: the same admin key, every device rostered. */
    private static void requireSameFleet(final AuthorityGenesis authority, final JsonNode roster, final Path dir) {
        final String id = authority.authorityId();
        if (!Hashing.hex(authority.adminKey().publicKey()).equals(roster.path("adminPublicKey").asText())) {
            throw new IllegalStateException("authority " + id + " exists already with another admin key: it is not the fleet whose keys are in "
                    + dir + ". Delete " + dir + " to start a new simulated fleet.");
        }
        final Set<String> rostered = new HashSet<>();
        roster.path("members").forEach(m -> rostered.add(m.path("deviceId").asText()));
        final List<String> missing = authority.deviceIds().stream().filter(d -> !rostered.contains(d)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("authority " + id + " was created with " + rostered.size() + " devices; "
                    + String.join(", ", missing) + " are not on its roster and the bridge would refuse them. Run with --simulate-devices "
                    + rostered.size() + ", or delete " + dir + " to start a new simulated fleet.");
        }
    }

    /** The authority's roster once its genesis is folded, or empty while the reducer does not know it; waits out 503s. */
    private static Optional<JsonNode> roster(final Stack stack, final String authorityId, final long deadline) throws InterruptedException {
        final URI uri = URI.create(stack.reducerUrl() + "/authorities/" + authorityId + "/roster");
        while (true) {
            requireRunning(stack);
            String trouble;
            try {
                final HttpResponse<String> response = HTTP.send(stack.operatorGet(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                final JsonNode body = JSON.readTree(response.body());
                if (response.statusCode() == 200) {
                    return body.path("identityEpoch").asLong(-1) >= 0 ? Optional.of(body) : Optional.empty();
                }
                if (response.statusCode() == 404 && "UNKNOWN_AUTHORITY".equals(body.path("code").asText())) {
                    return Optional.empty();
                }
                if (response.statusCode() != 503) {
                    throw new IllegalStateException("GET " + uri + " answered " + response.statusCode() + ": " + response.body());
                }
                trouble = "503 " + body.path("code").asText();
            } catch (final IOException e) {
                trouble = e.toString();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("the reducer did not answer GET " + uri + " in time (last: " + trouble + ")");
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    private static void awaitRoster(final Stack stack, final String authorityId, final long deadline, final Duration timeout)
            throws InterruptedException {
        while (roster(stack, authorityId, deadline).isEmpty()) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("authority " + authorityId + " did not show in the reducer within " + timeout
                        + ": its genesis may have been rejected (see topic factfleet.facts.rejected and " + stack.dataDirectory().serviceLog() + ")");
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    private static void requireRunning(final Stack stack) {
        if (stack.stopping()) {
            throw new IllegalStateException("the stack was stopped");
        }
    }

    /** {@code state.factCount} of the authority in the reducer; -1 when it does not answer with one. */
    private static long factCount(final Stack stack, final String authorityId) {
        try {
            final HttpResponse<String> response = HTTP.send(stack.operatorGet(stateUrl(stack, authorityId)).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? JSON.readTree(response.body()).path("state").path("factCount").asLong(-1) : -1;
        } catch (final IOException e) {
            return -1;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static URI stateUrl(final Stack stack, final String authorityId) {
        return URI.create(stack.reducerUrl() + "/authorities/" + authorityId + "/state");
    }

    /**
     * What is flowing now.
     *
     * @param signed           facts the devices signed since this simulation started
     * @param waiting          facts waiting in the devices' outboxes (mostly those of offline devices)
     * @param online           devices whose link is up
     * @param offlineDevices   devices whose link is down, who keep signing into their outboxes
     * @param failedExchanges  rounds in which an online device could not reach the bridge or was refused (its facts stay in
     *                         its outbox for the next round), since this simulation started
     * @param serverFactCounts each authority's {@code state.factCount} in the reducer (genesis included; -1 if unknown)
     */
    public record Status(long signed, long waiting, int online, List<String> offlineDevices, long failedExchanges,
                         Map<String, Long> serverFactCounts) {
        public long serverFacts() {
            return serverFactCounts.values().stream().mapToLong(c -> Math.max(0, c)).sum();
        }
    }

    /** Counts the devices' facts and asks the reducer for each authority's fact count. */
    public Status status() {
        long waiting = 0;
        long failed = 0;
        int online = 0;
        final List<String> offline = new ArrayList<>();
        for (final SimulatedDevice device : fleet.devices()) {
            waiting += device.agent().outbox().pendingCount();
            failed += device.failedRounds();
            if (device.online()) {
                online++;
            } else {
                offline.add(device.agent().deviceId());
            }
        }
        final Map<String, Long> counts = new LinkedHashMap<>();
        for (final String id : authorityIds) {
            counts.put(id, factCount(stack, id));
        }
        return new Status(fleet.factsSigned(), waiting, online, List.copyOf(offline), failed, counts);
    }

    /**
     * One line of what is flowing, with changes since {@code before}: for example
     * {@code 12:00:10 fleet: 72 facts signed (+18) | 6 waiting in outboxes | 9 online, 3 offline (sim-0-d3, sim-1-d0, sim-1-d1),
     * back online and catching up: sim-0-d0, sim-0-d1, sim-0-d2 | server factCount sim-0 44 (+36), ...}.
     */
    static String line(final Status now, final Status before, final LocalTime at) {
        final StringBuilder s = new StringBuilder();
        s.append(CLOCK.format(at)).append(" fleet: ").append(now.signed()).append(" facts signed (+").append(now.signed() - before.signed())
                .append(") | ").append(now.waiting()).append(" waiting in outboxes | ").append(now.online()).append(" online, ")
                .append(now.offlineDevices().size()).append(" offline");
        if (!now.offlineDevices().isEmpty() && now.offlineDevices().size() <= NAMED_OFFLINE_DEVICES) {
            s.append(" (").append(String.join(", ", now.offlineDevices())).append(')');
        }
        final List<String> back = before.offlineDevices().stream().filter(d -> !now.offlineDevices().contains(d)).toList();
        if (!back.isEmpty()) {
            s.append(", back online and catching up: ")
                    .append(back.size() <= NAMED_OFFLINE_DEVICES ? String.join(", ", back) : back.size() + " devices");
        }
        if (now.failedExchanges() > before.failedExchanges()) {
            s.append(" | ").append(now.failedExchanges() - before.failedExchanges())
                    .append(" exchange(s) with the bridge failed (facts kept for the next round; errors by code in the bridge's /metrics)");
        }
        s.append(" | server factCount ");
        final List<String> parts = new ArrayList<>();
        now.serverFactCounts().forEach((id, count) -> {
            if (parts.size() < LISTED_AUTHORITIES) {
                final Long earlier = before.serverFactCounts().get(id);
                parts.add(id + " " + (count < 0 ? "?" : count + (earlier == null || earlier < 0 ? "" : " (+" + (count - earlier) + ")")));
            }
        });
        s.append(String.join(", ", parts));
        if (now.serverFactCounts().size() > LISTED_AUTHORITIES) {
            s.append(", ... (").append(now.serverFacts()).append(" in ").append(now.serverFactCounts().size()).append(" authorities)");
        }
        return s.toString();
    }

    /**
     * Every {@code interval}, hands {@code sink} a {@linkplain #line status line}, changes counted from the
     * previous line (the first from the simulation's start). Stops with the simulation.
     */
    public synchronized void reportEvery(final Duration interval, final Consumer<String> sink) {
        if (closed || reporter != null) {
            throw new IllegalStateException(closed ? "the simulation is stopped" : "the simulation is reported on already");
        }
        reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "fleet-status");
            t.setDaemon(true);
            return t;
        });
        final Status[] previous = {new Status(0, 0, 0, List.of(), 0, factCountsAtStart)};
        reporter.scheduleAtFixedRate(() -> {
            try {
                final Status now = status();
                sink.accept(line(now, previous[0], LocalTime.now()));
                previous[0] = now;
            } catch (final RuntimeException e) {
                LOG.debug("No status line this time", e);
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops reporting and the devices (each closes its outbox and replica; the next run reopens them). Idempotent. */
    @Override
    public void close() {
        final ScheduledExecutorService r;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            r = reporter;
        }
        if (r != null) {
            r.shutdownNow();
            try {
                r.awaitTermination(10, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        fleet.close();
    }

    public FleetPlan plan() {
        return plan;
    }

    /** The fleet's authorities, in order. */
    public List<String> authorityIds() {
        return authorityIds;
    }

    /** Authorities whose genesis this start produced (the rest were resumed). */
    public List<String> created() {
        return created;
    }

    /** Authorities an earlier run created, resumed without a genesis. */
    public List<String> resumed() {
        return authorityIds.stream().filter(id -> !created.contains(id)).collect(Collectors.toUnmodifiableList());
    }

    /** {@code GET} this for an authority's state. */
    public URI stateUrl(final String authorityId) {
        return stateUrl(stack, authorityId);
    }

    /** Where the fleet's keys and device data are kept. */
    public Path directory() {
        return stack.dataDirectory().simulator();
    }

    /** The simulator itself, for tests. */
    public FleetSimulator fleet() {
        return fleet;
    }
}
