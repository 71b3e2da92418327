package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import net.ipop.crypto.Suite;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The OpenSSL path allocates nothing per packet once warm - seal, open, and a forged packet's
 * rejection - measured with the calling thread's allocation counter. The JDK path allocates 1-4 KB
 * per round trip, so a tolerance under one byte per packet tells the two apart. Windows are
 * measured until one meets it because C2 may still be compiling on two busy cores (interpreted FFM
 * downcalls allocate).
 */
class OpenSslAllocationTest {
    private static final int PAYLOAD = 1420;
    private static final int WARM_UP = 30_000;
    private static final int WINDOW = 2_000;
    private static final int MAX_WINDOWS = 20;
    private static final long TOLERANCE_BYTES = WINDOW;

    @ParameterizedTest
    @EnumSource(Suite.class)
    @Timeout(60)
    void sealOpenAndForgeryAllocateNothingWhenWarm(Suite suite) {
        assertTrue(AeadImplementation.openSsl(), AeadImplementation.describe());
        byte[] key = new byte[32];
        key[0] = 1;
        AeadScratch scratch = new AeadScratch(PAYLOAD);
        try (Arena arena = Arena.ofConfined();
             PacketSealer sealer = new PacketSealer(suite, key, 7, scratch, true);
             PacketOpener opener = new PacketOpener(suite, key, 7, scratch, true)) {
            MemorySegment packet = arena.allocate(PAYLOAD + TransportHeader.OVERHEAD);
            for (int i = 0; i < WARM_UP; i++) {
                roundTrip(sealer, opener, packet);
            }
            com.sun.management.ThreadMXBean mx =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long thread = Thread.currentThread().threadId();
            List<Long> windows = new ArrayList<>();
            long best = Long.MAX_VALUE;
            for (int w = 0; w < MAX_WINDOWS && best > TOLERANCE_BYTES; w++) {
                long before = mx.getThreadAllocatedBytes(thread);
                for (int i = 0; i < WINDOW; i++) {
                    roundTrip(sealer, opener, packet);
                }
                long used = mx.getThreadAllocatedBytes(thread) - before;
                windows.add(used);
                best = Math.min(best, used);
            }
            assertTrue(best <= TOLERANCE_BYTES, "best window of " + WINDOW + " round trips allocated " + best
                    + " bytes; windows: " + windows);
        }
    }

    private static void roundTrip(PacketSealer sealer, PacketOpener opener, MemorySegment packet) {
        int len = sealer.seal(packet, 0, PAYLOAD);
        byte last = packet.get(java.lang.foreign.ValueLayout.JAVA_BYTE, len - 1);
        packet.set(java.lang.foreign.ValueLayout.JAVA_BYTE, len - 1, (byte) (last ^ 1));
        assertEquals(PacketResult.AUTH_FAILED, opener.open(packet, 0, len));
        packet.set(java.lang.foreign.ValueLayout.JAVA_BYTE, len - 1, last);
        assertEquals(PAYLOAD, opener.open(packet, 0, len));
    }
}
