package io.factfleet.simulator;

import io.factfleet.device.BridgeException;
import io.factfleet.device.DeviceAgent;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/** One simulated device: an SDK agent and whether its link is up. */
public final class SimulatedDevice {
    private final java.util.function.Supplier<DeviceAgent> opener;
    private final java.nio.file.Path dataDir;
    private volatile DeviceAgent agent;
    private final AtomicLong signed = new AtomicLong();
    private final AtomicLong failedRounds = new AtomicLong();
    private volatile boolean online = true;
    private volatile boolean forcedOffline;
    private volatile boolean stopped;

    SimulatedDevice(final java.util.function.Supplier<DeviceAgent> opener, final java.nio.file.Path dataDir) {
        this.opener = opener;
        this.dataDir = dataDir;
        this.agent = opener.get();
    }

    public DeviceAgent agent() {
        return agent;
    }

    /** Where this device keeps its key, outbox, replica and cursor. */
    public java.nio.file.Path dataDir() {
        return dataDir;
    }

    public boolean online() {
        return online && !forcedOffline && !stopped;
    }

    void setOnline(final boolean online) {
        this.online = online;
    }

    /** Takes the link down (or up) regardless of the fleet's schedule. */
    public void forceOffline(final boolean offline) {
        this.forcedOffline = offline;
    }

    /** Closes the device as a dead process would leave it: the next rounds skip it until {@link #restart}. */
    public synchronized void stop() {
        stopped = true;
        agent.close();
    }

    /** Reopens the device from its data directory (key, outbox, replica and cursor as the disk holds them). */
    public synchronized void restart() {
        agent = opener.get();
        stopped = false;
    }

    public boolean stopped() {
        return stopped;
    }

    public long signed() {
        return signed.get();
    }

    public long failedRounds() {
        return failedRounds.get();
    }

    /** Signs {@code count} application facts into the outbox (online or not: that is the point of the outbox). */
    void produce(final int count) {
        if (stopped) {
            return;
        }
        for (int i = 0; i < count; i++) {
            final long n = signed.incrementAndGet();
            agent.sign(new io.factfleet.schema.JournalEntry(ByteBuffer.wrap(("reading-" + n).getBytes()),
                    ByteBuffer.wrap(Long.toString(System.nanoTime()).getBytes()), "text/plain"));
        }
    }

    /** Sends what is due and catches up, if the link is up. */
    void exchange() {
        if (!online()) {
            return;
        }
        try {
            agent.runOnce();
            // An honest device: it approves a snapshot proposal when the digest matches its own replica.
            if (agent.approveOpenSnapshots().stream().anyMatch(DeviceAgent.SnapshotDecision::approved)) {
                agent.flush();
            }
        } catch (final BridgeException e) {
            failedRounds.incrementAndGet(); // the outbox keeps everything; the next round retries
        }
    }
}
