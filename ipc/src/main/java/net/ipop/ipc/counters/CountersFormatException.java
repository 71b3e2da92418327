package net.ipop.ipc.counters;

import java.io.IOException;

/** A file is not a counters file this code can read: wrong magic, unknown layout version, bad lengths. */
public final class CountersFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CountersFormatException(String message) {
        super(message);
    }
}
