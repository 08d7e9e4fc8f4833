package io.factfleet.bridge.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a {@code GET} of an artifact answers for its {@code Range} and {@code If-Range} headers
 * (RFC 7233, as restated in RFC 9110 section 14), for one entity tag and length. Hand-written:
 * Javalin's {@code writeSeekableStream} answers no 416, ignores {@code If-Range} and suffix ranges,
 * and cuts ranges to its chunk size.
 *
 * <ul>
 *   <li>no {@code Range}, a unit other than {@code bytes}, or an {@code If-Range} that is not our
 *       strong entity tag (another tag, a weak tag or a date: we keep no modification date):
 *       the whole artifact ({@code 200});</li>
 *   <li>one satisfiable range ({@code a-b}, {@code a-} or {@code -n}; {@code b} past the end is cut
 *       to the end, a suffix longer than the artifact is the whole of it): {@code 206};</li>
 *   <li>one range starting at or past the end, or {@code -0}: {@code 416};</li>
 *   <li>more than one range: {@code 416} as well (RFC 9110 lets a server reject them; a device
 *       asks for one range at a time);</li>
 *   <li>a {@code bytes} range that does not parse ({@code bytes=x-}, {@code bytes=5-3}): {@code 400}
 *       (RFC 9110 allows ignoring or rejecting it; rejecting tells a device's bug apart).</li>
 * </ul>
 */
public final class ByteRanges {
    private static final String BYTES = "bytes";

    private ByteRanges() {
    }

    /** The answer to give. */
    public sealed interface Decision {
    }

    /** {@code 200}, all bytes. */
    public record Whole() implements Decision {
    }

    /** {@code 206}, bytes {@code first} to {@code last}, both included. */
    public record Partial(long first, long last) implements Decision {
        public long length() {
            return last - first + 1;
        }
    }

    /** {@code 416}: no byte of the range is in the artifact. */
    public record Unsatisfiable(String message) implements Decision {
    }

    /** {@code 416}: more than one range. */
    public record MultipleRanges(int count) implements Decision {
    }

    /** {@code 400}: a {@code bytes} range that does not parse. */
    public record Malformed(String message) implements Decision {
    }

    /**
     * @param range   the {@code Range} header, null if absent
     * @param ifRange the {@code If-Range} header, null if absent
     * @param etag    the artifact's strong entity tag, quotes included
     * @param length  the artifact's length in bytes
     */
    public static Decision decide(final String range, final String ifRange, final String etag, final long length) {
        if (range == null) {
            return new Whole();
        }
        if (ifRange != null && !ifRange.strip().equals(etag)) {
            return new Whole();
        }
        final int eq = range.indexOf('=');
        if (eq < 0) {
            return new Malformed("Range must be 'bytes=<first>-<last>', 'bytes=<first>-' or 'bytes=-<suffix length>', not '" + range + "'");
        }
        if (!range.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals(BYTES)) {
            return new Whole(); // RFC 7233 3.1: a range unit the server does not understand is ignored
        }
        final List<String> specs = new ArrayList<>();
        for (final String element : range.substring(eq + 1).split(",", -1)) {
            if (!element.isBlank()) {
                specs.add(element.strip());
            }
        }
        if (specs.isEmpty()) {
            return new Malformed("Range names no byte range: '" + range + "'");
        }
        final List<Decision> decided = new ArrayList<>();
        for (final String spec : specs) {
            final Decision one = one(spec, length);
            if (one instanceof Malformed) {
                return one;
            }
            decided.add(one);
        }
        if (decided.size() > 1) {
            return new MultipleRanges(decided.size());
        }
        return decided.get(0);
    }

    private static Decision one(final String spec, final long length) {
        final int dash = spec.indexOf('-');
        if (dash < 0) {
            return malformed(spec);
        }
        final String first = spec.substring(0, dash);
        final String last = spec.substring(dash + 1);
        if (first.isEmpty()) {
            if (!digits(last)) {
                return malformed(spec);
            }
            final long suffix = number(last);
            if (suffix == 0) {
                return new Unsatisfiable("the range -0 asks for no byte");
            }
            return length == 0 ? new Whole() : new Partial(Math.max(0, length - suffix), length - 1);
        }
        if (!digits(first) || !last.isEmpty() && !digits(last)) {
            return malformed(spec);
        }
        final long from = number(first);
        final long to = last.isEmpty() ? Long.MAX_VALUE : number(last);
        if (to < from) {
            return new Malformed("the range " + spec + " ends before it starts");
        }
        if (from >= length) {
            return new Unsatisfiable("the range " + spec + " starts at or after the end of the artifact (" + length + " bytes)");
        }
        return new Partial(from, Math.min(to, length - 1));
    }

    private static Malformed malformed(final String spec) {
        return new Malformed("'" + spec + "' is not a byte range: use <first>-<last>, <first>- or -<suffix length>, in decimal digits");
    }

    private static boolean digits(final String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** A decimal number; one too large for a long is as good as infinite here. */
    private static long number(final String digits) {
        try {
            return Long.parseLong(digits);
        } catch (final NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
