package net.ipop.control.ice;

/**
 * What an {@link IceSession} reports. Called on one of ice4j's (or the session's) threads, never while the
 * session's lock is held, so an implementation may call back into the session; it must not block for long.
 */
public interface IceListener {
    /** ICE completed and nominated {@code path}; called once per {@link IceSession#start start}. */
    void onSelected(SelectedPath path);

    /**
     * ICE failed (no pair worked, or consent to the selected path was lost). {@code reason} is for logs.
     * The session stays open: the usual answer is {@link IceSession#restart()}.
     */
    void onFailed(String reason);

    /**
     * A probe ({@link IceSession#probe()}) ended without a direct pair: its checks failed, it selected only a
     * relayed pair, or it was abandoned. The current generation and its path were not touched. A probe that
     * selects a direct pair is reported through {@link #onSelected} instead. {@code reason} is for logs.
     */
    default void onProbeFailed(String reason) {
    }
}
