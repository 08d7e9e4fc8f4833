package io.factfleet.device.internal;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Content-Range: bytes a-b/total} (or {@code bytes a-b/*}, total -1; or {@code bytes *&#47;total},
 * first and last -1) of a range answer (RFC 7233 4.2).
 */
public record ContentRange(long first, long last, long total) {
    private static final Pattern RANGE = Pattern.compile("bytes\\s+(?:(\\d{1,18})-(\\d{1,18})|\\*)/(\\d{1,18}|\\*)", Pattern.CASE_INSENSITIVE);

    /** The header's range, or empty if it is absent or not a bytes range. */
    public static Optional<ContentRange> parse(final String header) {
        if (header == null) {
            return Optional.empty();
        }
        final Matcher m = RANGE.matcher(header.strip());
        if (!m.matches() || m.group(1) == null && "*".equals(m.group(3))) {
            return Optional.empty();
        }
        final long first = m.group(1) == null ? -1 : Long.parseLong(m.group(1));
        final long last = m.group(2) == null ? -1 : Long.parseLong(m.group(2));
        final long total = "*".equals(m.group(3)) ? -1 : Long.parseLong(m.group(3));
        if (first > last || total >= 0 && last >= total) {
            return Optional.empty();
        }
        return Optional.of(new ContentRange(first, last, total));
    }
}
