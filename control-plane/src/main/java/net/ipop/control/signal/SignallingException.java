package net.ipop.control.signal;

/** Signalling could not do what was asked (connect, log in, join, send); the message says what and where. */
public final class SignallingException extends Exception {
    private static final long serialVersionUID = 1L;

    public SignallingException(String message) {
        super(message);
    }

    public SignallingException(String message, Throwable cause) {
        super(message, cause);
    }
}
