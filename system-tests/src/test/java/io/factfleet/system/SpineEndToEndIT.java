package io.factfleet.system;

import io.factfleet.testkit.TestOperators;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.Reducer;
import io.factfleet.core.StateDigest;
import io.factfleet.reducer.ReducerService;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.testkit.Await;
import io.factfleet.testkit.KafkaClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spine, end to end, on three brokers: signed facts produced to factfleet.facts.inbound pass
 * ingest into the journal and become visible through GET /authorities/{id}/state on either of two
 * reducer instances, each answering for authorities the other owns, with the digest the core
 * computes over the same facts.
 */
class SpineEndToEndIT {
    @RegisterExtension
    static final KafkaClusterExtension KAFKA = KafkaClusterExtension.brokers(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Ed25519Keys.SigningKey OPERATOR = Ed25519Keys.generate();
    private static final int AUTHORITIES = 16;

    @TempDir
    static Path dataDir;
    private static InProcessSpine spine;
    private static final List<ReducerService> REDUCERS = new ArrayList<>();
    private static final Map<String, List<FactEnvelope>> SENT = new LinkedHashMap<>();

    @BeforeAll
    static void startTheSpine() {
        spine = InProcessSpine.start(KAFKA, dataDir, OPERATOR, 2, 6, 3);
        REDUCERS.addAll(spine.reducers);
        for (int a = 0; a < AUTHORITIES; a++) {
            final AuthorityGenesis authority = AuthorityGenesis.generate("e2e-" + a, 3, 2);
            final List<FactEnvelope> facts = new ArrayList<>();
            facts.add(authority.genesisFact(OPERATOR));
            for (int f = 0; f < 5; f++) {
                facts.add(authority.device(f % 3).journalEntry(0, ("k" + f).getBytes(), ("v" + f).getBytes()));
            }
            facts.add(authority.device(1).cacheInvalidated(0, List.of("cache-" + a), a));
            facts.forEach(spine::publishAsync);
            SENT.put(authority.authorityId(), facts);
        }
        spine.flush();
    }

    @AfterAll
    static void stopTheSpine() {
        if (spine != null) {
            spine.close();
        }
    }

    private static JsonNode get(final ReducerService reducer, final String path) throws Exception {
        final HttpResponse<String> response = HTTP.send(TestOperators.get(URI.create("http://" + reducer.applicationServer() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return null;
        }
        return JSON.readTree(response.body());
    }

    private static JsonNode stateWhenComplete(final ReducerService reducer, final String authority) {
        final JsonNode[] answer = new JsonNode[1];
        Await.until(authority + " is complete at " + reducer.applicationServer(), Duration.ofSeconds(60), () -> {
            answer[0] = get(reducer, "/authorities/" + authority + "/state");
            return answer[0] != null && answer[0].path("state").path("factCount").asLong() == SENT.get(authority).size();
        });
        return answer[0];
    }

    @Test
    void aSignedFactProducedToInboundIsVisibleThroughEitherReducerWithTheCoresDigest() throws Exception {
        int forwardedAnswers = 0;
        for (final String authority : SENT.keySet()) {
            final String expectedDigest = StateDigest.hex(Reducer.standard().reduce(authority, SENT.get(authority)));
            final JsonNode fromFirst = stateWhenComplete(REDUCERS.get(0), authority);
            final JsonNode fromSecond = stateWhenComplete(REDUCERS.get(1), authority);
            assertThat(fromFirst.path("digest").asText()).isEqualTo(expectedDigest);
            assertThat(fromSecond.path("digest").asText()).isEqualTo(expectedDigest);
            assertThat(fromFirst.path("servedBy").asText()).isEqualTo(fromSecond.path("servedBy").asText());
            assertThat(fromFirst.path("state").path("journalEntryCount").asLong()).isEqualTo(5);
            forwardedAnswers++;
        }
        assertThat(forwardedAnswers).isEqualTo(AUTHORITIES);
    }

    @Test
    void eachInstanceAnswersForAuthoritiesTheOtherOwns() throws Exception {
        final Map<String, List<String>> ownedBy = new HashMap<>();
        for (final String authority : SENT.keySet()) {
            final String owner = stateWhenComplete(REDUCERS.get(0), authority).path("servedBy").asText();
            ownedBy.computeIfAbsent(owner, k -> new ArrayList<>()).add(authority);
        }
        assertThat(ownedBy.keySet()).as("both instances own some authorities")
                .containsExactlyInAnyOrder(REDUCERS.get(0).applicationServer(), REDUCERS.get(1).applicationServer());
        for (int i = 0; i < 2; i++) {
            final ReducerService asked = REDUCERS.get(i);
            final ReducerService owner = REDUCERS.get(1 - i);
            for (final String authority : ownedBy.get(owner.applicationServer())) {
                final JsonNode answer = stateWhenComplete(asked, authority);
                assertThat(answer.path("servedBy").asText()).as("%s answered by its owner", authority).isEqualTo(owner.applicationServer());
                assertThat(answer.path("digest").asText()).isEqualTo(StateDigest.hex(Reducer.standard().reduce(authority, SENT.get(authority))));
            }
        }
    }

    @Test
    void theMerkleRootOfEachAuthorityIsTheCoresRootOverTheSentFactIds() throws Exception {
        for (final String authority : SENT.keySet()) {
            stateWhenComplete(REDUCERS.get(1), authority);
            final List<byte[]> ids = new ArrayList<>();
            SENT.get(authority).forEach(f -> ids.add(Facts.id(f)));
            final JsonNode merkle = get(REDUCERS.get(1), "/authorities/" + authority + "/merkle");
            assertThat(merkle.path("merkleRoot").asText()).isEqualTo(Hashing.hex(MerkleRoot.of(ids)));
        }
    }
}
