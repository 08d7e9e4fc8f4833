package io.factfleet.deploy;

/** The local broker could not be started; the message says why and, when it ran, ends with its log's tail. */
public final class BrokerStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BrokerStartException(final String message) {
        super(message);
    }

    public BrokerStartException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
