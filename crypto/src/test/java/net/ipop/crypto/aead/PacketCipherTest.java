package net.ipop.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import net.ipop.crypto.Suite;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.AEADCipher;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Runs on the JDK implementation; {@link OpenSslPacketCipherTest} runs the same tests on OpenSSL. */
class PacketCipherTest {
    private static final int SENDER_INDEX = 0x0badf00d;  // what the peer (receiver) told us to use
    private static final int HEAD = TransportHeader.LENGTH;

    private final Arena arena = Arena.ofConfined();
    private final Random rnd = new Random(7);
    private final AeadScratch scratch = new AeadScratch();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** Which implementation the sealers and openers of this test use. */
    boolean useOpenSsl() {
        return false;
    }

    private PacketSealer sealer(Suite suite, byte[] key, int index, AeadScratch s) {
        return new PacketSealer(suite, key, index, s, useOpenSsl());
    }

    private PacketOpener opener(Suite suite, byte[] key, int index, AeadScratch s) {
        return new PacketOpener(suite, key, index, s, useOpenSsl());
    }

    private byte[] key(int seed) {
        byte[] k = new byte[32];
        new Random(seed).nextBytes(k);
        return k;
    }

    /** An off-heap region at a non-zero offset: headroom, random payload, room for the tag. */
    private MemorySegment region(long offset, byte[] payload) {
        MemorySegment seg = arena.allocate(offset + TransportHeader.OVERHEAD + payload.length + 8);
        MemorySegment.copy(payload, 0, seg, ValueLayout.JAVA_BYTE, offset + HEAD, payload.length);
        return seg;
    }

    private byte[] payload(int n) {
        byte[] p = new byte[n];
        rnd.nextBytes(p);
        return p;
    }

    private static byte[] bytes(MemorySegment seg, long offset, int n) {
        return seg.asSlice(offset, n).toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void roundTripInPlaceAtManySizes(Suite suite) {
        try (PacketSealer sealer = sealer(suite, key(1), SENDER_INDEX, scratch);
             PacketOpener opener = opener(suite, key(1), SENDER_INDEX, scratch)) {
            int[] sizes = {0, 1, 15, 16, 17, 64, 1420, 1500, 9000, 65535};
            long counter = 0;
            for (int n : sizes) {
                byte[] p = payload(n);
                long off = 24;
                MemorySegment seg = region(off, p);
                int len = sealer.seal(seg, off, n);
                assertEquals(n + 32, len);
                TransportHeader h = new TransportHeader().wrap(seg, off);
                assertEquals(TransportHeader.dataType(suite), h.type());
                assertEquals(SENDER_INDEX, h.receiverIndex());
                assertEquals(counter++, h.counter());
                if (n >= 16) {
                    assertFalse(java.util.Arrays.equals(p, bytes(seg, off + HEAD, n)), "payload encrypted");
                }
                assertEquals(n, opener.open(seg, off, len));
                assertArrayEquals(p, bytes(seg, off + HEAD, n));
            }
            assertEquals(sizes.length - 1, opener.highestCounter());
        }
    }

    @Test
    void wireLayoutIsLittleEndianWireGuard() {
        try (PacketSealer sealer = sealer(Suite.CHACHA20POLY1305, key(1), 0x04030201, scratch)) {
            sealer.nextCounter(0x0807060504030201L);
            MemorySegment seg = region(0, payload(3));
            sealer.seal(seg, 0, 3);
            assertArrayEquals(new byte[] {4, 0, 0, 0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8}, bytes(seg, 0, 16));
        }
        assertEquals(0x14, TransportHeader.dataType(Suite.AES256GCM), "IPOP data type, distinct from handshake types 0x11-0x13");
        assertEquals(4, TransportHeader.dataType(Suite.CHACHA20POLY1305));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void matchesIndependentImplementationWithWireGuardNonce(Suite suite) throws InvalidCipherTextException {
        byte[] k = key(3);
        byte[] p = payload(1420);
        long counter = 0x1122334455667788L;
        MemorySegment seg = region(0, p);
        try (PacketSealer sealer = sealer(suite, k, SENDER_INDEX, scratch)) {
            sealer.nextCounter(counter);
            assertEquals(1420 + 32, sealer.seal(seg, 0, 1420));
        }
        byte[] nonce = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putLong(counter).array();
        AEADCipher bc = suite == Suite.AES256GCM ? GCMBlockCipher.newInstance(AESEngine.newInstance())
                : new ChaCha20Poly1305();
        bc.init(true, new AEADParameters(new KeyParameter(k), 128, nonce));
        byte[] expected = new byte[p.length + 16];
        int n = bc.processBytes(p, 0, p.length, expected, 0);
        bc.doFinal(expected, n);
        assertArrayEquals(expected, bytes(seg, HEAD, p.length + 16));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void everySingleBitFlipIsRejectedAndLeavesPayloadAlone(Suite suite) {
        byte[] p = payload(40);
        byte[] k = key(4);
        try (PacketSealer sealer = sealer(suite, k, SENDER_INDEX, scratch)) {
            MemorySegment sealed = region(0, p);
            int len = sealer.seal(sealed, 0, p.length);
            byte[] wire = bytes(sealed, 0, len);
            for (int bit = 0; bit < len * 8; bit++) {
                byte[] t = wire.clone();
                t[bit / 8] ^= (byte) (1 << (bit % 8));
                MemorySegment seg = arena.allocate(len);
                MemorySegment.copy(t, 0, seg, ValueLayout.JAVA_BYTE, 0, len);
                // A fresh opener each time, so the replay window never hides an authentication result.
                try (PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
                    int r = opener.open(seg, 0, len);
                    int expected = bit < 64 ? PacketResult.MALFORMED    // type, receiver index
                            : PacketResult.AUTH_FAILED;                 // counter (nonce), ciphertext, tag
                    assertEquals(expected, r, "bit " + bit + " -> " + PacketResult.name(r));
                    assertArrayEquals(bytes(seg, 0, len), t, "bit " + bit + ": region unchanged");
                }
            }
            try (PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
                assertEquals(p.length, opener.open(sealed, 0, len), "the untouched packet still opens");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void wrongKeyIsAnAuthFailureResult(Suite suite) {
        try (PacketSealer sealer = sealer(suite, key(5), SENDER_INDEX, scratch);
             PacketOpener wrong = opener(suite, key(6), SENDER_INDEX, scratch);
             PacketOpener right = opener(suite, key(5), SENDER_INDEX, scratch)) {
            MemorySegment seg = region(8, payload(100));
            int len = sealer.seal(seg, 8, 100);
            assertEquals(PacketResult.AUTH_FAILED, wrong.open(seg, 8, len));
            assertEquals(0, wrong.highestCounter(), "a forgery does not move the window");
            assertEquals(100, right.open(seg, 8, len), "the real key still opens it");
        }
    }

    @Test
    void suitesCannotBeConfused() {
        byte[] k = key(7);
        try (PacketSealer aes = sealer(Suite.AES256GCM, k, SENDER_INDEX, scratch);
             PacketOpener chacha = opener(Suite.CHACHA20POLY1305, k, SENDER_INDEX, scratch)) {
            MemorySegment seg = region(0, payload(50));
            int len = aes.seal(seg, 0, 50);
            assertEquals(PacketResult.MALFORMED, chacha.open(seg, 0, len));
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void replaysAndForgedCountersAreHandled(Suite suite) {
        byte[] k = key(8);
        try (PacketSealer sealer = sealer(suite, k, SENDER_INDEX, scratch);
             PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
            byte[][] wires = new byte[5][];
            for (int i = 0; i < wires.length; i++) {
                MemorySegment seg = region(0, payload(30));
                int len = sealer.seal(seg, 0, 30);
                wires[i] = bytes(seg, 0, len);
            }
            // A forgery claiming counter 3 arrives first; it must not block the genuine 3.
            byte[] forged = wires[3].clone();
            forged[20] ^= 1;
            assertEquals(PacketResult.AUTH_FAILED, opener.open(segment(forged), 0, forged.length));
            for (int i : new int[] {4, 1, 3, 0, 2}) {
                assertEquals(30, opener.open(segment(wires[i]), 0, wires[i].length), "first " + i);
            }
            for (byte[] w : wires) {
                assertEquals(PacketResult.REPLAYED, opener.open(segment(w), 0, w.length));
            }
        }
    }

    private MemorySegment segment(byte[] wire) {
        MemorySegment seg = arena.allocate(wire.length);
        MemorySegment.copy(wire, 0, seg, ValueLayout.JAVA_BYTE, 0, wire.length);
        return seg;
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void messageLimits(Suite suite) {
        byte[] k = key(9);
        try (PacketSealer sealer = sealer(suite, k, SENDER_INDEX, scratch);
             PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
            assertFalse(sealer.needsRekey());
            sealer.nextCounter(MessageLimits.REKEY_AFTER_MESSAGES - 1);
            assertFalse(sealer.needsRekey());
            assertTrue(sealer.seal(region(0, payload(10)), 0, 10) > 0);
            assertTrue(sealer.needsRekey());
            assertFalse(sealer.exhausted());

            sealer.nextCounter(MessageLimits.REJECT_AFTER_MESSAGES - 1);
            MemorySegment last = region(0, payload(10));
            int len = sealer.seal(last, 0, 10);
            assertEquals(42, len, "the last allowed counter is still sent");
            assertTrue(sealer.exhausted());
            assertEquals(PacketResult.KEY_EXHAUSTED, sealer.seal(region(0, payload(10)), 0, 10));
            assertEquals(PacketResult.KEY_EXHAUSTED, sealer.seal(region(0, payload(10)), 0, 10), "and stays so");
            assertEquals(10, opener.open(last, 0, len), "the receiver takes the last allowed counter");

            // A receiver refuses counters at the limit even when they authenticate.
            sealer.nextCounter(MessageLimits.REJECT_AFTER_MESSAGES);
            assertTrue(MessageLimits.mustReject(sealer.nextCounter()));
            assertEquals(PacketResult.KEY_EXHAUSTED, sealer.seal(region(0, payload(10)), 0, 10));
        }
        assertEquals(1L << 60, MessageLimits.REKEY_AFTER_MESSAGES);
        assertEquals("18446744073709543423", Long.toUnsignedString(MessageLimits.REJECT_AFTER_MESSAGES));
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void openerRefusesAuthenticCountersAtTheLimit(Suite suite) {
        byte[] k = key(14);
        // The sealer never produces such a packet, so build an authentic one by hand.
        JceAead aead = new JceAead(suite, k);
        for (long counter : new long[] {MessageLimits.REJECT_AFTER_MESSAGES, -1L}) {
            byte[] p = payload(20);
            MemorySegment seg = region(0, p);
            byte[] sealed = new byte[p.length + 16];
            aead.seal(counter, p, 0, p.length, sealed, 0);
            MemorySegment.copy(sealed, 0, seg, ValueLayout.JAVA_BYTE, HEAD, sealed.length);
            new TransportHeader().wrap(seg, 0).type(TransportHeader.dataType(suite))
                    .receiverIndex(SENDER_INDEX).counter(counter);
            try (PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
                assertEquals(PacketResult.KEY_EXHAUSTED, opener.open(seg, 0, p.length + 32));
            }
        }
        // One below the limit is authentic and accepted: the refusal above is the limit, not the tag.
        long last = MessageLimits.REJECT_AFTER_MESSAGES - 1;
        byte[] p = payload(20);
        MemorySegment seg = region(0, p);
        byte[] sealed = new byte[p.length + 16];
        aead.seal(last, p, 0, p.length, sealed, 0);
        MemorySegment.copy(sealed, 0, seg, ValueLayout.JAVA_BYTE, HEAD, sealed.length);
        new TransportHeader().wrap(seg, 0).type(TransportHeader.dataType(suite)).receiverIndex(SENDER_INDEX).counter(last);
        try (PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
            assertEquals(p.length, opener.open(seg, 0, p.length + 32));
            assertArrayEquals(p, bytes(seg, HEAD, p.length));
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void heapSegmentsGiveTheSameMessagesAsNativeOnes(Suite suite) {
        byte[] k = key(16);
        byte[] p = payload(300);
        MemorySegment heap = MemorySegment.ofArray(new byte[8 + TransportHeader.OVERHEAD + p.length]);
        MemorySegment.copy(p, 0, heap, ValueLayout.JAVA_BYTE, 8 + HEAD, p.length);
        MemorySegment off = region(8, p);
        try (PacketSealer heapSealer = sealer(suite, k, SENDER_INDEX, scratch);
             PacketSealer offSealer = sealer(suite, k, SENDER_INDEX, scratch);
             PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
            int len = heapSealer.seal(heap, 8, p.length);
            assertEquals(p.length + TransportHeader.OVERHEAD, offSealer.seal(off, 8, p.length));
            assertArrayEquals(bytes(off, 8, len), bytes(heap, 8, len));
            byte[] sealed = bytes(heap, 8, len);
            heap.set(ValueLayout.JAVA_BYTE, 8 + len - 1, (byte) (sealed[len - 1] ^ 1));
            assertEquals(PacketResult.AUTH_FAILED, opener.open(heap, 8, len));
            sealed[len - 1] ^= 1;
            assertArrayEquals(sealed, bytes(heap, 8, len), "a forged heap packet is left alone");
            sealed[len - 1] ^= 1;
            MemorySegment.copy(sealed, 0, heap, ValueLayout.JAVA_BYTE, 8, len);
            assertEquals(p.length, opener.open(heap, 8, len));
            assertArrayEquals(p, bytes(heap, 8 + HEAD, p.length));
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void retiredKeysRefuseAndAreZeroed(Suite suite) {
        byte[] k = key(10);
        PacketSealer sealer = sealer(suite, k, SENDER_INDEX, scratch);
        PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch);
        MemorySegment seg = region(0, payload(10));
        int len = sealer.seal(seg, 0, 10);
        assertFalse(sealer.keyZeroed());
        sealer.close();
        opener.close();
        sealer.close(); // idempotent
        assertTrue(sealer.isRetired());
        assertTrue(sealer.keyZeroed());
        assertTrue(opener.keyZeroed());
        byte[] before = bytes(seg, 0, len);
        assertEquals(PacketResult.RETIRED, sealer.seal(region(0, payload(10)), 0, 10));
        assertEquals(PacketResult.RETIRED, opener.open(seg, 0, len));
        assertArrayEquals(before, bytes(seg, 0, len));
        assertFalse(java.util.Arrays.equals(new byte[32], k), "the caller's array is the caller's to wipe");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void randomInputNeverThrowsAndNeverOpens(Suite suite) {
        Random r = new Random(99);
        try (PacketOpener opener = opener(suite, key(15), SENDER_INDEX, new AeadScratch(256))) {
            MemorySegment seg = arena.allocate(400);
            for (int i = 0; i < 5_000; i++) {
                byte[] junk = new byte[r.nextInt(400)];
                r.nextBytes(junk);
                MemorySegment.copy(junk, 0, seg, ValueLayout.JAVA_BYTE, 0, junk.length);
                if (junk.length >= 16 && r.nextBoolean()) {
                    // Half the time get past the cheap checks, so the tag check itself is exercised.
                    new TransportHeader().wrap(seg, 0).type(TransportHeader.dataType(suite))
                            .receiverIndex(SENDER_INDEX).counter(r.nextInt(1 << 20));
                }
                int result = opener.open(seg, 0, junk.length);
                assertTrue(result < 0, "junk of " + junk.length + " bytes opened: " + result);
            }
            assertEquals(0, opener.highestCounter(), "nothing was accepted");
        }
    }

    @Test
    void wipeableKeyRefusesUseAfterDestroy() {
        WipeableKey key = new WipeableKey("AES", key(11));
        key.destroy();
        assertTrue(key.isDestroyed());
        assertTrue(key.isZeroed());
        assertThrows(IllegalStateException.class, key::getEncoded);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void sizesAreChecked(Suite suite) {
        AeadScratch small = new AeadScratch(1500);
        try (PacketSealer sealer = sealer(suite, key(12), SENDER_INDEX, small);
             PacketOpener opener = opener(suite, key(12), SENDER_INDEX, small)) {
            assertEquals(PacketResult.TOO_LARGE, sealer.seal(region(0, payload(1501)), 0, 1501));
            MemorySegment tight = arena.allocate(16 + 100 + 15);
            assertEquals(PacketResult.TOO_LARGE, sealer.seal(tight, 0, 100), "no room for the tag");
            assertEquals(PacketResult.TOO_LARGE, sealer.seal(tight, 0, -1));
            assertEquals(0, sealer.nextCounter(), "refused packets use no counter");
            assertEquals(PacketResult.MALFORMED, opener.open(arena.allocate(64), 0, 31));
            assertEquals(PacketResult.MALFORMED, opener.open(arena.allocate(64), 0, 65), "beyond the segment");
            assertEquals(PacketResult.TOO_LARGE, opener.open(arena.allocate(1501 + 32), 0, 1501 + 32));
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void batchOfThirtyTwoWithFailuresMixedIn(Suite suite) {
        int count = 32;
        byte[] k = key(13);
        MemorySegment[] segs = new MemorySegment[count];
        long[] offsets = new long[count];
        int[] lengths = new int[count];
        int[] results = new int[count];
        byte[][] payloads = new byte[count][];
        // One big buffer with packets at different offsets, as a receive ring would hold them.
        MemorySegment ring = arena.allocate(count * 2048L);
        for (int i = 0; i < count; i++) {
            payloads[i] = payload(i * 37 % 1421);
            segs[i] = ring;
            offsets[i] = i * 2048L;
            lengths[i] = payloads[i].length;
            MemorySegment.copy(payloads[i], 0, ring, ValueLayout.JAVA_BYTE, offsets[i] + HEAD, lengths[i]);
        }
        try (PacketSealer sealer = sealer(suite, k, SENDER_INDEX, scratch);
             PacketOpener opener = opener(suite, k, SENDER_INDEX, scratch)) {
            assertEquals(count, sealer.sealBatch(segs, offsets, lengths, count, results));
            for (int i = 0; i < count; i++) {
                assertEquals(payloads[i].length + 32, results[i]);
                lengths[i] = results[i];
            }
            // Packet 5 is tampered with, packet 9 is replaced by a copy of packet 8 (a replay).
            long tagByte = offsets[5] + lengths[5] - 1;
            ring.set(ValueLayout.JAVA_BYTE, tagByte, (byte) (ring.get(ValueLayout.JAVA_BYTE, tagByte) ^ 4));
            MemorySegment.copy(ring, offsets[8], ring, offsets[9], lengths[8]);
            lengths[9] = lengths[8];
            int opened = opener.openBatch(segs, offsets, lengths, count, results);
            assertEquals(count - 2, opened);
            for (int i = 0; i < count; i++) {
                if (i == 5) {
                    assertEquals(PacketResult.AUTH_FAILED, results[i]);
                } else if (i == 9) {
                    assertEquals(PacketResult.REPLAYED, results[i]);
                } else {
                    assertEquals(payloads[i].length, results[i], "packet " + i);
                    assertArrayEquals(payloads[i], bytes(ring, offsets[i] + HEAD, payloads[i].length));
                }
            }
            assertEquals(0, opener.openBatch(segs, offsets, lengths, 0, results), "empty batch");
        }
    }
}
