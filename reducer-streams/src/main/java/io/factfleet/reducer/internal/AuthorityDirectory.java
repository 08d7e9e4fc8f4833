package io.factfleet.reducer.internal;

import io.factfleet.contracts.AuthorityEntries;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.reducer.ReducerStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@code GET /authorities}: every authority with folded facts, across all instances. Each instance lists the
 * authorities of its own active {@link ReducerStores#AUTHORITY_ENTRIES} partitions; the one asked queries every other
 * instance that Kafka Streams' metadata names ({@code metadataForAllStreamsClients}) with a forwarded request and
 * merges the answers. If any instance cannot answer (rebalancing, unreachable), the whole answer is a 503
 * {@code STORE_REBALANCING}: a partial list would silently hide authorities.
 */
public final class AuthorityDirectory {
    private final Supplier<KafkaStreams> streams;
    private final Supplier<HostInfo> self;
    private final HttpClient http;
    private final Duration timeout;
    private final int retryAfterSeconds;

    private final String scheme;

    /** @param tls whether the instances serve HTTPS and what the client asking the others trusts */
    public AuthorityDirectory(final Supplier<KafkaStreams> streams, final Supplier<HostInfo> self, final Duration timeout, final int retryAfterSeconds,
                              final io.factfleet.auth.HttpTls tls) {
        this.streams = streams;
        this.self = self;
        this.timeout = timeout;
        this.retryAfterSeconds = retryAfterSeconds;
        this.scheme = tls.scheme();
        this.http = tls.trusting(HttpClient.newBuilder().connectTimeout(timeout)).build();
    }

    /**
     * {@code {authorities: [sorted ids], instances: [host:port, ...]}}.
     *
     * @param forwarded     whether another instance asked: then only this instance's own authorities are listed
     * @param authorization the caller's Authorization header, sent on to the other instances (which authorize the caller
     *                      themselves); null for none
     */
    public HttpAnswer list(final boolean forwarded, final String authorization) {
        final KafkaStreams app = streams.get();
        if (app == null || app.state() != KafkaStreams.State.RUNNING) {
            return HttpAnswer.rebalancing("the reducer is " + (app == null ? "starting" : app.state()) + "; the authorities cannot be listed yet",
                    retryAfterSeconds);
        }
        final TreeSet<String> ids = new TreeSet<>();
        try {
            ids.addAll(local(app));
        } catch (final InvalidStateStoreException e) {
            return HttpAnswer.rebalancing("this instance's stores are not queryable yet: " + e.getMessage(), retryAfterSeconds);
        }
        final List<String> instances = new ArrayList<>();
        instances.add(AuthorityRouter.describe(self.get()));
        if (!forwarded) {
            for (final StreamsMetadata other : app.metadataForAllStreamsClients()) {
                final HostInfo host = other.hostInfo();
                if (host.equals(self.get()) || !other.stateStoreNames().contains(ReducerStores.AUTHORITY_ENTRIES.name())) {
                    continue;
                }
                final String where = AuthorityRouter.describe(host);
                try {
                    final HttpRequest.Builder ask = HttpRequest.newBuilder(URI.create(scheme + "://" + where + "/authorities"))
                            .timeout(timeout).header(AuthorityRouter.FORWARDED_HEADER, "1").header("Accept", "application/json").GET();
                    if (authorization != null) {
                        ask.header("Authorization", authorization);
                    }
                    final HttpResponse<String> response = http.send(ask.build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() != 200) {
                        return HttpAnswer.rebalancing("instance " + where + " could not list its authorities (HTTP " + response.statusCode() + ")",
                                retryAfterSeconds);
                    }
                    final JsonNode body = HttpAnswer.JSON.readTree(response.body());
                    body.path("authorities").forEach(n -> ids.add(n.asText()));
                    instances.add(where);
                } catch (final IOException e) {
                    return HttpAnswer.rebalancing("instance " + where + " is unreachable: " + e, retryAfterSeconds);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return HttpAnswer.rebalancing("interrupted while asking " + where, retryAfterSeconds);
                }
            }
        }
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        final ArrayNode list = body.putArray("authorities");
        ids.forEach(list::add);
        final ArrayNode asked = body.putArray("instances");
        instances.forEach(asked::add);
        return HttpAnswer.json(200, body, Map.of(HttpAnswer.SERVED_BY, AuthorityRouter.describe(self.get())));
    }

    private static List<String> local(final KafkaStreams app) {
        final ReadOnlyKeyValueStore<String, byte[]> store = app.store(StoreQueryParameters.fromNameAndType(ReducerStores.AUTHORITY_ENTRIES.name(),
                QueryableStoreTypes.keyValueStore()));
        return AuthorityEntries.authorities(store);
    }
}
