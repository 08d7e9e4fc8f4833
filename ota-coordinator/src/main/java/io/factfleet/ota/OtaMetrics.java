package io.factfleet.ota;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The coordinator's meters, scraped as Prometheus text at {@code GET /metrics}:
 * {@code factfleet_ota_upgrade_devices{authority,proposal,status}} (status = ready, not_ready,
 * rejected, silent), {@code factfleet_ota_facts_emitted_total{kind}},
 * {@code factfleet_ota_authorities_without_admin_key}, and Kafka Streams' client metrics.
 */
public final class OtaMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MultiGauge upgradeDevices = MultiGauge.builder("factfleet.ota.upgrade.devices")
            .description("devices of an upgrade by readiness status (silent = no report yet)").register(registry);
    private final Set<String> withoutKey = ConcurrentHashMap.newKeySet();

    public OtaMetrics() {
        io.micrometer.core.instrument.Gauge.builder("factfleet.ota.authorities.without.admin.key", withoutKey, Set::size)
                .description("authorities watched but not acted on: no admin key in the key ring").register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** A fact the coordinator produced, by payload kind. */
    public void emitted(final String kind) {
        Counter.builder("factfleet.ota.facts.emitted").tag("kind", kind).description("facts the coordinator produced to the inbound topic")
                .register(registry).increment();
    }

    /** An approval refused because the approver proposed the upgrade (separation of duties). */
    public void separationOfDutiesRefused() {
        Counter.builder("factfleet.ota.approvals.refused").tag("reason", "separation_of_duties")
                .description("approvals refused by the authority's policy").register(registry).increment();
    }

    /** An authority with upgrades this coordinator cannot act on. */
    public void watchedWithoutKey(final String authorityId) {
        withoutKey.add(authorityId);
    }

    public Set<String> authoritiesWithoutKey() {
        return Set.copyOf(withoutKey);
    }

    /** One row of the per-upgrade gauge. */
    public record UpgradeCounts(String authorityId, String proposalId, int ready, int notReady, int rejected, int silent) {
    }

    /** Replaces the per-upgrade gauge's rows (called before each scrape). */
    public void upgrades(final List<UpgradeCounts> rows) {
        final List<MultiGauge.Row<?>> gaugeRows = new java.util.ArrayList<>();
        for (final UpgradeCounts r : rows) {
            final Tags tags = Tags.of("authority", r.authorityId(), "proposal", r.proposalId());
            gaugeRows.add(MultiGauge.Row.of(tags.and("status", "ready"), r.ready()));
            gaugeRows.add(MultiGauge.Row.of(tags.and("status", "not_ready"), r.notReady()));
            gaugeRows.add(MultiGauge.Row.of(tags.and("status", "rejected"), r.rejected()));
            gaugeRows.add(MultiGauge.Row.of(tags.and("status", "silent"), r.silent()));
        }
        upgradeDevices.register(gaugeRows, true);
    }
}
