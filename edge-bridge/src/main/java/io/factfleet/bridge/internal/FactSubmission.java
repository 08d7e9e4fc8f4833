package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeError;
import io.factfleet.bridge.BridgeProtocol;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.Facts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Submits a decoded batch: per-fact shape checks, a best-effort duplicate check against the
 * journal (the reducer's fact statuses), then one record per remaining fact to
 * {@code factfleet.facts.inbound} (key = authority id, value = the fact's wire-format bytes), and
 * an answer only once Kafka acknowledged every record. If any send fails, the whole batch is a
 * {@code 503 KAFKA_UNAVAILABLE} and nothing is reported accepted (records that did land are
 * deduplicated by ingest when the device retries).
 */
public final class FactSubmission {
    private static final Logger LOG = LoggerFactory.getLogger(FactSubmission.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One fact's answer. */
    public record Result(String factId, String status, BridgeError code, String message) {
        public boolean good() {
            return !status.equals(BridgeProtocol.REJECTED);
        }
    }

    private final Supplier<Producer<String, byte[]>> producer;
    private final ReducerClient reducer;
    private final int maxFactBytes;
    private final Duration produceTimeout;

    public FactSubmission(final Supplier<Producer<String, byte[]>> producer, final ReducerClient reducer, final int maxFactBytes,
                          final Duration produceTimeout) {
        this.producer = producer;
        this.reducer = reducer;
        this.maxFactBytes = maxFactBytes;
        this.produceTimeout = produceTimeout;
    }

    /** Checks, deduplicates, produces and awaits; the results are in the batch's order. */
    public List<Result> submit(final Caller caller, final List<SubmittedFact> batch) {
        final Result[] results = new Result[batch.size()];
        final Map<Integer, SubmittedFact> candidates = new HashMap<>();
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            final SubmittedFact fact = batch.get(i);
            final String id = Facts.idHex(fact.fact());
            final Optional<FactShape.Rejection> rejection = FactShape.check(fact, caller, maxFactBytes);
            if (rejection.isPresent()) {
                results[i] = new Result(id, BridgeProtocol.REJECTED, rejection.get().code(), rejection.get().message());
            } else if (!seen.add(id)) {
                results[i] = new Result(id, BridgeProtocol.DUPLICATE, null, "the same fact appears earlier in this batch");
            } else {
                candidates.put(i, fact);
            }
        }
        final Set<String> inJournal = inJournal(caller.authorityId(), candidates.values());
        final List<Integer> toProduce = new ArrayList<>();
        for (final Map.Entry<Integer, SubmittedFact> e : candidates.entrySet()) {
            final String id = Facts.idHex(e.getValue().fact());
            if (inJournal.contains(id)) {
                results[e.getKey()] = new Result(id, BridgeProtocol.DUPLICATE, null, "the journal already holds this fact");
            } else {
                toProduce.add(e.getKey());
            }
        }
        toProduce.sort(Integer::compareTo);
        produce(caller.authorityId(), batch, toProduce);
        for (final int i : toProduce) {
            results[i] = new Result(Facts.idHex(batch.get(i).fact()), BridgeProtocol.ACCEPTED, null, null);
        }
        return List.of(results);
    }

    private void produce(final String authorityId, final List<SubmittedFact> batch, final List<Integer> indexes) {
        if (indexes.isEmpty()) {
            return;
        }
        final List<Future<RecordMetadata>> sends = new ArrayList<>(indexes.size());
        final long deadline = System.nanoTime() + produceTimeout.toNanos();
        try {
            final Producer<String, byte[]> kafka = producer.get();
            if (kafka == null) {
                throw ApiException.of(BridgeError.KAFKA_UNAVAILABLE, "the bridge is stopping and no longer produces; retry the batch").retryAfter(1);
            }
            for (final int i : indexes) {
                sends.add(kafka.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), authorityId, batch.get(i).wireBytes())));
            }
            for (final Future<RecordMetadata> send : sends) {
                send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (final ExecutionException | TimeoutException | KafkaException e) {
            final Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            LOG.warn("Kafka did not acknowledge a batch of {} facts for {}: {}", indexes.size(), authorityId, cause.toString());
            throw ApiException.of(BridgeError.KAFKA_UNAVAILABLE, "Kafka did not acknowledge the batch (" + cause
                    + "); nothing of it is accepted, retry it", cause).retryAfter(1);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.of(BridgeError.KAFKA_UNAVAILABLE, "interrupted while waiting for Kafka; retry the batch", e).retryAfter(1);
        }
    }

    /** The candidates' ids the reducer reports IN_JOURNAL; empty if it cannot tell now (ingest deduplicates anyway). */
    private Set<String> inJournal(final String authorityId, final Iterable<SubmittedFact> candidates) {
        final ArrayNode ids = JSON.createArrayNode();
        candidates.forEach(f -> ids.add(Facts.idHex(f.fact())));
        if (ids.isEmpty()) {
            return Set.of();
        }
        final ObjectNode query = JSON.createObjectNode();
        query.set("factIds", ids);
        try {
            final JsonNode answer = reducer.post("/authorities/" + authorityId + "/facts/status", query);
            final Set<String> known = new LinkedHashSet<>();
            answer.path("statuses").forEach(s -> {
                if ("IN_JOURNAL".equals(s.path("status").asText())) {
                    known.add(s.path("factId").asText());
                }
            });
            return known;
        } catch (final ApiException e) {
            LOG.debug("No duplicate check for {}: {}", authorityId, e.getMessage());
            return Set.of();
        }
    }
}
