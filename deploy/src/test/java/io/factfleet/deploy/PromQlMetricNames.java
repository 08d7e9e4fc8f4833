package io.factfleet.deploy;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names or strings. */
final class PromQlMetricNames {
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");

    private PromQlMetricNames() {
    }

    static Set<String> of(final String expr) {
        String s = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
        s = s.replaceAll("\\{[^}]*}", "");
        s = s.replaceAll("\\[[^]]*]", "");
        s = s.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "");
        final Set<String> names = new TreeSet<>();
        final Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            final String token = m.group().replaceAll("[\\s(]", "");
            if (m.group(1) == null && !KEYWORDS.contains(token.toLowerCase(Locale.ROOT))) {
                names.add(token);
            }
        }
        return names;
    }
}
