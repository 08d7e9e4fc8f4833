package io.factfleet.bridge.internal;

import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.producer.Producer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The bridge's meters, scraped as Prometheus text at {@code GET /metrics}:
 * {@code factfleet_bridge_sessions_active}, {@code factfleet_bridge_sessions_total},
 * {@code factfleet_bridge_facts_in_total{result}}, {@code factfleet_bridge_facts_out_total},
 * {@code factfleet_bridge_bytes_in_total}, {@code factfleet_bridge_bytes_out_total},
 * {@code factfleet_bridge_request_seconds{route,method,status}} (a histogram),
 * {@code factfleet_bridge_errors_total{code}}, {@code factfleet_bridge_peers},
 * {@code factfleet_bridge_peers_evicted_total}, {@code factfleet_bridge_running}, and the producer's {@code kafka_producer_*}.
 */
public final class BridgeMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter sessions;
    private final Counter factsOut;
    private final Counter bytesIn;
    private final Counter bytesOut;

    public BridgeMetrics(final IntSupplier activeSessions, final IntSupplier peers, final LongSupplier evictedPeers, final BooleanSupplier running) {
        Gauge.builder("factfleet.bridge.sessions.active", activeSessions, IntSupplier::getAsInt).strongReference(true)
                .description("requests of authenticated devices in flight, long-polls included").register(registry);
        Gauge.builder("factfleet.bridge.peers", peers, IntSupplier::getAsInt).strongReference(true)
                .description("devices whose peer state the bridge keeps").register(registry);
        FunctionCounter.builder("factfleet.bridge.peers.evicted", evictedPeers, LongSupplier::getAsLong)
                .description("peer states dropped by the TTL or the maximum count").register(registry);
        Gauge.builder("factfleet.bridge.running", running, r -> r.getAsBoolean() ? 1 : 0).strongReference(true)
                .description("1 while the bridge is RUNNING").register(registry);
        sessions = Counter.builder("factfleet.bridge.sessions").description("sessions admitted").register(registry);
        factsOut = Counter.builder("factfleet.bridge.facts.out").description("facts relayed to devices by sync").register(registry);
        bytesIn = Counter.builder("factfleet.bridge.bytes.in").description("request body bytes").register(registry);
        bytesOut = Counter.builder("factfleet.bridge.bytes.out").description("response body bytes").register(registry);
        for (final String result : new String[] {"accepted", "duplicate", "rejected"}) {
            factsIn(result, 0);
        }
    }

    public void sessionStarted() {
        sessions.increment();
    }

    /** Facts submitted, by result ({@code accepted}, {@code duplicate}, {@code rejected}). */
    public void factsIn(final String result, final int count) {
        Counter.builder("factfleet.bridge.facts.in").tag("result", result).description("facts submitted by devices, by result")
                .register(registry).increment(count);
    }

    public void factsOut(final int count) {
        factsOut.increment(count);
    }

    public void bytesIn(final long bytes) {
        bytesIn.increment(bytes);
    }

    public void bytesOut(final long bytes) {
        bytesOut.increment(bytes);
    }

    public void error(final String code) {
        Counter.builder("factfleet.bridge.errors").tag("code", code).description("error answers, by code").register(registry).increment();
    }

    public void request(final String route, final String method, final int status, final Duration latency) {
        Timer.builder("factfleet.bridge.request").tag("route", route).tag("method", method).tag("status", String.valueOf(status))
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(120))
                .description("request latency, long-polls included").register(registry).record(latency);
    }

    /**
     * Adds the Kafka producer's own client metrics ({@code kafka_producer_*}: record send rate, request latency, errors,
     * buffer use) to the scrape; close the answer when the producer closes.
     */
    public KafkaClientMetrics bindProducer(final Producer<?, ?> producer) {
        final KafkaClientMetrics metrics = new KafkaClientMetrics(producer);
        metrics.bindTo(registry);
        return metrics;
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }
}
