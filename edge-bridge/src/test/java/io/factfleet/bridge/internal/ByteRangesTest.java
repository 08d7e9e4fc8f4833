package io.factfleet.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.factfleet.bridge.internal.ByteRanges.Malformed;
import io.factfleet.bridge.internal.ByteRanges.MultipleRanges;
import io.factfleet.bridge.internal.ByteRanges.Partial;
import io.factfleet.bridge.internal.ByteRanges.Unsatisfiable;
import io.factfleet.bridge.internal.ByteRanges.Whole;
import org.junit.jupiter.api.Test;

/** RFC 7233's range forms and edge cases (the examples of its section 2.1 among them), one rule per test. */
class ByteRangesTest {
    private static final String ETAG = "\"abc\"";

    private static ByteRanges.Decision decide(final String range, final long length) {
        return ByteRanges.decide(range, null, ETAG, length);
    }

    @Test
    void noRangeIsTheWholeArtifact() {
        assertThat(decide(null, 10_000)).isEqualTo(new Whole());
    }

    @Test
    void theThreeFormsOfOneRange() {
        assertThat(decide("bytes=0-499", 10_000)).isEqualTo(new Partial(0, 499));
        assertThat(decide("bytes=9500-", 10_000)).isEqualTo(new Partial(9500, 9999));
        assertThat(decide("bytes=-500", 10_000)).isEqualTo(new Partial(9500, 9999));
        assertThat(((Partial) decide("bytes=500-999", 10_000)).length()).isEqualTo(500);
    }

    @Test
    void aLastBytePastTheEndIsCutToTheEnd() {
        assertThat(decide("bytes=9000-20000", 10_000)).isEqualTo(new Partial(9000, 9999));
        assertThat(decide("bytes=0-99999999999999999999999", 10)).isEqualTo(new Partial(0, 9));
    }

    @Test
    void aSuffixLongerThanTheArtifactIsAllOfIt() {
        assertThat(decide("bytes=-20000", 10_000)).isEqualTo(new Partial(0, 9999));
    }

    @Test
    void theUnitIsCaseInsensitiveAndSpacesAroundTheRangeAreAllowed() {
        assertThat(decide("Bytes= 0-1 ", 10)).isEqualTo(new Partial(0, 1));
    }

    @Test
    void aRangeFromTheEndOrBeyondIsUnsatisfiable() {
        assertThat(decide("bytes=10000-", 10_000)).isInstanceOf(Unsatisfiable.class);
        assertThat(decide("bytes=10000-10001", 10_000)).isInstanceOf(Unsatisfiable.class);
        assertThat(decide("bytes=99999999999999999999-", 10_000)).isInstanceOf(Unsatisfiable.class);
    }

    @Test
    void aSuffixOfZeroBytesIsUnsatisfiable() {
        assertThat(decide("bytes=-0", 10_000)).isInstanceOf(Unsatisfiable.class);
    }

    @Test
    void anEmptyArtifactHasNoSatisfiableOffsetButASuffixIsAllOfIt() {
        assertThat(decide("bytes=0-", 0)).isInstanceOf(Unsatisfiable.class);
        assertThat(decide("bytes=-5", 0)).isEqualTo(new Whole());
    }

    @Test
    void moreThanOneRangeIsRefused() {
        assertThat(decide("bytes=0-1,5-6", 10_000)).isEqualTo(new MultipleRanges(2));
        assertThat(decide("bytes=0-1, -5", 10_000)).isEqualTo(new MultipleRanges(2));
    }

    @Test
    void emptyListElementsAreSkipped() {
        assertThat(decide("bytes=,0-1,", 10)).isEqualTo(new Partial(0, 1));
    }

    @Test
    void malformedBytesRangesAreMalformed() {
        for (final String range : new String[] {"bytes=", "bytes=abc", "bytes=5-3", "bytes=-", "bytes=1-2-3", "bytes=+1-2", "bytes=0x1-",
                "bytes=1 - 2", "bytes=-1-2", "0-1", "bytes=0-1,x"}) {
            assertThat(decide(range, 10_000)).as(range).isInstanceOf(Malformed.class);
        }
    }

    @Test
    void anotherUnitIsIgnored() {
        assertThat(decide("items=0-5", 10_000)).isEqualTo(new Whole());
    }

    @Test
    void anIfRangeWithOurEntityTagKeepsTheRange() {
        assertThat(ByteRanges.decide("bytes=0-9", ETAG, ETAG, 100)).isEqualTo(new Partial(0, 9));
    }

    @Test
    void anIfRangeWithAnotherTagAWeakTagOrADateIsTheWholeArtifact() {
        assertThat(ByteRanges.decide("bytes=0-9", "\"other\"", ETAG, 100)).isEqualTo(new Whole());
        assertThat(ByteRanges.decide("bytes=0-9", "W/" + ETAG, ETAG, 100)).isEqualTo(new Whole());
        assertThat(ByteRanges.decide("bytes=0-9", "Wed, 21 Oct 2015 07:28:00 GMT", ETAG, 100)).isEqualTo(new Whole());
    }

    @Test
    void anIfRangeWithoutARangeIsTheWholeArtifact() {
        assertThat(ByteRanges.decide(null, ETAG, ETAG, 100)).isEqualTo(new Whole());
    }
}
