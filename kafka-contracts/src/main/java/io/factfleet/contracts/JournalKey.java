package io.factfleet.contracts;

import java.util.regex.Pattern;

/** The journal's record key: {@code authorityId + "/" + factIdHex}. Authority ids cannot contain '/'. */
public final class JournalKey {
    /** What an authority id may look like: 1 to 128 letters, digits, '.', '_' or '-'. */
    public static final Pattern AUTHORITY_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private JournalKey() {
    }

    public static String of(final String authorityId, final String factIdHex) {
        return authorityId + "/" + factIdHex;
    }

    public static String authorityOf(final String key) {
        final int slash = key.indexOf('/');
        return slash < 0 ? key : key.substring(0, slash);
    }

    public static String factIdOf(final String key) {
        final int slash = key.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a journal key (authorityId/factId): " + key);
        }
        return key.substring(slash + 1);
    }

    public static boolean isValidAuthorityId(final String authorityId) {
        return authorityId != null && AUTHORITY_ID.matcher(authorityId).matches();
    }
}
