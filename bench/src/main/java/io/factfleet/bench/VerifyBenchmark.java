package io.factfleet.bench;

import io.factfleet.core.Ed25519Keys;
import io.factfleet.core.SignatureVerifier;
import io.factfleet.registry.client.InMemorySchemaRegistryClient;
import io.factfleet.registry.client.SpecificAvroSerializer;
import io.factfleet.schema.FactEnvelope;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: single-thread Ed25519 verifications per second of the ingest's verifier
 * ({@link IngestVerifier}) over real fact signing messages. BenchMain measures the same thing with a
 * quick in-process loop ({@link VerifySample#measure}); run this for the careful number:
 * <pre>{@code
 * java -cp "$(cat bench/target/classpath.txt):bench/target/classes" org.openjdk.jmh.Main VerifyBenchmark
 * }</pre>
 * or {@code bench/run.sh --verify-jmh} to have BenchMain use it for verify_limit_fps.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class VerifyBenchmark {
    private SignatureVerifier verifier;
    private VerifySample sample;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        verifier = IngestVerifier.current();
        final SpecificAvroSerializer<FactEnvelope> serializer = new SpecificAvroSerializer<>(new InMemorySchemaRegistryClient());
        final BenchFacts facts = new BenchFacts(Ed25519Keys.generate(), serializer, 40);
        final List<BenchFacts.SignedFact> signed = facts.authorities("jmh", 4, 256).stream()
                .flatMap(a -> a.facts().stream().skip(1)) // entries only: device signatures
                .toList();
        sample = new VerifySample(signed);
        sample.checkAllValid(verifier);
    }

    @Benchmark
    public boolean verify() {
        final int i = next;
        next = i + 1 == sample.size() ? 0 : i + 1;
        return verifier.verify(sample.keys[i], sample.messages[i], sample.signatures[i]);
    }
}
