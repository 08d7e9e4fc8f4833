package io.factfleet.bridge.internal;

/** An authenticated device: it proved possession of {@code keyId}, rostered for {@code deviceId} in {@code roster}. */
public record Caller(String authorityId, String deviceId, String keyId, Roster roster) {
    /** The peer-state key of this device. */
    public String peerKey() {
        return PeerRegistry.key(authorityId, deviceId);
    }
}
