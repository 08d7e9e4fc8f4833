package io.factfleet.reducer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.factfleet.core.Hashing;
import io.factfleet.core.SaltedBloomFilter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolRequestsTest {

    @Test
    void anEmptySyncRequestTakesTheDefaults() {
        assertThat(ProtocolRequests.sync(bytes("{}")))
                .isEqualTo(new ProtocolQueries.SyncRequest(0, null, false, ProtocolRequests.DEFAULT_SYNC_MAX_BYTES, null));
        assertThat(ProtocolRequests.sync(bytes("{\"afterSeq\":7,\"excludeDevice\":\"d-1\",\"includeOwn\":true,\"maxBytes\":100,\"bloom\":null,"
                + "\"indexId\":\"ignored\",\"merkleRoot\":\"ignored\"}")))
                .isEqualTo(new ProtocolQueries.SyncRequest(7, "d-1", true, 100, null));
    }

    @Test
    void aBloomFilterSurvivesTheJsonRoundTrip() {
        final byte[] salt = new byte[SaltedBloomFilter.SALT_BYTES];
        salt[3] = 9;
        final List<byte[]> held = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            held.add(Hashing.sha256(("held-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        final SaltedBloomFilter sent = SaltedBloomFilter.of(salt, held.size(), 0.01, held);
        final String json = "{\"bloom\":{\"salt\":\"" + Hashing.hex(salt).toUpperCase() + "\",\"hashes\":" + sent.hashes() + ",\"bits\":\""
                + Base64.getEncoder().encodeToString(sent.bitBytes()) + "\"}}";

        final SaltedBloomFilter received = ProtocolRequests.sync(bytes(json)).bloom();

        held.forEach(id -> assertThat(received.mightContain(id)).isTrue());
        for (int i = 0; i < 200; i++) {
            final byte[] other = Hashing.sha256(("other-" + i).getBytes(StandardCharsets.UTF_8));
            assertThat(received.mightContain(other)).isEqualTo(sent.mightContain(other));
        }
    }

    @Test
    void malformedSyncRequestsSayWhatIsWrong() {
        assertBad("", "JSON object");
        assertBad("[1]", "JSON object");
        assertBad("{not json", "not JSON");
        assertBad("{\"afterSeq\":-1}", "afterSeq");
        assertBad("{\"afterSeq\":\"5\"}", "afterSeq");
        assertBad("{\"afterSeq\":1.5}", "afterSeq");
        assertBad("{\"maxBytes\":0}", "maxBytes");
        assertBad("{\"maxBytes\":" + (ProtocolRequests.MAX_SYNC_MAX_BYTES + 1) + "}", "maxBytes");
        assertBad("{\"excludeDevice\":5}", "excludeDevice");
        assertBad("{\"includeOwn\":\"yes\"}", "includeOwn");
        assertBad("{\"bloom\":{\"salt\":\"00\",\"hashes\":3,\"bits\":\"AA==\"}}", "bloom.salt");
        assertBad("{\"bloom\":{\"salt\":\"" + "0".repeat(32) + "\",\"hashes\":33,\"bits\":\"AA==\"}}", "hashes");
        assertBad("{\"bloom\":{\"salt\":\"" + "0".repeat(32) + "\",\"bits\":\"AA==\"}}", "hashes");
        assertBad("{\"bloom\":{\"salt\":\"" + "0".repeat(32) + "\",\"hashes\":3,\"bits\":\"***\"}}", "base64");
        assertBad("{\"bloom\":{\"salt\":\"" + "0".repeat(32) + "\",\"hashes\":3,\"bits\":\"\"}}", "at least one byte");
    }

    @Test
    void factIdsAreCheckedLowerCasedAndLimited() {
        final String id = "AB".repeat(32);
        assertThat(ProtocolRequests.factIds(bytes("{\"factIds\":[\"" + id + "\"]}"))).containsExactly(id.toLowerCase());
        assertThat(ProtocolRequests.factIds(bytes("{\"factIds\":[]}"))).isEmpty();
        assertThatThrownBy(() -> ProtocolRequests.factIds(bytes("{\"factIds\":[\"abc\"]}"))).hasMessageContaining("factIds[0]");
        assertThatThrownBy(() -> ProtocolRequests.factIds(bytes("{\"factIds\":[7]}"))).hasMessageContaining("factIds[0]");
        assertThatThrownBy(() -> ProtocolRequests.factIds(bytes("{\"ids\":[]}"))).hasMessageContaining("factIds");
        final String many = "{\"factIds\":[" + String.join(",", java.util.Collections.nCopies(ProtocolRequests.MAX_STATUS_IDS + 1,
                "\"" + "a".repeat(64) + "\"")) + "]}";
        assertThatThrownBy(() -> ProtocolRequests.factIds(bytes(many))).hasMessageContaining("at most 1000");
    }

    private static void assertBad(final String body, final String mentions) {
        assertThatThrownBy(() -> ProtocolRequests.sync(bytes(body))).as(body).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(mentions);
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
