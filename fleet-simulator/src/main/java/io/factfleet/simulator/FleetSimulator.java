package io.factfleet.simulator;

import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.device.Backoff;
import io.factfleet.device.DeviceAgent;
import io.factfleet.device.DeviceKeyStore;
import io.factfleet.schema.FactEnvelope;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet of simulated devices, each with its own key (kept in its data directory) and its own
 * device-SDK agent talking to the edge bridge. Authorities are created by an operator: their
 * genesis facts go to {@code genesisSink} (the local stack produces them to the inbound topic).
 * Online devices sign facts every tick and exchange with the bridge; offline devices keep signing
 * into their outboxes and catch up when their turn offline ends.
 */
public final class FleetSimulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetSimulator.class);

    private final FleetPlan plan;
    private final Map<String, List<SimulatedDevice>> fleet = new LinkedHashMap<>();
    private final List<AuthorityGenesis> authorities = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "fleet-simulator");
        t.setDaemon(true);
        return t;
    });
    private long ticks;

    private FleetSimulator(final FleetPlan plan) {
        this.plan = plan;
    }

    /**
     * Builds the fleet under {@code dataDir} (one directory per device, reused on a later run) and
     * hands each authority's genesis, signed by {@code operatorKey}, to {@code genesisSink}.
     */
    public static FleetSimulator create(final FleetPlan plan, final String authorityPrefix, final Path dataDir, final URI bridge,
                                        final Ed25519Keys.SigningKey operatorKey, final Consumer<FactEnvelope> genesisSink) {
        final FleetSimulator simulator = new FleetSimulator(plan);
        for (int a = 0; a < plan.authorities(); a++) {
            final String authorityId = authorityPrefix + "-" + a;
            final Map<String, Ed25519Keys.SigningKey> keys = new LinkedHashMap<>();
            for (int d = 0; d < plan.devicesPerAuthority(); d++) {
                final String deviceId = authorityId + "-d" + d;
                keys.put(deviceId, DeviceKeyStore.loadOrCreate(deviceDir(dataDir, authorityId, deviceId).resolve("device.key")));
            }
            final Ed25519Keys.SigningKey admin = DeviceKeyStore.loadOrCreate(dataDir.resolve(authorityId).resolve("admin.key"));
            final AuthorityGenesis genesis = AuthorityGenesis.of(authorityId, keys, admin, plan.threshold());
            simulator.authorities.add(genesis);
            genesisSink.accept(genesis.genesisFact(operatorKey));
            final List<SimulatedDevice> devices = new ArrayList<>();
            keys.forEach((deviceId, key) -> devices.add(new SimulatedDevice(() -> DeviceAgent.open(authorityId, deviceId, key,
                    deviceDir(dataDir, authorityId, deviceId), bridge, new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10)),
                    System::currentTimeMillis), deviceDir(dataDir, authorityId, deviceId))));
            simulator.fleet.put(authorityId, devices);
        }
        return simulator;
    }

    private static Path deviceDir(final Path dataDir, final String authorityId, final String deviceId) {
        return dataDir.resolve(authorityId).resolve(deviceId);
    }

    /** Runs rounds every tick in the background until {@link #close}. */
    public void start() {
        scheduler.scheduleWithFixedDelay(this::round, 0, plan.tick().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One round: apply the online schedule, sign, exchange. Also callable directly by tests. */
    public synchronized void round() {
        try {
            applySchedule();
            for (final List<SimulatedDevice> devices : fleet.values()) {
                for (final SimulatedDevice device : devices) {
                    // Offline devices keep working: what they sign waits in their outbox.
                    device.produce(plan.factsPerDevicePerTick());
                    device.exchange();
                }
            }
            ticks++;
        } catch (final RuntimeException e) {
            LOG.warn("Simulator round failed; the next one retries", e);
        }
    }

    /** Rotates which devices are offline: the same share at any time, a new group every offline period. */
    private void applySchedule() {
        final List<SimulatedDevice> all = devices();
        final int offline = (int) Math.round(all.size() * plan.offlineFraction());
        final long periodTicks = Math.max(1, plan.offlinePeriod().toMillis() / Math.max(1, plan.tick().toMillis()));
        final int start = (int) ((ticks / periodTicks) * offline % Math.max(1, all.size()));
        for (int i = 0; i < all.size(); i++) {
            final int position = Math.floorMod(i - start, all.size());
            all.get(i).setOnline(position >= offline);
        }
    }

    public List<SimulatedDevice> devices() {
        final List<SimulatedDevice> all = new ArrayList<>();
        fleet.values().forEach(all::addAll);
        return all;
    }

    public List<SimulatedDevice> devicesOf(final String authorityId) {
        return fleet.getOrDefault(authorityId, List.of());
    }

    public List<AuthorityGenesis> authorities() {
        return List.copyOf(authorities);
    }

    public long factsSigned() {
        return devices().stream().mapToLong(SimulatedDevice::signed).sum();
    }

    public long factsWaitingInOutboxes() {
        return devices().stream().mapToLong(d -> d.agent().outbox().pendingCount()).sum();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        devices().stream().filter(d -> !d.stopped()).forEach(d -> d.agent().close());
    }
}
