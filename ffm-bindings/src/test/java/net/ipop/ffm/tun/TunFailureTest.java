package net.ipop.ffm.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Bad input and failures half-way: clear exceptions, and no descriptor or interface left behind. */
@Privileged
class TunFailureTest {

    @Test
    void tooLongNameIsRefusedNamingTheInterface() throws Exception {
        long before = openFds();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TunDevice.tun().name("ipop-name-too-long").open());
        assertTrue(e.getMessage().contains("\"ipop-name-too-long\""), e.getMessage());
        assertTrue(e.getMessage().contains("IFNAMSIZ"), e.getMessage());
        // 15 bytes fit, 16 do not: the limit counts the terminating NUL.
        assertThrows(IllegalArgumentException.class, () -> TunDevice.tun().name("a234567890123456").open());
        assertThrows(IllegalArgumentException.class, () -> TunDevice.tun().name("bad/name").open());
        assertThrows(IllegalArgumentException.class, () -> TunDevice.tun().name("").open());
        assertEquals(before, openFds());
    }

    @Test
    void invalidOptionsAreRefusedBeforeTouchingTheKernel() {
        IllegalArgumentException noHdr = assertThrows(IllegalArgumentException.class,
                () -> TunDevice.tun().name("x0").offloads(TunOffload.ALL).open());
        assertTrue(noHdr.getMessage().contains("vnetHeader"), noHdr.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TunDevice.tun().name("x0").vnetHeader(true).offloads(TunOffload.TSO4).open());
        assertThrows(IllegalArgumentException.class,
                () -> TunDevice.tun().name("x0").vnetHeader(true).offloads(TunOffload.CSUM | TunOffload.USO4).open());
        assertThrows(IllegalArgumentException.class, () -> TunDevice.tun().name("x0").queues(0).open());
        assertThrows(IllegalArgumentException.class, () -> TunDevice.tun().name("x0").queues(257).open());
    }

    @Test
    void missingCloneDeviceGivesErrnoNamingPathAndInterface() throws Exception {
        long before = openFds();
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> TunDevice.tun().name("miss0").devicePath("/nonexistent/net/tun").open());
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/nonexistent/net/tun"), e.getMessage());
        assertTrue(e.getMessage().contains("miss0"), e.getMessage());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
        assertEquals(before, openFds());
    }

    @Test
    @Timeout(60)
    void ioOnAClosedDeviceFailsClearly() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunclosed");
             Arena arena = Arena.ofConfined()) {
            TunDevice dev = ns.call(() -> TunDevice.tun().name("gone0").open());
            TunQueue q = dev.queue(0);
            dev.close();
            dev.close(); // idempotent
            assertEquals(-1, q.fd());
            MemorySegment pkt = arena.allocate(64);
            ErrnoException w = assertThrows(ErrnoException.class, () -> q.write(pkt, 64));
            assertEquals(Errno.EBADF, w.errno());
            assertTrue(w.getMessage().contains("gone0") && w.getMessage().contains("closed"), w.getMessage());
            ErrnoException r = assertThrows(ErrnoException.class, () -> q.read(pkt));
            assertTrue(r.getMessage().startsWith("read(gone0 queue 0)"), r.getMessage());
            assertThrows(ErrnoException.class, () -> q.awaitReadable(0));
            assertThrows(ErrnoException.class,
                    () -> q.writeBatch(new MemorySegment[] {pkt}, new int[] {64}, 1));
            // Closing the only queue removed the interface.
            assertTrue(ns.execAllowingFailure(10, "ip", "link", "show", "gone0").exitCode() != 0);
        }
    }

    @Test
    @Timeout(60)
    void malformedPacketsAreThrownAloneAndCountedInBatches() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunbad");
             TunDevice dev = ns.call(() -> TunDevice.tun().name("bad0").open());
             Arena arena = Arena.ofConfined()) {
            ns.exec("ip", "addr", "add", "192.0.2.1/24", "dev", "bad0");
            ns.exec("ip", "link", "set", "bad0", "up");
            TunQueue q = dev.queue(0);
            // Version nibble 0: a TUN without packet info cannot tell the protocol and refuses it.
            MemorySegment bad = arena.allocate(28);
            MemorySegment good = arena.allocate(28);
            Packets.writeIpv4(good, 0, 28, Packets.PROTO_UDP, Packets.ip(192, 0, 2, 2), Packets.ip(192, 0, 2, 1));

            ErrnoException single = assertThrows(ErrnoException.class, () -> q.write(bad, 28));
            assertEquals(Errno.EINVAL, single.errno());
            assertTrue(single.getMessage().startsWith("write(bad0 queue 0, 28 bytes)"), single.getMessage());

            int n = q.writeBatch(new MemorySegment[] {good, bad, good}, new int[] {28, 28, 28}, 3);
            assertEquals(3, n, "the batch goes on past the rejected packet");
            assertEquals(1, q.rejectedWrites());

            assertThrows(IndexOutOfBoundsException.class, () -> q.write(good, 29));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> q.writeBatch(new MemorySegment[] {good}, new int[] {-1}, 1));
        }
    }

    @Test
    @Timeout(90)
    void failureHalfWayClosesTheQueuesAlreadyOpened() throws Exception {
        try (TestNamespace ns = TestNamespace.create("tunhalf")) {
            // Fill the device to one below the kernel's 256-queue limit, so a second opener
            // attaches its queue 0 and is refused for queue 1.
            TunDevice full = ns.call(() -> TunDevice.tun().name("half0").queues(255).open());
            try (full) {
                long before = openFds();
                long tunBefore = tunFds();
                ErrnoException e = assertThrows(ErrnoException.class,
                        () -> ns.call(() -> TunDevice.tun().name("half0").queues(2).open()));
                assertEquals(Errno.E2BIG, e.errno(), e.getMessage());
                assertTrue(e.getMessage().contains("half0 queue 1"), e.getMessage());
                assertEquals(before, openFds(), "no descriptor leaked");
                assertEquals(tunBefore, tunFds());
                assertEquals(255, tunBefore, "only the surviving device's queues are open");
                assertEquals(255, full.queueCount());
            }
            assertEquals(0, tunFds(), "closing the device closed all 255 queues");
            assertTrue(ns.execAllowingFailure(10, "ip", "link", "show", "half0").exitCode() != 0);
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static long tunFds() throws IOException {
        List<Path> fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.toList();
        }
        long n = 0;
        for (Path p : fds) {
            try {
                if (Files.readSymbolicLink(p).toString().equals("/dev/net/tun")) {
                    n++;
                }
            } catch (IOException ignored) {
                // The listing's own descriptor is gone by now.
            }
        }
        return n;
    }
}
