package io.factfleet.device.internal;

/** The device's own storage failed (disk full, file unreadable, database corrupt). */
public final class DeviceStorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceStorageException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
