package io.factfleet.reducer.internal;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.JournalKey;
import io.factfleet.reducer.ReducerStores;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsNotStartedException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the instance whose active task owns an authority and gets the answer there: computed
 * locally when that is this instance, otherwise fetched over HTTP from the owner and relayed byte
 * for byte (a POST with its body). Either way the answer carries {@value HttpAnswer#SERVED_BY}, the
 * owner's {@code application.server}. A forwarded request carries {@value #FORWARDED_HEADER} and is
 * never forwarded again, so instances with momentarily different views of the assignment cannot
 * bounce a request between them. A forwarded request carries the caller's own Authorization header: the owner
 * authenticates and authorizes the caller again (a signed request verifies there too, since method, path and body are
 * the same), so no instance needs a service identity broader than its callers'.
 * Whenever the owner is unknown, restoring, moving or unreachable, the answer is a 503
 * {@code STORE_REBALANCING} with {@code Retry-After}.
 */
public final class AuthorityRouter {
    public static final String FORWARDED_HEADER = "X-FactFleet-Forwarded";
    private static final Logger LOG = LoggerFactory.getLogger(AuthorityRouter.class);

    /** What to compute when this instance owns the authority: given the authority and its partition. */
    @FunctionalInterface
    public interface LocalView {
        HttpAnswer answer(String authorityId, int partition);
    }

    private static final AuthorityPartitioner PARTITIONER = new AuthorityPartitioner();

    private final Supplier<KafkaStreams> streams;
    private final Supplier<HostInfo> self;
    private final HttpClient http;
    private final Duration timeout;
    private final int retryAfterSeconds;

    private final String scheme;

    /** @param tls whether the instances serve HTTPS (then forwarding does too) and what the forwarding client trusts */
    public AuthorityRouter(final Supplier<KafkaStreams> streams, final Supplier<HostInfo> self, final Duration timeout, final int retryAfterSeconds,
                           final io.factfleet.auth.HttpTls tls) {
        this.streams = streams;
        this.self = self;
        this.timeout = timeout;
        this.retryAfterSeconds = retryAfterSeconds;
        this.scheme = tls.scheme();
        this.http = tls.trusting(HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)).build();
    }

    /**
     * Routes a GET.
     *
     * @param pathAndQuery the request's raw path and query, replayed to the owner
     * @param forwarded    whether the request was already forwarded by another instance
     */
    public HttpAnswer route(final String authorityId, final String pathAndQuery, final boolean forwarded, final LocalView local) {
        return route(authorityId, pathAndQuery, null, null, forwarded, local);
    }

    /**
     * Routes a GET ({@code jsonBody} null) or a POST of a JSON body.
     *
     * @param pathAndQuery the request's raw path and query, replayed to the owner
     * @param jsonBody     the body, replayed to the owner as {@code application/json}; null for a GET
     * @param authorization the caller's Authorization header, replayed to the owner; null for none
     * @param forwarded    whether the request was already forwarded by another instance
     */
    public HttpAnswer route(final String authorityId, final String pathAndQuery, final byte[] jsonBody, final String authorization,
                            final boolean forwarded, final LocalView local) {
        if (!JournalKey.isValidAuthorityId(authorityId)) {
            return HttpAnswer.error(400, HttpAnswer.ErrorCode.BAD_REQUEST, "'" + authorityId + "' is not a valid authority id ("
                    + JournalKey.AUTHORITY_ID.pattern() + ")");
        }
        final KafkaStreams app = streams.get();
        if (app == null) {
            return rebalancing("the reducer is starting");
        }
        final KeyQueryMetadata owner;
        try {
            // The journal's partitioner, so the partition found is the one the authority's facts are in.
            owner = app.queryMetadataForKey(ReducerStores.AUTHORITY_ENTRIES.name(), authorityId, PARTITIONER);
        } catch (final StreamsNotStartedException | IllegalStateException e) {
            return rebalancing("the reducer is not running: " + e.getMessage());
        }
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE) || owner.activeHost() == null
                || owner.activeHost().equals(HostInfo.unavailable())) {
            return rebalancing("no instance owns authority " + authorityId + " right now (state " + app.state() + ")");
        }
        if (owner.activeHost().equals(self.get())) {
            try {
                return local.answer(authorityId, owner.partition()).withHeader(HttpAnswer.SERVED_BY, describe(owner.activeHost()));
            } catch (final InvalidStateStoreException e) {
                return rebalancing("the store of authority " + authorityId + " is not queryable here yet: " + e.getMessage());
            }
        }
        if (forwarded) {
            return rebalancing("the instances disagree on who owns authority " + authorityId + "; this one thinks "
                    + describe(owner.activeHost()) + " does");
        }
        return forward(owner.activeHost(), pathAndQuery, jsonBody, authorization);
    }

    private HttpAnswer forward(final HostInfo owner, final String pathAndQuery, final byte[] jsonBody, final String authorization) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(scheme + "://" + describe(owner) + pathAndQuery))
                .timeout(timeout)
                .header(FORWARDED_HEADER, "1")
                .header("Accept", "application/json");
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (jsonBody == null) {
            builder.GET();
        } else {
            builder.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(jsonBody));
        }
        final HttpRequest request = builder.build();
        try {
            final HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            final Map<String, String> headers = new LinkedHashMap<>();
            for (final String name : new String[] {HttpAnswer.RETRY_AFTER, HttpAnswer.SERVED_BY}) {
                response.headers().firstValue(name).ifPresent(v -> headers.put(name, v));
            }
            return new HttpAnswer(response.statusCode(), response.body(), headers);
        } catch (final IOException e) {
            LOG.debug("Owner {} of {} is unreachable", describe(owner), pathAndQuery, e);
            return rebalancing("the owner " + describe(owner) + " is unreachable: " + e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return rebalancing("interrupted while asking the owner " + describe(owner));
        }
    }

    private HttpAnswer rebalancing(final String message) {
        return HttpAnswer.rebalancing(message, retryAfterSeconds);
    }

    static String describe(final HostInfo host) {
        return host.host() + ":" + host.port();
    }
}
