package io.factfleet.reducer.internal;

import io.factfleet.contracts.AuthorityEntries;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.MerkleRoot;
import io.factfleet.core.StateDigest;
import io.factfleet.reducer.ReducerStores;
import io.factfleet.schema.FactBody;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.state.MaintenanceState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The answers this instance computes from its own active stores for an authority it owns. Each
 * method reads the one partition the authority lives in and throws
 * {@link org.apache.kafka.streams.errors.InvalidStateStoreException} while that store is not
 * queryable here; {@link AuthorityRouter} turns that into a 503.
 *
 * <p>The Merkle root is computed on each query from the authority's sorted fact ids (a key-only scan
 * of {@link ReducerStores#FACT_IDS}); keeping it incrementally would need a persistent tree and is
 * not worth it until authorities hold far more facts than a scan can read in a request.
 */
public final class LocalAuthorityViews {
    private final Supplier<KafkaStreams> streams;
    private final Supplier<String> servedBy;

    /**
     * @param streams  the running application (a supplier: the HTTP server starts before Streams)
     * @param servedBy this instance's {@code application.server}, written into every answer (a supplier: known once HTTP is bound)
     */
    public LocalAuthorityViews(final Supplier<KafkaStreams> streams, final Supplier<String> servedBy) {
        this.streams = streams;
        this.servedBy = servedBy;
    }

    /** {@code {authorityId, servedBy, digest, state}}. */
    public HttpAnswer state(final String authorityId, final int partition) {
        final MaintenanceState state = AuthorityEntries.state(store(ReducerStores.AUTHORITY_ENTRIES, partition), authorityId);
        if (state == null) {
            return unknown(authorityId);
        }
        final ObjectNode body = header(authorityId);
        body.put("digest", StateDigest.hex(state));
        body.set("state", AvroJson.of(state));
        return HttpAnswer.ok(body);
    }

    /** {@code {authorityId, servedBy, facts: [...], next}}: up to {@code limit} facts after {@code after}, in canonical order. */
    public HttpAnswer facts(final String authorityId, final int partition, final String after, final int limit) {
        if (!AuthorityEntries.exists(store(ReducerStores.AUTHORITY_ENTRIES, partition), authorityId)) {
            return unknown(authorityId);
        }
        final String prefix = FactKeys.authorityPrefix(authorityId);
        String from = prefix;
        if (after != null) {
            from = store(ReducerStores.FACT_IDS, partition).get(JournalKey.of(authorityId, after));
            if (from == null) {
                return HttpAnswer.error(400, HttpAnswer.ErrorCode.UNKNOWN_CURSOR,
                        "fact " + after + " is not in the index of authority " + authorityId + " (never folded, or pruned)");
            }
        }
        final List<FactEnvelope> page = new ArrayList<>(limit);
        boolean more = false;
        try (KeyValueIterator<String, FactEnvelope> it = store(ReducerStores.FACT_INDEX, partition).range(from, FactKeys.upperBound(prefix))) {
            while (it.hasNext()) {
                final KeyValue<String, FactEnvelope> entry = it.next();
                if (entry.key.equals(from)) {
                    continue;
                }
                if (page.size() == limit) {
                    more = true;
                    break;
                }
                page.add(entry.value);
            }
        }
        final ObjectNode body = header(authorityId);
        final ArrayNode facts = body.putArray("facts");
        for (final FactEnvelope fact : page) {
            final FactBody b = fact.getBody();
            final ObjectNode f = facts.addObject();
            f.put("factId", Facts.idHex(fact));
            f.put("kind", Facts.kind(fact));
            f.put("identityEpoch", b.getIdentityEpoch());
            f.put("deviceId", b.getDeviceId());
            f.put("signerKeyId", b.getSignerKeyId());
            f.put("issuedAtMillis", b.getIssuedAtMillis());
        }
        if (more) {
            body.put("next", Facts.idHex(page.get(page.size() - 1)));
        } else {
            body.putNull("next");
        }
        return HttpAnswer.ok(body);
    }

    /** {@code {authorityId, servedBy, factCount, merkleRoot}} over the fact ids in the index. */
    public HttpAnswer merkle(final String authorityId, final int partition) {
        if (!AuthorityEntries.exists(store(ReducerStores.AUTHORITY_ENTRIES, partition), authorityId)) {
            return unknown(authorityId);
        }
        final String prefix = FactKeys.authorityPrefix(authorityId);
        final List<byte[]> ids = new ArrayList<>();
        try (KeyValueIterator<String, String> it = store(ReducerStores.FACT_IDS, partition).range(prefix, FactKeys.upperBound(prefix))) {
            while (it.hasNext()) {
                ids.add(Hashing.unhex(FactKeys.factIdHexOf(it.next().key)));
            }
        }
        final ObjectNode body = header(authorityId);
        body.put("factCount", ids.size());
        body.put("merkleRoot", Hashing.hex(MerkleRoot.of(ids)));
        return HttpAnswer.ok(body);
    }

    private ObjectNode header(final String authorityId) {
        final ObjectNode body = HttpAnswer.JSON.createObjectNode();
        body.put("authorityId", authorityId);
        body.put("servedBy", servedBy.get());
        return body;
    }

    private static HttpAnswer unknown(final String authorityId) {
        return HttpAnswer.error(404, HttpAnswer.ErrorCode.UNKNOWN_AUTHORITY, "no fact of authority " + authorityId + " has been folded");
    }

    private <V> ReadOnlyKeyValueStore<String, V> store(final ReducerStores.Store<String, V> spec, final int partition) {
        return streams.get().store(StoreQueryParameters.fromNameAndType(spec.name(), QueryableStoreTypes.<String, V>keyValueStore())
                .withPartition(partition));
    }
}
