package net.ipop.ipc;

import org.agrona.DirectBuffer;

import io.aeron.Publication;

/** The bounded retry every proxy of either plane offers with, and Aeron's offer codes in words. */
public final class Offers {
    private Offers() {
    }

    /**
     * Offers {@code length} bytes from the start of {@code buffer}, retrying at most {@code maxRetries} times
     * while the answer is {@link Publication#BACK_PRESSURED} or {@link Publication#ADMIN_ACTION} (both pass
     * on their own). Any other failure (not connected, closed, max position) is final at once.
     *
     * @return the last {@code offer} result: a positive position when delivered, else a negative Aeron code
     */
    public static long offer(Publication publication, DirectBuffer buffer, int length, int maxRetries) {
        for (int attempt = 0;; attempt++) {
            long result = publication.offer(buffer, 0, length);
            if (result > 0) {
                return result;
            }
            if ((result != Publication.BACK_PRESSURED && result != Publication.ADMIN_ACTION) || attempt >= maxRetries) {
                return result;
            }
            // On two cores the reader may be waiting for this very CPU: yield rather than spin.
            Thread.yield();
        }
    }

    /** Aeron's negative offer result in words, for error messages. */
    public static String describe(long result) {
        if (result == Publication.NOT_CONNECTED) {
            return "no data plane reads commands";
        }
        if (result == Publication.BACK_PRESSURED) {
            return "the data plane is not keeping up (back pressure)";
        }
        if (result == Publication.ADMIN_ACTION) {
            return "the publication was busy (admin action)";
        }
        if (result == Publication.CLOSED) {
            return "the connection is closed";
        }
        if (result == Publication.MAX_POSITION_EXCEEDED) {
            return "the publication reached its maximum position";
        }
        return "offer result " + result;
    }
}
