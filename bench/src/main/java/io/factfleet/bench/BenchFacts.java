package io.factfleet.bench;

import io.factfleet.contracts.FactFleetTopics;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.Facts;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Signed facts for the bench: authorities with a genesis fact each, then JournalEntry facts from
 * their devices, serialized once into the bytes a device would post to {@code facts.inbound}.
 * Signing happens before any measurement starts: it is the devices' work, not the pipeline's.
 *
 * <p>Every JournalEntry has a fixed-width key ({@code k0000001}) and a value of {@link #valueBytes}
 * bytes, and authority and device ids are fixed-width too, so every entry serializes to the same
 * size: {@link #recordBytes()}.
 */
final class BenchFacts {
    /** Devices per authority (threshold 2): entries rotate over them. */
    static final int DEVICES = 3;

    private final Ed25519Keys.SigningKey operator;
    private final SpecificAvroSerializer<FactEnvelope> serializer;
    private final int valueBytes;

    /** One fact ready to send: the authority it is keyed by, the envelope and its inbound bytes. */
    record SignedFact(String authorityId, FactEnvelope fact, byte[] bytes, byte[] signerPublicKey) {
    }

    /** An authority's facts in send order: genesis first. */
    record AuthorityFacts(String authorityId, List<SignedFact> facts) {
    }

    BenchFacts(final Ed25519Keys.SigningKey operator, final SpecificAvroSerializer<FactEnvelope> serializer, final int valueBytes) {
        this.operator = operator;
        this.serializer = serializer;
        this.valueBytes = valueBytes;
    }

    /** The value size that makes a JournalEntry fact serialize to about {@code targetBytes} on inbound. */
    static int valueBytesFor(final Ed25519Keys.SigningKey operator, final SpecificAvroSerializer<FactEnvelope> serializer,
                             final int targetBytes) {
        final int base = new BenchFacts(operator, serializer, 0).recordBytes();
        return Math.max(0, targetBytes - base);
    }

    /** The serialized size of one JournalEntry fact on inbound (Confluent wire format, Avro binary). */
    int recordBytes() {
        final AuthorityFacts sample = authority(authorityId("size", 0), 1, false);
        return sample.facts().get(0).bytes().length;
    }

    static String authorityId(final String prefix, final int index) {
        return String.format("bench-%s-%04d", prefix, index);
    }

    /** {@code count} authorities named {@code bench-<prefix>-NNNN}, with {@code entriesEach} entries each, signed on all cores. */
    List<AuthorityFacts> authorities(final String prefix, final int count, final int entriesEach) {
        return IntStream.range(0, count).parallel()
                .mapToObj(i -> authority(authorityId(prefix, i), entriesEach, true))
                .toList();
    }

    private AuthorityFacts authority(final String authorityId, final int entries, final boolean withGenesis) {
        final AuthorityGenesis genesis = AuthorityGenesis.generate(authorityId, DEVICES, 2);
        final List<SignedFact> facts = new ArrayList<>(entries + 1);
        if (withGenesis) {
            facts.add(signed(authorityId, genesis.genesisFact(operator), operator.publicKey()));
        }
        final byte[] value = new byte[valueBytes];
        for (int e = 0; e < entries; e++) {
            final int device = e % DEVICES;
            Arrays.fill(value, (byte) ('a' + e % 26));
            final byte[] key = String.format("k%07d", e).getBytes(StandardCharsets.US_ASCII);
            final FactEnvelope fact = genesis.device(device).journalEntry(0, key, value.clone());
            facts.add(signed(authorityId, fact, genesis.deviceKeys().get(device).publicKey()));
        }
        return new AuthorityFacts(authorityId, facts);
    }

    private SignedFact signed(final String authorityId, final FactEnvelope fact, final byte[] publicKey) {
        return new SignedFact(authorityId, fact, serializer.serialize(FactFleetTopics.INBOUND.name(), fact), publicKey);
    }

    /** All facts, genesis facts of every authority first, then the entries round-robin over authorities. */
    static List<SignedFact> sendOrder(final List<AuthorityFacts> authorities) {
        final List<SignedFact> order = new ArrayList<>();
        int longest = 0;
        for (final AuthorityFacts a : authorities) {
            longest = Math.max(longest, a.facts().size());
        }
        for (int i = 0; i < longest; i++) {
            for (final AuthorityFacts a : authorities) {
                if (i < a.facts().size()) {
                    order.add(a.facts().get(i));
                }
            }
        }
        return order;
    }

    /** The message the fact's signer signed, as the ingest verifies it. */
    static byte[] signingMessage(final FactEnvelope fact) {
        return Facts.signingMessage(Facts.id(fact));
    }
}
