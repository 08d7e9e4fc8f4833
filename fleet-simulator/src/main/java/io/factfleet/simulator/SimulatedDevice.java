package io.factfleet.simulator;

import io.factfleet.device.BridgeException;
import io.factfleet.device.DeviceAgent;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/** One simulated device: an SDK agent and whether its link is up. */
public final class SimulatedDevice {
    private final DeviceAgent agent;
    private final AtomicLong signed = new AtomicLong();
    private final AtomicLong failedRounds = new AtomicLong();
    private volatile boolean online = true;

    SimulatedDevice(final DeviceAgent agent) {
        this.agent = agent;
    }

    public DeviceAgent agent() {
        return agent;
    }

    public boolean online() {
        return online;
    }

    void setOnline(final boolean online) {
        this.online = online;
    }

    public long signed() {
        return signed.get();
    }

    public long failedRounds() {
        return failedRounds.get();
    }

    /** Signs {@code count} application facts into the outbox (online or not: that is the point of the outbox). */
    void produce(final int count) {
        for (int i = 0; i < count; i++) {
            final long n = signed.incrementAndGet();
            agent.sign(new io.factfleet.schema.JournalEntry(ByteBuffer.wrap(("reading-" + n).getBytes()),
                    ByteBuffer.wrap(Long.toString(System.nanoTime()).getBytes()), "text/plain"));
        }
    }

    /** Sends what is due and catches up, if the link is up. */
    void exchange() {
        if (!online) {
            return;
        }
        try {
            agent.runOnce();
        } catch (final BridgeException e) {
            failedRounds.incrementAndGet(); // the outbox keeps everything; the next round retries
        }
    }
}
