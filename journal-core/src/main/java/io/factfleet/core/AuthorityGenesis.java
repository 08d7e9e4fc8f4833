package io.factfleet.core;

import io.factfleet.schema.AuthorityCreated;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.RosterMember;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to create an authority: device keys, an admin key, a threshold, and the
 * genesis fact signed by an operator root key. Used by the simulator, the bench and tests; a real
 * deployment creates the keys on the devices and sends only public keys to the operator.
 */
public final class AuthorityGenesis {
    private final String authorityId;
    private final Map<String, Ed25519Keys.SigningKey> deviceKeys;
    private final Ed25519Keys.SigningKey adminKey;
    private final int threshold;

    private AuthorityGenesis(final String authorityId, final Map<String, Ed25519Keys.SigningKey> deviceKeys,
                             final Ed25519Keys.SigningKey adminKey, final int threshold) {
        this.authorityId = authorityId;
        this.deviceKeys = deviceKeys;
        this.adminKey = adminKey;
        this.threshold = threshold;
    }

    /** Fresh keys for devices {@code <authorityId>-d0 .. d(n-1)} with threshold M. */
    public static AuthorityGenesis generate(final String authorityId, final int devices, final int threshold) {
        final Map<String, Ed25519Keys.SigningKey> keys = new LinkedHashMap<>();
        for (int i = 0; i < devices; i++) {
            keys.put(authorityId + "-d" + i, Ed25519Keys.generate());
        }
        return new AuthorityGenesis(authorityId, keys, Ed25519Keys.generate(), threshold);
    }

    /** An authority from existing keys (device id to key, in roster order). */
    public static AuthorityGenesis of(final String authorityId, final Map<String, Ed25519Keys.SigningKey> deviceKeys,
                                      final Ed25519Keys.SigningKey adminKey, final int threshold) {
        return new AuthorityGenesis(authorityId, new LinkedHashMap<>(deviceKeys), adminKey, threshold);
    }

    public String authorityId() {
        return authorityId;
    }

    public int threshold() {
        return threshold;
    }

    public Ed25519Keys.SigningKey adminKey() {
        return adminKey;
    }

    public List<String> deviceIds() {
        return List.copyOf(deviceKeys.keySet());
    }

    public DeviceSigner device(final String deviceId) {
        final Ed25519Keys.SigningKey key = deviceKeys.get(deviceId);
        if (key == null) {
            throw new IllegalArgumentException("no device " + deviceId + " in " + authorityId);
        }
        return new DeviceSigner(authorityId, deviceId, key);
    }

    public DeviceSigner device(final int index) {
        return device(deviceIds().get(index));
    }

    public DeviceSigner admin() {
        return new DeviceSigner(authorityId, "admin", adminKey);
    }

    public List<Ed25519Keys.SigningKey> deviceKeys() {
        return new ArrayList<>(deviceKeys.values());
    }

    /** The AuthorityCreated fact, signed by the operator root key. */
    public FactEnvelope genesisFact(final Ed25519Keys.SigningKey operatorKey) {
        final List<RosterMember> members = new ArrayList<>();
        deviceKeys.forEach((id, key) -> members.add(new RosterMember(id, ByteBuffer.wrap(key.publicKey()))));
        final AuthorityCreated created = new AuthorityCreated(members, threshold, ByteBuffer.wrap(adminKey.publicKey()));
        return new DeviceSigner(authorityId, "operator", operatorKey).sign(0, created);
    }
}
