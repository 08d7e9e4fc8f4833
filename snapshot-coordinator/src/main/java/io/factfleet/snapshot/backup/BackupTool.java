package io.factfleet.snapshot.backup;

import io.factfleet.contracts.AuthorityPartitioner;
import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Admission;
import io.factfleet.core.Canonical;
import io.factfleet.core.FactAdmission;
import io.factfleet.core.Facts;
import io.factfleet.core.Hashing;
import io.factfleet.core.Snapshots;
import io.factfleet.registry.client.SchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroDeserializer;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.snapshot.BackupContents;
import io.factfleet.schema.snapshot.BlobChunk;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.snapshot.SnapshotPointer;
import io.factfleet.schema.state.MaintenanceState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Operators' backup and restore of one authority, through Kafka clients only.
 *
 * <p><b>Export</b> reads the authority's latest snapshot pointer and blob and every journal fact after
 * it (tombstoned facts are gone) into {@link BackupContents}; {@link ArchiveCipher} seals it.
 *
 * <p><b>Restore</b> verifies everything before writing anything: the blob's roster chain from a genesis
 * signed by one of the target cluster's operator keys, the completion's threshold certificate, and every
 * tail fact as ingest would admit it, in order. It refuses a cluster that already knows the authority.
 * Then it writes the blob and the pointer (ingest, the reducer and the coordinator hydrate from them)
 * and produces the tail to the inbound topic, where ingest admits it again.
 */
public final class BackupTool {
    public static final int FORMAT_VERSION = 1;
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private BackupTool() {
    }

    /** What a restore verified and wrote. */
    public record Restored(String authorityId, String snapshotProposalId, long coveredFacts, int tailFacts) {
    }

    /**
     * Exports an authority.
     *
     * @param clientConfig Kafka client settings of the source cluster (bootstrap.servers, security)
     * @param registry     the source cluster's schema registry (journal values are in its wire format)
     * @param progress     called with (facts read so far, -1) while reading the journal
     */
    public static BackupContents export(final Map<String, Object> clientConfig, final SchemaRegistryClient registry, final String authorityId,
                                        final BiConsumer<Long, Long> progress) {
        if (!JournalKey.isValidAuthorityId(authorityId)) {
            throw new BackupException("INVALID_AUTHORITY_ID", "'" + authorityId + "' is not an authority id");
        }
        final byte[] pointerBytes = latest(clientConfig, FactFleetTopics.SNAPSHOTS.name(), authorityId);
        SnapshotPointer pointer = null;
        byte[] blobBytes = null;
        final Set<String> covered = new HashSet<>();
        if (pointerBytes != null) {
            pointer = Canonical.decode(pointerBytes, SnapshotPointer.class);
            final List<BlobChunk> chunks = new ArrayList<>();
            readAll(clientConfig, FactFleetTopics.SNAPSHOT_BLOBS.name(), null, r -> {
                if (r.key() != null && r.value() != null && r.key().startsWith(pointerKeyPrefix(pointerBytes))) {
                    chunks.add(Canonical.decode(r.value(), BlobChunk.class));
                }
            });
            blobBytes = Snapshots.assemble(pointer.getBlobCid(), chunks);
            Canonical.decode(blobBytes, SnapshotBlob.class).getCoveredFactIds().forEach(id -> covered.add(Hashing.hex(Canonical.array(id))));
        }
        final SpecificAvroDeserializer<FactEnvelope> facts = new SpecificAvroDeserializer<>(registry, FactEnvelope.class);
        final LinkedHashMap<String, byte[]> tail = new LinkedHashMap<>();
        final String prefix = authorityId + "/";
        final long[] read = {0};
        readAll(clientConfig, FactFleetTopics.JOURNAL.name(), authorityId, r -> {
            if (r.key() == null || !r.key().startsWith(prefix)) {
                return;
            }
            if (r.value() == null) {
                tail.remove(r.key());
                return;
            }
            final FactEnvelope fact = facts.deserialize(FactFleetTopics.JOURNAL.name(), r.value());
            if (!covered.contains(Facts.idHex(fact))) {
                tail.putIfAbsent(r.key(), Canonical.bytes(fact));
            }
            if (++read[0] % 1000 == 0) {
                progress.accept(read[0], -1L);
            }
        });
        if (pointer == null && tail.isEmpty()) {
            throw new BackupException("UNKNOWN_AUTHORITY", "the cluster has no snapshot and no journal fact of authority " + authorityId);
        }
        final List<ByteBuffer> tailBuffers = new ArrayList<>();
        tail.values().forEach(b -> tailBuffers.add(ByteBuffer.wrap(b)));
        return BackupContents.newBuilder().setFormatVersion(FORMAT_VERSION).setAuthorityId(authorityId).setCreatedAtMillis(System.currentTimeMillis())
                .setPointer(pointer).setBlob(blobBytes == null ? null : ByteBuffer.wrap(blobBytes)).setTail(tailBuffers).build();
    }

    private static String pointerKeyPrefix(final byte[] pointerBytes) {
        return Canonical.decode(pointerBytes, SnapshotPointer.class).getBlobCid() + "/";
    }

    /**
     * Opens and decodes an archive as {@code factfleet backup restore} reads one.
     *
     * @throws BackupException NOT_A_BACKUP, BACKUP_TAMPERED (see {@link ArchiveCipher#open}), or NOT_A_BACKUP when the
     *                         archive opens but its contents do not decode
     */
    public static BackupContents read(final byte[] archive, final char[] passphrase) {
        return contents(ArchiveCipher.open(archive, passphrase));
    }

    /**
     * Decodes an opened archive's contents.
     *
     * @throws BackupException NOT_A_BACKUP when the bytes are not backup contents
     */
    public static BackupContents contents(final byte[] opened) {
        try {
            return Canonical.decode(opened, BackupContents.class);
        } catch (final IllegalArgumentException e) {
            throw new BackupException("NOT_A_BACKUP", "the archive opens with the passphrase but does not hold FactFleet backup contents ("
                    + e.getMessage() + "); nothing was restored", e);
        }
    }

    /**
     * Verifies the contents against {@code admission} (the target's operator keys) without writing anything.
     *
     * @return the number of tail facts
     * @throws BackupException or {@link Snapshots.SnapshotException} naming what does not verify
     */
    public static int verify(final BackupContents contents, final FactAdmission admission) {
        if (contents.getFormatVersion() != FORMAT_VERSION) {
            throw new BackupException("UNSUPPORTED_FORMAT", "backup format " + contents.getFormatVersion() + "; this tool reads " + FORMAT_VERSION);
        }
        MaintenanceState roster = null;
        if (contents.getPointer() != null) {
            final SnapshotPointer pointer = contents.getPointer();
            if (contents.getBlob() == null) {
                throw new BackupException("BLOB_MISSING", "the archive names snapshot " + pointer.getProposalId() + " but holds no blob");
            }
            final byte[] blobBytes = Canonical.array(contents.getBlob());
            if (!Snapshots.cid(blobBytes).equals(pointer.getBlobCid())) {
                throw new BackupException("BLOB_MISMATCH", "the archive's blob is not the one its snapshot pointer names");
            }
            final FactEnvelope completion;
            try {
                completion = Canonical.decode(Canonical.array(pointer.getCompletion()), FactEnvelope.class);
            } catch (final IllegalArgumentException e) {
                throw new BackupException("POINTER_INVALID", "the snapshot pointer's completion is not a fact: " + e.getMessage(), e);
            }
            final SnapshotBlob blob;
            try {
                blob = Canonical.decode(blobBytes, SnapshotBlob.class);
            } catch (final IllegalArgumentException e) {
                throw new BackupException("BLOB_UNDECODABLE", "the archive's blob is not a snapshot blob: " + e.getMessage(), e);
            }
            roster = Snapshots.verify(blob, pointer.getBlobCid(), completion, admission, admission.verifier()).rosterState();
        }
        int n = 0;
        for (final ByteBuffer bytes : contents.getTail()) {
            final FactEnvelope fact;
            try {
                fact = Canonical.decode(Canonical.array(bytes), FactEnvelope.class);
            } catch (final IllegalArgumentException e) {
                throw new BackupException("TAIL_INVALID", "tail fact #" + (n + 1) + " is not a fact: " + e.getMessage(), e);
            }
            if (!fact.getBody().getAuthorityId().equals(contents.getAuthorityId())) {
                throw new BackupException("TAIL_INVALID", "tail fact " + Facts.idHex(fact) + " belongs to authority " + fact.getBody().getAuthorityId());
            }
            final FactAdmission.Decision decision = admission.admit(roster, fact);
            if (decision.admission() instanceof Admission.Rejected rejected) {
                throw new BackupException("TAIL_INVALID", "tail fact " + Facts.idHex(fact) + " (#" + (n + 1) + ") is refused: "
                        + rejected.code() + ": " + rejected.message());
            }
            if (decision.rosterStateAfter().isPresent()) {
                roster = decision.rosterStateAfter().get();
            }
            n++;
        }
        return n;
    }

    /**
     * Restores verified contents into a cluster that does not know the authority.
     *
     * @param settle   how long to let the services' global snapshot stores see the pointer before the tail follows
     * @param progress called with (tail facts produced, total)
     */
    public static Restored restore(final Map<String, Object> clientConfig, final SchemaRegistryClient registry, final BackupContents contents,
                                   final FactAdmission admission, final Duration settle, final BiConsumer<Long, Long> progress) {
        final int tailFacts = verify(contents, admission);
        final String authority = contents.getAuthorityId();
        if (latest(clientConfig, FactFleetTopics.SNAPSHOTS.name(), authority) != null) {
            throw new BackupException("AUTHORITY_EXISTS", "the target cluster already has a snapshot of " + authority + "; restore into an empty cluster");
        }
        final boolean[] known = {false};
        readAll(clientConfig, FactFleetTopics.JOURNAL.name(), authority, r -> known[0] |= r.key() != null && r.key().startsWith(authority + "/"));
        if (known[0]) {
            throw new BackupException("AUTHORITY_EXISTS", "the target cluster's journal already has facts of " + authority + "; restore into an empty cluster");
        }
        final Map<String, Object> producerConfig = new HashMap<>(clientConfig);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, AuthorityPartitioner.class.getName());
        final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(registry);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer())) {
            String proposalId = null;
            long coveredFacts = 0;
            if (contents.getPointer() != null) {
                final SnapshotPointer pointer = contents.getPointer();
                for (final BlobChunk chunk : Snapshots.chunks(Canonical.array(contents.getBlob()), Snapshots.DEFAULT_CHUNK_BYTES)) {
                    producer.send(new ProducerRecord<>(FactFleetTopics.SNAPSHOT_BLOBS.name(), Snapshots.chunkKey(chunk.getCid(), chunk.getIndex()),
                            Canonical.bytes(chunk)));
                }
                final int chunks = Snapshots.chunks(Canonical.array(contents.getBlob()), Snapshots.DEFAULT_CHUNK_BYTES).size();
                final SnapshotPointer restored = SnapshotPointer.newBuilder(pointer).setChunkCount(chunks).build();
                producer.send(new ProducerRecord<>(FactFleetTopics.SNAPSHOTS.name(), authority, Canonical.bytes(restored))).get(30, TimeUnit.SECONDS);
                proposalId = pointer.getProposalId();
                coveredFacts = pointer.getCoveredFacts();
                Thread.sleep(settle.toMillis());
            }
            long sent = 0;
            for (final ByteBuffer bytes : contents.getTail()) {
                final FactEnvelope fact = Canonical.decode(Canonical.array(bytes), FactEnvelope.class);
                producer.send(new ProducerRecord<>(FactFleetTopics.INBOUND.name(), authority, serializer.serialize(FactFleetTopics.INBOUND.name(), fact)));
                if (++sent % 500 == 0) {
                    progress.accept(sent, (long) tailFacts);
                }
            }
            producer.flush();
            progress.accept(sent, (long) tailFacts);
            return new Restored(authority, proposalId, coveredFacts, tailFacts);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("INTERRUPTED", "interrupted while restoring " + authority, e);
        } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new BackupException("KAFKA_UNAVAILABLE", "the target cluster did not acknowledge the snapshot pointer: " + e.getMessage(), e);
        }
    }

    // ---- reading topics ----------------------------------------------------------------------------

    /** The latest value of {@code key} on a compacted topic (all partitions), or null. */
    private static byte[] latest(final Map<String, Object> clientConfig, final String topic, final String key) {
        final byte[][] value = {null};
        readAll(clientConfig, topic, null, r -> {
            if (key.equals(r.key())) {
                value[0] = r.value();
            }
        });
        return value[0];
    }

    /** Reads a topic from the start to its current end (committed records only); one partition when {@code authority} is given. */
    private static void readAll(final Map<String, Object> clientConfig, final String topic, final String authority,
                                final java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        final Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic, READ_TIMEOUT);
            if (infos == null || infos.isEmpty()) {
                throw new BackupException("MISSING_TOPIC", "topic " + topic + " does not exist on the cluster");
            }
            final List<TopicPartition> partitions = new ArrayList<>();
            if (authority != null) {
                partitions.add(new TopicPartition(topic, AuthorityPartitioner.partition(authority, infos.size())));
            } else {
                infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
            final long deadline = System.nanoTime() + READ_TIMEOUT.toNanos() * 5;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, READ_TIMEOUT) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new BackupException("KAFKA_UNAVAILABLE", "reading " + topic + " did not reach its end in time");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }
}
