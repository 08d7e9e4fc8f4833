package io.factfleet.contracts;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Record limits for the Streams applications that keep an authority's whole reduced state in one
 * store entry (the reducer, ingest's roster state, both coordinators). Kafka's default limit of
 * 1 MiB per record is reached by a few thousand devices with their metadata; a state record above
 * it made the changelog send fail and the stream thread die. Until state is split into finer-keyed
 * stores (docs/decisions.md, "How big an authority can be"), the changelogs and the applications'
 * producers take records up to {@link #MAX_STATE_RECORD_BYTES}. Explicit settings win.
 */
public final class StateRecordLimits {
    /** 16 MiB: about 40,000 devices with metadata, or 10,000 with a few upgrades' readiness each. */
    public static final int MAX_STATE_RECORD_BYTES = 16 * 1024 * 1024;

    private StateRecordLimits() {
    }

    /** Fills in the producer and changelog limits where {@code streams} does not set them. */
    public static Properties applyTo(final Properties streams) {
        streams.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Integer.toString(MAX_STATE_RECORD_BYTES));
        streams.putIfAbsent(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), Integer.toString(MAX_STATE_RECORD_BYTES));
        return streams;
    }
}
