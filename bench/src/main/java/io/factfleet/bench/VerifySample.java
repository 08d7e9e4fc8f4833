package io.factfleet.bench;

import io.factfleet.core.Canonical;
import io.factfleet.core.SignatureVerifier;
import java.util.List;

/**
 * Real fact signatures to verify: for each fact, the signer's public key, the fact's signing message
 * ({@code "factfleet/fact/v1" || 0 || factId}) and its signature, exactly what ingest verifies.
 */
final class VerifySample {
    final byte[][] keys;
    final byte[][] messages;
    final byte[][] signatures;

    VerifySample(final List<BenchFacts.SignedFact> facts) {
        final int n = facts.size();
        keys = new byte[n][];
        messages = new byte[n][];
        signatures = new byte[n][];
        for (int i = 0; i < n; i++) {
            final BenchFacts.SignedFact f = facts.get(i);
            keys[i] = f.signerPublicKey();
            messages[i] = BenchFacts.signingMessage(f.fact());
            signatures[i] = Canonical.array(f.fact().getSignature());
        }
    }

    int size() {
        return keys.length;
    }

    /** Verifies every sample once and fails if one does not verify (a wrong sample would measure the wrong path). */
    void checkAllValid(final SignatureVerifier verifier) {
        for (int i = 0; i < size(); i++) {
            if (!verifier.verify(keys[i], messages[i], signatures[i])) {
                throw new IllegalStateException("sample signature " + i + " does not verify");
            }
        }
    }

    /**
     * Single-thread verifications per second: {@code warmupMillis} of warm-up, then {@code rounds}
     * timed rounds of {@code roundMillis}; the median round.
     */
    Result measure(final SignatureVerifier verifier, final long warmupMillis, final int rounds, final long roundMillis) {
        checkAllValid(verifier);
        run(verifier, warmupMillis);
        final double[] rates = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            rates[r] = run(verifier, roundMillis);
        }
        final double[] sorted = rates.clone();
        java.util.Arrays.sort(sorted);
        return new Result(sorted[rounds / 2], rates);
    }

    record Result(double medianPerSecond, double[] rounds) {
    }

    private double run(final SignatureVerifier verifier, final long millis) {
        final long start = System.nanoTime();
        final long deadline = start + millis * 1_000_000L;
        long count = 0;
        int valid = 0;
        int i = 0;
        long now;
        do {
            // 64 verifications between clock reads: the clock is not what we measure.
            for (int k = 0; k < 64; k++) {
                if (verifier.verify(keys[i], messages[i], signatures[i])) {
                    valid++;
                }
                i = i + 1 == keys.length ? 0 : i + 1;
            }
            count += 64;
            now = System.nanoTime();
        } while (now < deadline);
        if (valid != count) {
            throw new IllegalStateException("a sample signature stopped verifying");
        }
        return count * 1e9 / (now - start);
    }
}
