package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.factfleet.core.Hashing;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An authority's current roster as the reducer serves it ({@code GET /authorities/{id}/roster}):
 * what the bridge authenticates devices against.
 */
public record Roster(String authorityId, long identityEpoch, int threshold, String adminKeyId, byte[] adminPublicKey, List<Member> members) {

    /** One rostered device key. */
    public record Member(String deviceId, String keyId, byte[] publicKey) {
    }

    /** The member with this device id and key id, if the key is rostered for that device. */
    public Optional<Member> member(final String deviceId, final String keyId) {
        return members.stream().filter(m -> m.deviceId().equals(deviceId) && m.keyId().equals(keyId)).findFirst();
    }

    /** Parses the reducer's roster JSON (public keys in hex). */
    public static Roster fromJson(final JsonNode json) {
        final List<Member> members = new ArrayList<>();
        json.path("members").forEach(m -> members.add(new Member(m.path("deviceId").asText(), m.path("keyId").asText(),
                Hashing.unhex(m.path("publicKey").asText()))));
        final String adminKey = json.path("adminPublicKey").asText("");
        return new Roster(json.path("authorityId").asText(), json.path("identityEpoch").asLong(), json.path("threshold").asInt(),
                json.path("adminKeyId").asText(""), adminKey.isEmpty() ? new byte[0] : Hashing.unhex(adminKey), List.copyOf(members));
    }
}
