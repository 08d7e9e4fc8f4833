package io.factfleet.console;

import io.factfleet.console.internal.RecordTimestamps;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer-lag monitor. Every sample interval it reads, through Kafka's Admin API only, every consumer group
 * matching the configured pattern (Kafka Streams applications are consumer groups named by their application id):
 * {@code listGroups(ListGroupsOptions.forConsumerGroups())} (Kafka 4's {@code listConsumerGroups}), {@code describeConsumerGroups} (state, members), {@code listConsumerGroupOffsets}
 * (committed offsets) and {@code listOffsets} with {@link OffsetSpec#latest()} and {@link OffsetSpec#earliest()}; the
 * time lag comes from the timestamp of the first record at or after the committed offset ({@link RecordTimestamps}).
 * Each partition keeps the samples of the rolling window, which {@link LagEvaluator} judges.
 *
 * <p>Offset lag is log end offset minus committed offset, as {@code kafka-consumer-groups --describe} computes it; on a
 * topic written transactionally (exactly-once) a caught-up group can show a lag of 1 (the commit marker) until its
 * position moves past the marker, with a time lag of 0.
 */
public final class LagMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LagMonitor.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(10);

    private final ConsoleConfig config;
    private final Admin admin;
    private final RecordTimestamps timestamps;
    private final LagEvaluator evaluator;
    private final Clock clock;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "factfleet-console-lag");
        t.setDaemon(true);
        return t;
    });
    private final Map<Key, Deque<PartitionSample>> windows = new HashMap<>();
    private final Map<String, SeenGroup> seen = new HashMap<>();
    private final MultiGauge lagGauge;
    private final MultiGauge timeLagGauge;
    private final MultiGauge statusGauge;
    private final MultiGauge groupStatusGauge;
    private volatile LagReport report;

    private record Key(String groupId, TopicPartition partition) {
    }

    private record SeenGroup(String state, int members, long lastSeenMillis) {
    }

    public LagMonitor(final ConsoleConfig config, final MeterRegistry registry) {
        this(config, registry, Clock.systemUTC());
    }

    LagMonitor(final ConsoleConfig config, final MeterRegistry registry, final Clock clock) {
        this.config = config;
        this.clock = clock;
        final Map<String, Object> adminProps = new HashMap<>();
        config.kafkaClientConfig().forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                adminProps.put(k, v);
            }
        });
        adminProps.put(AdminClientConfig.CLIENT_ID_CONFIG, "factfleet-console-admin");
        this.admin = Admin.create(adminProps);
        this.timestamps = new RecordTimestamps(config.kafkaClientConfig(), Duration.ofMillis(Math.min(1_000, config.sampleInterval().toMillis() / 2)));
        this.evaluator = new LagEvaluator(config.minSamples());
        this.report = LagReport.empty(config.sampleInterval().toMillis(), config.window().toMillis());
        this.lagGauge = MultiGauge.builder("factfleet.console.lag.records").description("Offset lag (log end offset minus committed offset) per group and partition")
                .baseUnit("records").register(registry);
        this.timeLagGauge = MultiGauge.builder("factfleet.console.lag.time").description("Age of the oldest unconsumed record, from its timestamp")
                .baseUnit("seconds").register(registry);
        this.statusGauge = MultiGauge.builder("factfleet.console.lag.status")
                .description("Partition status code: 0 OK, 1 WARN, 2 STALL, 3 STOP, 4 ERROR").register(registry);
        this.groupStatusGauge = MultiGauge.builder("factfleet.console.group.status")
                .description("Group status code (worst partition): 0 OK, 1 WARN, 2 STALL, 3 STOP, 4 ERROR").register(registry);
    }

    /** Samples now and then every sample interval, in the background. */
    public LagMonitor start() {
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                sampleOnce();
            } catch (final RuntimeException e) {
                LOG.warn("Lag sample failed", e);
            }
        }, 0, config.sampleInterval().toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The report of the latest sample. */
    public LagReport report() {
        return report;
    }

    /** Takes one sample of every watched group and updates the report and the gauges. */
    public synchronized LagReport sampleOnce() {
        final long now = clock.millis();
        try {
            // listGroups(forConsumerGroups()) is what listConsumerGroups() became (deprecated for removal in Kafka 4).
            final Collection<GroupListing> listings = get(admin.listGroups(ListGroupsOptions.forConsumerGroups()).all());
            final List<String> ids = listings.stream().map(GroupListing::groupId)
                    .filter(id -> config.groupPattern().matcher(id).matches()).sorted().toList();
            final Map<String, ConsumerGroupDescription> descriptions = ids.isEmpty() ? Map.of() : get(admin.describeConsumerGroups(ids).all());
            final Map<String, ListConsumerGroupOffsetsSpec> specs = new LinkedHashMap<>();
            ids.forEach(id -> specs.put(id, new ListConsumerGroupOffsetsSpec()));
            final Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = specs.isEmpty() ? Map.of()
                    : get(admin.listConsumerGroupOffsets(specs).all());
            final Set<TopicPartition> partitions = new HashSet<>();
            committed.values().forEach(offsets -> offsets.forEach((tp, om) -> {
                if (om != null) {
                    partitions.add(tp);
                }
            }));
            final Map<TopicPartition, Long> ends = offsets(partitions, OffsetSpec.latest());
            final Map<TopicPartition, Long> starts = offsets(partitions, OffsetSpec.earliest());

            final Set<RecordTimestamps.Request> requests = new HashSet<>();
            committed.values().forEach(offsets -> offsets.forEach((tp, om) -> {
                if (om != null && ends.containsKey(tp) && starts.containsKey(tp) && ends.get(tp) > om.offset()) {
                    requests.add(new RecordTimestamps.Request(tp, Math.max(om.offset(), starts.get(tp)), ends.get(tp)));
                }
            }));
            final Map<RecordTimestamps.Request, Long> recordTimes = timestamps.lookup(requests);

            final Set<Key> present = new HashSet<>();
            for (final String id : ids) {
                final ConsumerGroupDescription d = descriptions.get(id);
                seen.put(id, new SeenGroup(d == null ? "UNKNOWN" : String.valueOf(d.groupState()), d == null ? 0 : d.members().size(), now));
                committed.getOrDefault(id, Map.of()).forEach((tp, om) -> {
                    if (om == null || !ends.containsKey(tp) || !starts.containsKey(tp)) {
                        return;
                    }
                    final long end = ends.get(tp);
                    final long start = starts.get(tp);
                    final Long ts = end > om.offset() ? recordTimes.get(new RecordTimestamps.Request(tp, Math.max(om.offset(), start), end)) : null;
                    final long timeLag = ts == null ? 0 : Math.max(0, now - ts);
                    final Key key = new Key(id, tp);
                    present.add(key);
                    final Deque<PartitionSample> window = windows.computeIfAbsent(key, k -> new ArrayDeque<>());
                    window.addLast(new PartitionSample(now, om.offset(), end, start, timeLag));
                });
            }
            // A group that vanished stays on the page as STOP for one window, then is forgotten.
            seen.entrySet().removeIf(e -> !ids.contains(e.getKey()) && now - e.getValue().lastSeenMillis() > config.window().toMillis());
            windows.keySet().removeIf(k -> !present.contains(k) && !seen.containsKey(k.groupId()));
            windows.forEach((k, w) -> {
                while (w.size() > 1 && now - w.peekFirst().atMillis() > config.window().toMillis()) {
                    w.pollFirst();
                }
            });
            report = build(now, new HashSet<>(ids), null);
        } catch (final ExecutionException | TimeoutException e) {
            final Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            LOG.warn("Lag sample failed: {}", cause.toString());
            report = new LagReport(now, config.sampleInterval().toMillis(), config.window().toMillis(), report.groups(),
                    "the latest sample failed: " + cause);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sampling lag", e);
        }
        return report;
    }

    private LagReport build(final long now, final Set<String> listed, final String error) {
        final Map<String, Map<String, List<LagReport.PartitionLag>>> byGroup = new TreeMap<>();
        seen.keySet().forEach(g -> byGroup.put(g, new TreeMap<>()));
        final List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
        final List<MultiGauge.Row<?>> timeRows = new ArrayList<>();
        final List<MultiGauge.Row<?>> statusRows = new ArrayList<>();
        windows.forEach((key, window) -> {
            final SeenGroup group = seen.get(key.groupId());
            final LagEvaluator.Presence presence = !listed.contains(key.groupId()) ? LagEvaluator.Presence.GONE
                    : group.members() == 0 ? LagEvaluator.Presence.EMPTY : LagEvaluator.Presence.ACTIVE;
            final List<PartitionSample> samples = List.copyOf(window);
            final LagEvaluator.Verdict v = evaluator.evaluate(samples, presence);
            final PartitionSample last = samples.get(samples.size() - 1);
            byGroup.get(key.groupId()).computeIfAbsent(key.partition().topic(), t -> new ArrayList<>())
                    .add(new LagReport.PartitionLag(key.partition().partition(), last.committedOffset(), last.logEndOffset(), last.logStartOffset(),
                            last.lag(), last.timeLagMillis(), v.status(), v.reason(), v.consumptionPerSecond(), v.lagTrendPerSecond(),
                            v.drainSeconds(), samples.stream().map(PartitionSample::lag).toList()));
            final Tags tags = Tags.of("group", key.groupId(), "topic", key.partition().topic(), "partition", Integer.toString(key.partition().partition()));
            lagRows.add(MultiGauge.Row.of(tags, last.lag()));
            timeRows.add(MultiGauge.Row.of(tags, last.timeLagMillis() / 1000.0));
            statusRows.add(MultiGauge.Row.of(tags, v.status().code()));
        });
        final List<LagReport.GroupLag> groups = new ArrayList<>();
        final List<MultiGauge.Row<?>> groupRows = new ArrayList<>();
        byGroup.forEach((groupId, topics) -> {
            final SeenGroup g = seen.get(groupId);
            final boolean gone = !listed.contains(groupId);
            LagStatus status = topics.isEmpty() && (gone || g.members() == 0) ? LagStatus.STOP : LagStatus.OK;
            long total = 0;
            long maxTime = 0;
            final List<LagReport.TopicLag> topicLags = new ArrayList<>();
            for (final Map.Entry<String, List<LagReport.PartitionLag>> t : topics.entrySet()) {
                final List<LagReport.PartitionLag> ps = t.getValue().stream().sorted(Comparator.comparingInt(LagReport.PartitionLag::partition)).toList();
                LagStatus topicStatus = LagStatus.OK;
                long topicLag = 0;
                for (final LagReport.PartitionLag p : ps) {
                    topicStatus = topicStatus.worst(p.status());
                    topicLag += p.lag();
                    maxTime = Math.max(maxTime, p.timeLagMillis());
                }
                total += topicLag;
                status = status.worst(topicStatus);
                topicLags.add(new LagReport.TopicLag(t.getKey(), topicLag, topicStatus, ps));
            }
            groups.add(new LagReport.GroupLag(groupId, gone ? "GONE" : g.state(), gone ? 0 : g.members(), status, total, maxTime, topicLags));
            groupRows.add(MultiGauge.Row.of(Tags.of("group", groupId), status.code()));
        });
        lagGauge.register(lagRows, true);
        timeLagGauge.register(timeRows, true);
        statusGauge.register(statusRows, true);
        groupStatusGauge.register(groupRows, true);
        return new LagReport(now, config.sampleInterval().toMillis(), config.window().toMillis(), List.copyOf(groups), error);
    }

    private Map<TopicPartition, Long> offsets(final Set<TopicPartition> partitions, final OffsetSpec spec) throws InterruptedException {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        final Map<TopicPartition, Long> offsets = new HashMap<>();
        if (request.isEmpty()) {
            return offsets;
        }
        final ListOffsetsResult result = admin.listOffsets(request);
        for (final TopicPartition tp : partitions) {
            try {
                offsets.put(tp, result.partitionResult(tp).get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset());
            } catch (final ExecutionException | TimeoutException e) {
                // A deleted topic or an offline partition: left out of this sample.
                LOG.debug("No {} offset for {}: {}", spec.getClass().getSimpleName(), tp, e.toString());
            }
        }
        return offsets;
    }

    private static <T> T get(final org.apache.kafka.common.KafkaFuture<T> future) throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            timestamps.close();
            admin.close(Duration.ofSeconds(2));
        }
    }
}
