package net.ipop.crypto.primitives;

/**
 * TAI64N timestamps (12 bytes: big-endian seconds with the 2^62 + 10 label, big-endian
 * nanoseconds), as the WireGuard initiation carries them. Stateless.
 */
public final class Tai64n {
    /** Encoded length in bytes. */
    public static final int LENGTH = 12;

    /** TAI64 label of the Unix epoch; the 10 is the TAI-UTC offset in 1970 that WireGuard keeps. */
    private static final long EPOCH_LABEL = 0x400000000000000aL;
    /**
     * Low nanosecond bits cleared before encoding (about 16.8 ms), as WireGuard does, so the
     * timestamp does not leak a fine-grained clock reading to an observer who can decrypt it later.
     */
    private static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {
    }

    /** Encodes wall-clock {@code epochNanos} (nanoseconds since 1970-01-01 UTC) into {@code out[off..+12]}. */
    public static void encode(long epochNanos, byte[] out, int off) {
        long seconds = Math.floorDiv(epochNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L) & ~WHITENER_MASK;
        long label = EPOCH_LABEL + seconds;
        for (int i = 0; i < 8; i++) {
            out[off + i] = (byte) (label >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[off + 8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
    }

    /** Compares two encoded timestamps as unsigned big-endian numbers: negative, zero or positive. */
    public static int compare(byte[] a, int aOff, byte[] b, int bOff) {
        return java.util.Arrays.compareUnsigned(a, aOff, aOff + LENGTH, b, bOff, bOff + LENGTH);
    }
}
