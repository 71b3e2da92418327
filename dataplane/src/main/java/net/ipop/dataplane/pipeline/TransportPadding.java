package net.ipop.dataplane.pipeline;

/**
 * WireGuard's padding of inner packets (whitepaper section 5.4.6): the plaintext of a transport data message
 * is the inner packet followed by zero bytes up to a multiple of 16, but never beyond the tunnel MTU. It hides
 * exact packet lengths a little and is what a stock WireGuard peer sends, so we send the same. Receivers take
 * the inner length from the IP header, so the padding is dropped on arrival. A keepalive (empty) stays empty.
 */
final class TransportPadding {
    static final int MULTIPLE = 16;

    private TransportPadding() {
    }

    /**
     * The plaintext length for an inner packet of {@code length} bytes ({@code 0 <= length <= mtu}) in a tunnel
     * of {@code mtu}: {@code length} rounded up to a multiple of 16, capped at {@code mtu}.
     */
    static int paddedLength(int length, int mtu) {
        int padded = (length + MULTIPLE - 1) & -MULTIPLE;
        return Math.min(padded, Math.max(mtu, length));
    }
}
