package net.ipop.dataplane.ipc;

import org.agrona.DirectBuffer;

import io.aeron.Publication;

/** The bounded retry every proxy in this package offers with. */
final class Offers {
    private Offers() {
    }

    /**
     * Offers {@code length} bytes from the start of {@code buffer}, retrying at most {@code maxRetries} times
     * while the answer is {@link Publication#BACK_PRESSURED} or {@link Publication#ADMIN_ACTION} (both pass
     * on their own). Any other failure (not connected, closed, max position) is final at once.
     *
     * @return the last {@code offer} result: a positive position when delivered, else a negative Aeron code
     */
    static long offer(Publication publication, DirectBuffer buffer, int length, int maxRetries) {
        for (int attempt = 0;; attempt++) {
            long result = publication.offer(buffer, 0, length);
            if (result > 0) {
                return result;
            }
            if ((result != Publication.BACK_PRESSURED && result != Publication.ADMIN_ACTION) || attempt >= maxRetries) {
                return result;
            }
            // The reader runs on another core (or is descheduled on 2 cores): give it the CPU briefly.
            Thread.onSpinWait();
        }
    }
}
