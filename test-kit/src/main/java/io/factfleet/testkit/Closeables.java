package io.factfleet.testkit;

/** Closing what a test started, in order, whatever fails. */
public final class Closeables {
    private Closeables() {
    }

    /** Closes each non-null resource in turn; a failure to close one does not keep the others open. */
    public static void closeAll(final AutoCloseable... resources) {
        for (final AutoCloseable c : resources) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (final Exception ignored) {
                // best effort: the test is over, keep closing the rest
            }
        }
    }
}
