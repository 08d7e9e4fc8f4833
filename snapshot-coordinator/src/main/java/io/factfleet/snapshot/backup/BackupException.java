package io.factfleet.snapshot.backup;

/** A backup or restore that cannot go on; {@link #code()} is stable, the message says what to do. */
public final class BackupException extends RuntimeException {
    private final String code;

    public BackupException(final String code, final String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public BackupException(final String code, final String message, final Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
