package io.factfleet.reducer.internal;

import io.factfleet.reducer.ReducerMetrics;
import io.factfleet.registry.client.SchemaRegistryException;
import io.factfleet.registry.client.SchemaRegistryUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a record that cannot be deserialized, counts it in {@link ReducerMetrics#deserializationError()}
 * and lets the stream thread go on with the next record: one bad record must not stop an authority's
 * fold, let alone a partition's.
 *
 * <p>A registry that does not answer (or answers 5xx) says nothing about the record, and skipping it
 * would lose a good fact; those fail the stream thread instead, which the service replaces, so the
 * record is read again from the last committed offset.
 */
public final class LogAndCountDeserializationExceptionHandler implements DeserializationExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LogAndCountDeserializationExceptionHandler.class);

    private ReducerMetrics metrics = new ReducerMetrics();

    @Override
    public void configure(final Map<String, ?> configs) {
        if (configs.get(ReducerMetrics.CONFIG_KEY) instanceof ReducerMetrics shared) {
            metrics = shared;
        }
    }

    @Override
    public Response handleError(final ErrorHandlerContext context, final ConsumerRecord<byte[], byte[]> record,
                                final Exception exception) {
        final String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (isTransient(exception)) {
            LOG.error("The schema registry failed while decoding the record at {}-{} offset {} (key {}); failing the stream "
                    + "thread so the record is read again: {}", context.topic(), context.partition(), context.offset(), key, exception.toString());
            return Response.fail();
        }
        metrics.deserializationError();
        LOG.warn("Skipping an undecodable record at {}-{} offset {} (key {}): {}", context.topic(), context.partition(),
                context.offset(), key, exception.toString());
        return Response.resume();
    }

    static boolean isTransient(final Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryUnavailableException
                    || t instanceof SchemaRegistryException registry && registry.httpStatus() >= 500) {
                return true;
            }
        }
        return false;
    }
}
