package io.factfleet.core;

import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.SnapshotCompleted;
import io.factfleet.schema.SnapshotStatement;
import io.factfleet.schema.snapshot.SnapshotBlob;
import io.factfleet.schema.snapshot.SnapshotPointer;
import io.factfleet.schema.state.MaintenanceState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Deterministic inputs for the fuzz targets (issue 12, point 4): keys from fixed seeds and facts at a fixed
 * time, so that a seed file committed under {@code <TestClass>Inputs/<method>/} stays a valid input (its
 * signatures verify against the same keys) in every later run.
 *
 * <p>Each fuzz target writes its seeds with {@code -Dfuzz.writeSeeds=true} (see the README, "Fuzzing").
 */
public final class FuzzFixtures {
    /** The time every fixture fact is issued at, and the clock of every fixture service. */
    public static final long T0 = 1_700_000_000_000L;

    private FuzzFixtures() {
    }

    /** A key derived from {@code name}: the same key in every run. */
    public static Ed25519Keys.SigningKey key(final String name) {
        return Ed25519Keys.fromSeed(Hashing.sha256(("factfleet-fuzz/" + name).getBytes(StandardCharsets.UTF_8)));
    }

    /** The operator key that signs the fixture authorities' genesis facts. */
    public static Ed25519Keys.SigningKey operator() {
        return key("operator");
    }

    /** Operator keys (key id to public key) that trust {@link #operator()}. */
    public static Map<String, byte[]> operatorKeys() {
        return Map.of(operator().keyId(), operator().publicKey());
    }

    /** An authority with devices {@code <id>-d0 ..} and an admin, all with derived keys. */
    public static AuthorityGenesis authority(final String authorityId, final int devices, final int threshold) {
        final Map<String, Ed25519Keys.SigningKey> keys = new LinkedHashMap<>();
        for (int i = 0; i < devices; i++) {
            keys.put(authorityId + "-d" + i, key(authorityId + "/device/" + i));
        }
        return AuthorityGenesis.of(authorityId, keys, key(authorityId + "/admin"), threshold);
    }

    /** Device {@code index} of {@code authority}, signing at {@link #T0}. */
    public static DeviceSigner device(final AuthorityGenesis authority, final int index) {
        final String id = authority.deviceIds().get(index);
        return new DeviceSigner(authority.authorityId(), id, authority.deviceKeys().get(index), () -> T0);
    }

    /** The admin of {@code authority}, signing at {@link #T0}. */
    public static DeviceSigner admin(final AuthorityGenesis authority) {
        return new DeviceSigner(authority.authorityId(), "admin", authority.adminKey(), () -> T0);
    }

    /** The genesis fact of {@code authority}, signed by {@link #operator()} at {@link #T0}. */
    public static FactEnvelope genesis(final AuthorityGenesis authority) {
        final FactEnvelope fact = authority.genesisFact(operator());
        // genesisFact signs with the wall clock; re-sign the same body at T0 so that the fact is the same in every run.
        return new DeviceSigner(authority.authorityId(), "operator", operator(), () -> T0)
                .sign(fact.getBody().getIdentityEpoch(), fact.getBody().getPayload());
    }

    /** {@code count} journal entries by the authority's devices, in turn. */
    public static List<FactEnvelope> entries(final AuthorityGenesis authority, final int count) {
        final List<FactEnvelope> facts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            facts.add(device(authority, i % authority.deviceIds().size())
                    .journalEntry(0, ("key-" + i).getBytes(StandardCharsets.UTF_8), ("value-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return facts;
    }

    /**
     * A completed snapshot as the coordinator makes one: the state of genesis and {@code entries} facts, its blob,
     * the completion fact certified by {@code threshold} devices, and the pointer that names them.
     */
    public record Snapshot(AuthorityGenesis authority, List<FactEnvelope> facts, MaintenanceState state, SnapshotBlob blob,
                           byte[] blobBytes, String cid, FactEnvelope completion, SnapshotPointer pointer) {
        public byte[] pointerBytes() {
            return Canonical.bytes(pointer);
        }
    }

    public static Snapshot snapshot(final AuthorityGenesis authority, final int entries) {
        final FactEnvelope genesis = genesis(authority);
        final List<FactEnvelope> facts = new ArrayList<>(List.of(genesis));
        facts.addAll(entries(authority, entries));
        final MaintenanceState state = Reducer.standard().reduce(authority.authorityId(), facts);
        final List<byte[]> ids = new ArrayList<>();
        facts.forEach(f -> ids.add(Facts.id(f)));
        final String proposalId = "fuzz-p1";
        final SnapshotBlob blob = Snapshots.blob(state, proposalId, 0, ids, List.of(genesis));
        final byte[] blobBytes = Canonical.bytes(blob);
        final String cid = Snapshots.cid(blobBytes);
        final byte[] digest = StateDigest.of(state);
        final SnapshotStatement statement = new SnapshotStatement(authority.authorityId(), proposalId, 0L, ByteBuffer.wrap(digest));
        final FactEnvelope completion = admin(authority).sign(0, new SnapshotCompleted(statement, cid, (long) facts.size(),
                ThresholdCertificates.of(statement, authority.deviceKeys().subList(0, authority.threshold()))));
        final SnapshotPointer pointer = SnapshotPointer.newBuilder()
                .setAuthorityId(authority.authorityId())
                .setProposalId(proposalId)
                .setEpoch(0)
                .setDigest(ByteBuffer.wrap(digest))
                .setBlobCid(cid)
                .setChunkCount(1)
                .setBlobBytes(blobBytes.length)
                .setCompletion(ByteBuffer.wrap(Canonical.bytes(completion)))
                .setCoveredFacts(facts.size())
                .setFactsPruned(0)
                .setBytesPruned(0)
                .build();
        return new Snapshot(authority, facts, state, blob, blobBytes, cid, completion, pointer);
    }

    /** Whether this run should (re)write the seed corpus: {@code -Dfuzz.writeSeeds=true}. */
    public static boolean writingSeeds() {
        return Boolean.getBoolean("fuzz.writeSeeds");
    }

    /**
     * Writes one seed of {@code testClass}'s fuzz test {@code method} into the module's source tree (Jazzer's
     * layout: {@code src/test/resources/<package>/<Class>Inputs/<method>/<name>}); the module directory is the
     * working directory of a Surefire run.
     */
    public static void writeSeed(final Class<?> testClass, final String method, final String name, final byte[] bytes) {
        final Path dir = Path.of("src", "test", "resources").resolve(testClass.getPackageName().replace('.', '/'))
                .resolve(testClass.getSimpleName() + "Inputs").resolve(method);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name), bytes);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The seeds of {@code testClass}'s fuzz test {@code method} as the classpath has them, by file name. */
    public static Map<String, byte[]> seeds(final Class<?> testClass, final String method) {
        final java.net.URL url = testClass.getResource(testClass.getSimpleName() + "Inputs/" + method);
        if (url == null) {
            return Map.of();
        }
        final Map<String, byte[]> seeds = new java.util.TreeMap<>();
        try (var files = Files.list(Path.of(url.toURI()))) {
            for (final Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    seeds.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return seeds;
    }

    /**
     * The seeds of a fuzz test that {@code generator} makes: written into the source tree first when
     * {@link #writingSeeds()}, else as committed (what the classpath has, {@code seed-*} files only).
     */
    public static Map<String, byte[]> seedCorpus(final Class<?> testClass, final String method,
                                                 final java.util.function.Supplier<Map<String, byte[]>> generator) {
        if (!writingSeeds()) {
            return validSeeds(testClass, method);
        }
        final Map<String, byte[]> generated = generator.get();
        generated.forEach((name, bytes) -> writeSeed(testClass, method, name, bytes));
        return generated;
    }

    /** The seeds whose names start with {@code seed-} (the ones this project wrote), not the fuzzer's findings. */
    public static Map<String, byte[]> validSeeds(final Class<?> testClass, final String method) {
        final Map<String, byte[]> valid = new java.util.TreeMap<>(seeds(testClass, method));
        valid.keySet().removeIf(name -> !name.startsWith("seed-"));
        return valid;
    }

    /** True if {@code t} is an instance of one of {@code allowed}. */
    public static boolean isOneOf(final Throwable t, final Set<Class<? extends Throwable>> allowed) {
        return allowed.stream().anyMatch(c -> c.isInstance(t));
    }
}
