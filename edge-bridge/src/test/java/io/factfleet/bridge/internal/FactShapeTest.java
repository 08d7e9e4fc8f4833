package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.bridge.BridgeError;
import io.factfleet.core.AuthorityGenesis;
import io.factfleet.core.Canonical;
import io.factfleet.schema.FactEnvelope;
import io.factfleet.schema.JournalEntry;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class FactShapeTest {
    private final AuthorityGenesis site = AuthorityGenesis.generate("site-1", 2, 1);
    private final Caller device0 = TestRosters.caller(site, 0);

    private static SubmittedFact submitted(final FactEnvelope fact) {
        return new SubmittedFact(fact, Canonical.bytes(fact));
    }

    private FactEnvelope entry(final int device) {
        return site.device(device).journalEntry(0, new byte[] {1}, new byte[] {2});
    }

    @Test
    void aWellFormedFactOfTheDeviceItselfPasses() {
        assertThat(FactShape.check(submitted(entry(0)), device0, 65_536)).isEmpty();
    }

    @Test
    void aFactWhoseIdIsNotTheHashOfItsBodyIsRejected() {
        final FactEnvelope fact = entry(0);
        fact.getBody().setPayload(new JournalEntry(ByteBuffer.wrap(new byte[] {9}), ByteBuffer.wrap(new byte[] {9}), null));

        assertThat(FactShape.check(submitted(fact), device0, 65_536)).get().extracting(FactShape.Rejection::code)
                .isEqualTo(BridgeError.FACT_ID_MISMATCH);
    }

    @Test
    void aFactOfAnotherAuthorityIsRejected() {
        final FactEnvelope other = AuthorityGenesis.generate("site-2", 1, 1).device(0).journalEntry(0, new byte[] {1}, new byte[] {2});

        assertThat(FactShape.check(submitted(other), device0, 65_536)).get().extracting(FactShape.Rejection::code)
                .isEqualTo(BridgeError.WRONG_AUTHORITY);
    }

    @Test
    void aFactNamingAnotherDeviceIsRejectedUnlessTheAdminSignedIt() {
        assertThat(FactShape.check(submitted(entry(1)), device0, 65_536)).get().extracting(FactShape.Rejection::code)
                .isEqualTo(BridgeError.WRONG_DEVICE);

        final FactEnvelope adminSigned = site.admin().cacheInvalidated(0, List.of("k"), 1);
        assertThat(FactShape.check(submitted(adminSigned), device0, 65_536)).isEmpty();
    }

    @Test
    void aFactOverTheSizeLimitIsRejected() {
        final FactEnvelope big = site.device(0).journalEntry(0, new byte[] {1}, new byte[2_000]);

        assertThat(FactShape.check(submitted(big), device0, 1_000)).get().extracting(FactShape.Rejection::code)
                .isEqualTo(BridgeError.TOO_LARGE);
    }

    @Test
    void anEnvelopeWithoutA64ByteSignatureIsMalformed() {
        final FactEnvelope fact = entry(0);
        fact.setSignature(ByteBuffer.wrap(new byte[3]));

        assertThat(FactShape.check(submitted(fact), device0, 65_536)).get().extracting(FactShape.Rejection::code)
                .isEqualTo(BridgeError.MALFORMED_ENVELOPE);
    }
}
