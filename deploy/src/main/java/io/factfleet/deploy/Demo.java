package io.factfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.schema.FactEnvelope;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows the path of a fact through a running {@link Stack}: signed facts of the {@link DemoAuthority}
 * are produced to {@code factfleet.facts.inbound}, fact-ingest admits them to the journal, the reducer
 * folds them, and {@code GET /authorities/{id}/state} shows them.
 *
 * <p>The first run produces the authority's genesis (signed by the stack's operator key) and three
 * journal entries from its devices; every later run, on the same data directory, adds one journal
 * entry to the same authority.
 */
public final class Demo {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Demo() {
    }

    /**
     * What a demo run did and saw.
     *
     * @param authorityId      the demo authority
     * @param produced         facts produced to the inbound topic by this run
     * @param factCount        facts in the authority's state once this run's facts were folded
     * @param journalEntries   journal entries in that state
     * @param digest           the state digest
     * @param stateUrl         {@code GET} this for the state
     */
    public record Result(String authorityId, int produced, long factCount, long journalEntries, String digest, URI stateUrl) {
        public URI factsUrl() {
            return URI.create(stateUrl.toString().replaceFirst("/state$", "/facts"));
        }
    }

    /**
     * Produces this run's facts and waits, up to {@code timeout}, until the reducer's state shows them.
     *
     * @throws IllegalStateException if the facts are not visible in time (they may have been rejected)
     */
    public static Result run(final Stack stack, final Duration timeout) throws InterruptedException {
        final AuthorityGenesis authority = DemoAuthority.loadOrCreate(stack.dataDirectory().demoAuthority(), stack.localBroker().isEmpty());
        // The coordinators act for the demo authority with its admin key.
        io.factfleet.core.AdminKeyRing.put(stack.dataDirectory().adminKeys(), authority.authorityId(), authority.adminKey());
        final URI stateUrl = URI.create(stack.reducerUrl() + "/authorities/" + authority.authorityId() + "/state");
        final long deadline = System.nanoTime() + timeout.toNanos();

        final long before = currentFactCount(stack, stateUrl, deadline);
        final List<FactEnvelope> facts = new ArrayList<>();
        if (before == 0) {
            facts.add(authority.genesisFact(stack.operatorKey()));
            facts.add(authority.device(0).journalEntry(0, bytes("firmware.channel"), bytes("stable")));
            facts.add(authority.device(1).journalEntry(0, bytes("site.name"), bytes("Demo site")));
            facts.add(authority.device(2).journalEntry(0, bytes("maintenance.window"), bytes("Sun 02:00-04:00")));
        }
        facts.add(authority.device(0).journalEntry(0, bytes("demo.last.run"), bytes(Instant.now().toString())));
        try {
            OperatorFacts.produce(stack, "factfleet-demo", facts);
        } catch (final IllegalStateException e) {
            throw new IllegalStateException("cannot produce the demo facts: " + e.getMessage(), e);
        }
        LOG.info("Demo: produced {} signed fact(s) of authority {} to {}", facts.size(), authority.authorityId(), FactFleetTopics.INBOUND.name());

        // A lower bound whatever happened in an interrupted earlier run: every fact of this run is new.
        final long expected = before + facts.size();
        while (true) {
            final JsonNode state = get(stack, stateUrl);
            if (state != null && state.path("state").path("factCount").asLong(-1) >= expected) {
                return new Result(authority.authorityId(), facts.size(), state.path("state").path("factCount").asLong(),
                        state.path("state").path("journalEntryCount").asLong(), state.path("digest").asText(), stateUrl);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("The demo's facts did not show in " + stateUrl + " within " + timeout + " (expected "
                        + expected + " facts, last answer: " + state + "). Rejected facts are in topic " + FactFleetTopics.REJECTED.name()
                        + " with their reason; see also " + stack.dataDirectory().serviceLog());
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /** The authority's fact count: 0 while it is unknown, after waiting out any 503 of a rebalance. */
    private static long currentFactCount(final Stack stack, final URI stateUrl, final long deadline) throws InterruptedException {
        while (true) {
            try {
                final HttpResponse<String> response = HTTP.send(stack.operatorGet(stateUrl).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return JSON.readTree(response.body()).path("state").path("factCount").asLong();
                }
                if (response.statusCode() == 404 && "UNKNOWN_AUTHORITY".equals(JSON.readTree(response.body()).path("code").asText())) {
                    return 0;
                }
            } catch (final IOException e) {
                LOG.debug("The reducer did not answer {} yet: {}", stateUrl, e.toString());
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("The reducer did not answer " + stateUrl + " in time");
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /** The body of a 200 answer, else null. */
    private static JsonNode get(final Stack stack, final URI uri) throws InterruptedException {
        try {
            final HttpResponse<String> response = HTTP.send(stack.operatorGet(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? JSON.readTree(response.body()) : null;
        } catch (final IOException e) {
            return null;
        }
    }

    private static byte[] bytes(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
