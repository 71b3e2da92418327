package net.ipop.ffm.uring;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import net.ipop.ffm.libc.ErrnoException;

/**
 * Asks the kernel which opcodes it supports ({@code IORING_REGISTER_PROBE}) and keeps the answer
 * as a 256-bit set.
 *
 * <p>Mirrors {@code struct io_uring_probe} of include/uapi/linux/io_uring.h: a 16-byte header
 * ({@code u8 last_op, u8 ops_len, u16 resv, u32 resv2[3]}) followed by {@code ops[]} of 8 bytes
 * each ({@code u8 op, u8 resv, u16 flags, u32 resv2}); flags bit 0 is {@code IO_URING_OP_SUPPORTED}.
 */
final class OpcodeProbe {
    static final int MAX_OPS = 256;

    private static final long OPS_LEN_OFFSET = 1;
    private static final int HEADER_SIZE = 16;
    private static final int OP_SIZE = 8;
    private static final long OP_FLAGS_OFFSET = 2;
    private static final int OP_SUPPORTED = 1;

    private OpcodeProbe() {
    }

    /** The supported-opcode set of the ring {@code ringFd}; empty if the kernel cannot say (before 5.6). */
    static long[] supported(int ringFd) {
        long[] bits = new long[MAX_OPS / Long.SIZE];
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment probe = tmp.allocate(HEADER_SIZE + (long) MAX_OPS * OP_SIZE, Long.BYTES);
            UringSyscalls.register(ringFd, UringSyscalls.REGISTER_PROBE, probe, MAX_OPS, "PROBE");
            int count = Math.min(Byte.toUnsignedInt(probe.get(ValueLayout.JAVA_BYTE, OPS_LEN_OFFSET)), MAX_OPS);
            for (int op = 0; op < count; op++) {
                short flags = probe.get(ValueLayout.JAVA_SHORT, HEADER_SIZE + (long) op * OP_SIZE + OP_FLAGS_OFFSET);
                if ((flags & OP_SUPPORTED) != 0) {
                    bits[op >>> 6] |= 1L << op;
                }
            }
        } catch (ErrnoException e) {
            // No probe before 5.6 (EINVAL): callers then learn support from -EINVAL completions.
        }
        return bits;
    }

    static boolean contains(long[] bits, int opcode) {
        return opcode >= 0 && opcode < MAX_OPS && (bits[opcode >>> 6] & (1L << opcode)) != 0;
    }
}
