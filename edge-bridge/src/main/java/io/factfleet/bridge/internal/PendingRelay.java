package io.factfleet.bridge.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.factfleet.bridge.BridgeError;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Relays what awaits a device (the reducer's {@code GET /authorities/{a}/devices/{d}/pending}) by
 * long-poll or server-sent events, re-querying the reducer every {@code interval} without holding a
 * thread. Either ends with {@code EPOCH_ADVANCED} when the authority's identity epoch moves past the
 * one the device named (or the one seen first), so the device re-syncs and starts a new session.
 */
public final class PendingRelay {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a stream's events go (an SSE connection). */
    public interface EventSink {
        /** Sends one event; false if the connection is gone. */
        boolean send(String event, String data);

        /** A comment line that keeps the connection alive and detects a departed client. */
        void keepAlive();

        boolean closed();

        void close();
    }

    private final ReducerClient reducer;
    private final ScheduledExecutorService scheduler;
    private final Duration interval;
    private final long pollAfterMs;
    private final Set<CompletableFuture<ObjectNode>> polls = ConcurrentHashMap.newKeySet();
    private final Set<EventSink> streams = ConcurrentHashMap.newKeySet();
    private volatile boolean shutdown;

    public PendingRelay(final ReducerClient reducer, final ScheduledExecutorService scheduler, final Duration interval, final long pollAfterMs) {
        this.reducer = reducer;
        this.scheduler = scheduler;
        this.interval = interval;
        this.pollAfterMs = pollAfterMs;
    }

    private static String path(final String authorityId, final String deviceId) {
        return "/authorities/" + authorityId + "/devices/" + java.net.URLEncoder.encode(deviceId, java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20") + "/pending";
    }

    /**
     * The device's pending work as soon as there is some, or (empty) after {@code wait}; the answer
     * has {@code pollAfterMs}. Fails with an {@link ApiException}.
     */
    public CompletableFuture<ObjectNode> longPoll(final String authorityId, final String deviceId, final Duration wait, final OptionalLong knownEpoch) {
        final CompletableFuture<ObjectNode> result = new CompletableFuture<>();
        polls.add(result);
        result.whenComplete((r, e) -> polls.remove(result));
        if (shutdown) {
            result.completeExceptionally(notRunning());
            return result;
        }
        final long deadline = System.nanoTime() + wait.toNanos();
        pollOnce(path(authorityId, deviceId), result, deadline, new EpochWatch(knownEpoch));
        return result;
    }

    private void pollOnce(final String path, final CompletableFuture<ObjectNode> result, final long deadline, final EpochWatch epoch) {
        if (result.isDone()) {
            return;
        }
        reducer.getAsync(path).whenComplete((json, failure) -> {
            if (failure != null) {
                result.completeExceptionally(unwrap(failure));
                return;
            }
            final ApiException advanced = epoch.check(json);
            if (advanced != null) {
                result.completeExceptionally(advanced);
                return;
            }
            final long remaining = deadline - System.nanoTime();
            if (hasWork(json) || remaining <= 0) {
                result.complete(answer(json));
                return;
            }
            schedule(() -> pollOnce(path, result, deadline, epoch), Math.min(interval.toNanos(), remaining), result);
        });
    }

    /**
     * Streams the device's pending work for {@code duration}: an event {@code pending} with the
     * current work first and whenever it changes, an event {@code error} (then the end) on
     * {@code EPOCH_ADVANCED} or a reducer failure, a keep-alive comment otherwise.
     */
    public void stream(final String authorityId, final String deviceId, final Duration duration, final OptionalLong knownEpoch, final EventSink sink) {
        if (shutdown) {
            sendError(sink, notRunning());
            sink.close();
            return;
        }
        streams.add(sink);
        streamOnce(path(authorityId, deviceId), sink, System.nanoTime() + duration.toNanos(), new EpochWatch(knownEpoch), new JsonNode[1]);
    }

    private void streamOnce(final String path, final EventSink sink, final long deadline, final EpochWatch epoch, final JsonNode[] last) {
        if (sink.closed() || shutdown) {
            end(sink);
            return;
        }
        reducer.getAsync(path).whenComplete((json, failure) -> {
            if (failure != null || epoch.check(json) != null) {
                sendError(sink, failure != null ? unwrap(failure) : epoch.check(json));
                end(sink);
                return;
            }
            if (!json.equals(last[0])) {
                if (!sink.send("pending", answer(json).toString())) {
                    end(sink);
                    return;
                }
                last[0] = json;
            } else {
                sink.keepAlive();
            }
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0 || sink.closed()) {
                end(sink);
                return;
            }
            try {
                scheduler.schedule(() -> streamOnce(path, sink, deadline, epoch, last), Math.min(interval.toNanos(), remaining), TimeUnit.NANOSECONDS);
            } catch (final RejectedExecutionException e) {
                end(sink);
            }
        });
    }

    private void end(final EventSink sink) {
        streams.remove(sink);
        sink.close();
    }

    /** Ends every long-poll with {@code 503 NOT_RUNNING} and closes every stream; for stop(). */
    public void shutdown() {
        shutdown = true;
        polls.forEach(p -> p.completeExceptionally(notRunning()));
        streams.forEach(s -> {
            sendError(s, notRunning());
            end(s);
        });
    }

    private void schedule(final Runnable task, final long delayNanos, final CompletableFuture<ObjectNode> result) {
        try {
            scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (final RejectedExecutionException e) {
            result.completeExceptionally(notRunning());
        }
    }

    private ObjectNode answer(final JsonNode pending) {
        final ObjectNode out = pending.isObject() ? ((ObjectNode) pending).deepCopy() : JSON.createObjectNode();
        out.put("pollAfterMs", pollAfterMs);
        return out;
    }

    private static boolean hasWork(final JsonNode pending) {
        return pending.path("snapshotApprovals").size() > 0 || pending.path("upgradeReadiness").size() > 0;
    }

    private static void sendError(final EventSink sink, final ApiException e) {
        final ObjectNode body = JSON.createObjectNode().put("code", e.code()).put("message", e.getMessage());
        e.extra().forEach((k, v) -> body.set(k, JSON.valueToTree(v)));
        sink.send("error", body.toString());
    }

    private static ApiException notRunning() {
        return ApiException.of(BridgeError.NOT_RUNNING, "the bridge is stopping; reconnect").retryAfter(1);
    }

    static ApiException unwrap(final Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof ApiException api ? api
                : ApiException.of(BridgeError.REDUCER_UNAVAILABLE, "the reducer query failed: " + t, t).retryAfter(1);
    }

    /** The identity epoch a long-poll or stream started at; advancing past it ends the session. */
    private static final class EpochWatch {
        private volatile Long reference;

        EpochWatch(final OptionalLong known) {
            this.reference = known.isPresent() ? known.getAsLong() : null;
        }

        ApiException check(final JsonNode pending) {
            final long epoch = pending.path("identityEpoch").asLong();
            if (reference == null) {
                reference = epoch;
            }
            if (epoch > reference) {
                return ApiException.of(BridgeError.EPOCH_ADVANCED, "the identity epoch of the authority advanced from " + reference + " to "
                        + epoch + "; catch up (sync), then start a new session").with("identityEpoch", epoch);
            }
            return null;
        }
    }
}
