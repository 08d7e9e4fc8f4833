package io.factfleet.reducer.internal;

import io.factfleet.contracts.JournalKey;
import io.factfleet.core.Facts;
import io.factfleet.schema.AuthorityCreated;
import io.factfleet.schema.FactEnvelope;

/**
 * The keys of the fact stores (layout documented on {@code ReducerStores}); journal keys themselves
 * are {@link JournalKey}'s.
 */
public final class FactKeys {
    static final char SEPARATOR = '/';
    static final int FACT_ID_HEX_LENGTH = 64;
    static final int EPOCH_LENGTH = 20;
    static final int SEQ_LENGTH = 20;

    private FactKeys() {
    }

    /** The journal key a fact must be written under: {@code <authorityId>/<factIdHex>}. */
    public static String journalKey(final FactEnvelope fact) {
        return JournalKey.of(fact.getBody().getAuthorityId(), Facts.idHex(fact));
    }

    /**
     * The authority and fact id of a journal key (a tombstone has nothing else to go by).
     *
     * @throws IllegalArgumentException when the key is not {@code <valid authority id>/<64 hex digits>}
     */
    public static String[] parseJournalKey(final String key) {
        if (key == null || key.indexOf(SEPARATOR) < 0) {
            throw new IllegalArgumentException("journal key '" + key + "' is not <authorityId>/<factIdHex>");
        }
        final String authorityId = JournalKey.authorityOf(key);
        final String factIdHex = JournalKey.factIdOf(key);
        if (!JournalKey.isValidAuthorityId(authorityId) || !isFactIdHex(factIdHex)) {
            throw new IllegalArgumentException("journal key '" + key + "' is not <authorityId>/<64 hex digits of the fact id>");
        }
        return new String[] {authorityId, factIdHex};
    }

    /** The prefix every store key of one authority starts with. */
    public static String authorityPrefix(final String authorityId) {
        return authorityId + SEPARATOR;
    }

    /** An upper bound for range scans over the keys starting with {@code prefix} (all keys are ASCII after it). */
    public static String upperBound(final String prefix) {
        return prefix + Character.MAX_VALUE;
    }

    /** The fact-index key: the authority, then the reducer's canonical order (epoch, genesis first, fact id). */
    public static String indexKey(final FactEnvelope fact) {
        final boolean genesis = fact.getBody().getPayload() instanceof AuthorityCreated;
        return authorityPrefix(fact.getBody().getAuthorityId()) + sortableEpoch(fact.getBody().getIdentityEpoch())
                + SEPARATOR + (genesis ? '0' : '1') + SEPARATOR + Facts.idHex(fact);
    }

    /**
     * A 20-character string whose order is the order of the longs: non-negative epochs zero-padded
     * (readable), negative ones as '-' (which sorts before '0') and the distance from Long.MIN_VALUE.
     */
    static String sortableEpoch(final long epoch) {
        return epoch >= 0 ? pad(Long.toString(epoch), EPOCH_LENGTH) : "-" + pad(Long.toString(epoch - Long.MIN_VALUE), EPOCH_LENGTH - 1);
    }

    /** The seq-index key of an authority's fact number {@code seq} (at least 1): {@code <authorityId>/<seq, 20 digits>}. */
    public static String seqKey(final String authorityId, final long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("seqs start at 1, got " + seq);
        }
        return authorityPrefix(authorityId) + pad(Long.toString(seq), SEQ_LENGTH);
    }

    /** The seq at the end of a seq-index key. */
    public static long seqOf(final String seqKey) {
        return Long.parseLong(seqKey.substring(seqKey.length() - SEQ_LENGTH));
    }

    /** The rejected-expiry key of a rejection: its time (sortable), then the journal key. */
    public static String expiryKey(final long rejectedAtMillis, final String journalKey) {
        return sortableEpoch(rejectedAtMillis) + SEPARATOR + journalKey;
    }

    /** An upper bound of the rejected-expiry keys of rejections at or before {@code millis}. */
    public static String expiryUpperBound(final long millis) {
        return sortableEpoch(millis) + SEPARATOR + Character.MAX_VALUE;
    }

    /** The fact id (hex) at the end of a fact-ids or fact-index key. */
    public static String factIdHexOf(final String key) {
        return key.substring(key.length() - FACT_ID_HEX_LENGTH);
    }

    /** Whether {@code s} is 64 lower-case hex digits, as fact ids are written. */
    public static boolean isFactIdHex(final String s) {
        if (s == null || s.length() != FACT_ID_HEX_LENGTH) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static String pad(final String digits, final int length) {
        return "0".repeat(length - digits.length()) + digits;
    }
}
