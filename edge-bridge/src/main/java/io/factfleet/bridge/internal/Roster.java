package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.core.Hashing;
import io.factfleet.core.UpgradeChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;

/**
 * An authority's current roster as the reducer serves it ({@code GET /authorities/{id}/roster}):
 * what the bridge authenticates devices against.
 */
public record Roster(String authorityId, long identityEpoch, int threshold, String adminKeyId, byte[] adminPublicKey, List<Member> members,
                     List<UpgradeChecks.RequiredPackage> requiredPackages) {

    /** One rostered device key, and the packages its latest DeviceMetadata fact says it installed. */
    public record Member(String deviceId, String keyId, byte[] publicKey, Map<String, Long> installed) {
        public Member(final String deviceId, final String keyId, final byte[] publicKey) {
            this(deviceId, keyId, publicKey, Map.of());
        }
    }

    public Roster(final String authorityId, final long identityEpoch, final int threshold, final String adminKeyId, final byte[] adminPublicKey,
                  final List<Member> members) {
        this(authorityId, identityEpoch, threshold, adminKeyId, adminPublicKey, members, List.of());
    }

    /** The member with this device id and key id, if the key is rostered for that device. */
    public Optional<Member> member(final String deviceId, final String keyId) {
        return members.stream().filter(m -> m.deviceId().equals(deviceId) && m.keyId().equals(keyId)).findFirst();
    }

    /** Parses the reducer's roster JSON (public keys in hex). */
    public static Roster fromJson(final JsonNode json) {
        final List<Member> members = new ArrayList<>();
        json.path("members").forEach(m -> {
            final Map<String, Long> installed = new TreeMap<>();
            m.path("installed").properties().forEach(e -> installed.put(e.getKey(), e.getValue().asLong()));
            members.add(new Member(m.path("deviceId").asText(), m.path("keyId").asText(), Hashing.unhex(m.path("publicKey").asText()),
                    Map.copyOf(installed)));
        });
        final List<UpgradeChecks.RequiredPackage> required = new ArrayList<>();
        json.path("requiredPackages").forEach(r -> required.add(new UpgradeChecks.RequiredPackage(r.path("packageId").asText(),
                r.path("version").asLong(), r.path("proposalId").asText(), r.path("activationFence").asLong())));
        final String adminKey = json.path("adminPublicKey").asText("");
        return new Roster(json.path("authorityId").asText(), json.path("identityEpoch").asLong(), json.path("threshold").asInt(),
                json.path("adminKeyId").asText(""), adminKey.isEmpty() ? new byte[0] : Hashing.unhex(adminKey), List.copyOf(members),
                List.copyOf(required));
    }
}
