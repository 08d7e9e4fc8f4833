package io.factfleet.device.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContentRangeTest {
    @Test
    void aRangeWithItsTotalParses() {
        assertThat(ContentRange.parse("bytes 0-499/1234")).hasValue(new ContentRange(0, 499, 1234));
        assertThat(ContentRange.parse("bytes 500-999/*")).hasValue(new ContentRange(500, 999, -1));
        assertThat(ContentRange.parse("bytes */1234")).hasValue(new ContentRange(-1, -1, 1234));
    }

    @Test
    void nonsenseDoesNotParse() {
        assertThat(ContentRange.parse(null)).isEmpty();
        assertThat(ContentRange.parse("bytes 5-3/10")).isEmpty();
        assertThat(ContentRange.parse("bytes 0-10/10")).isEmpty();
        assertThat(ContentRange.parse("items 0-1/10")).isEmpty();
        assertThat(ContentRange.parse("bytes */*")).isEmpty();
    }
}
