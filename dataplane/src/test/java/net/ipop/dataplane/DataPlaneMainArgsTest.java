package net.ipop.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import net.ipop.dataplane.pipeline.PipelineIdle;

/** The process's arguments: defaults, both address families, and errors that say what to fix. */
class DataPlaneMainArgsTest {
    @Test
    void defaultsFollowTheInterfaceName() {
        DataPlaneMain.Args a = DataPlaneMain.Args.parse(new String[] {"--interface", "ipop7", "--listen",
                "198.51.100.1:51820"});
        assertEquals("ipop7", a.interfaceName());
        assertEquals(new InetSocketAddress("198.51.100.1", 51820), a.listen());
        assertEquals(Path.of("/dev/shm/ipop-ipop7"), a.aeronDir());
        assertEquals(Path.of("/run/ipop/ipop7.counters"), a.counters());
        assertEquals(15_000, a.deadPeerAfterMs());
        assertEquals(DataPlaneMain.defaultQueues(Runtime.getRuntime().availableProcessors()), a.queues());
        assertEquals(PipelineIdle.POLL, a.idle());
        assertTrue(a.ioUring());
        assertTrue(a.offloads());
    }

    @Test
    void ioUringAndOffloadsCanBeTurnedOff() {
        DataPlaneMain.Args a = DataPlaneMain.Args.parse(new String[] {"--interface", "ipop0", "--listen",
                "198.51.100.1:1", "--io-uring", "false", "--offloads", "false"});
        assertFalse(a.ioUring());
        assertFalse(a.offloads());
        assertMessage("--offloads no: expected true or false",
                "--interface", "ipop0", "--listen", "198.51.100.1:1", "--offloads", "no");
    }

    @Test
    void idleStrategiesByName() {
        for (PipelineIdle i : PipelineIdle.values()) {
            assertEquals(i, DataPlaneMain.Args.parse(new String[] {"--interface", "ipop0", "--listen",
                    "198.51.100.1:1", "--idle", i.configName()}).idle());
        }
        assertMessage("--idle: unknown idle strategy 'spin' (expected poll, backoff, yielding or busy-spin)",
                "--interface", "ipop0", "--listen", "198.51.100.1:1", "--idle", "spin");
    }

    @Test
    void queuesDefaultToHalfTheCoresWithinOneToSixteen() {
        assertEquals(1, DataPlaneMain.defaultQueues(1));
        assertEquals(1, DataPlaneMain.defaultQueues(2));
        assertEquals(2, DataPlaneMain.defaultQueues(4));
        assertEquals(16, DataPlaneMain.defaultQueues(64));
        assertEquals(3, DataPlaneMain.Args.parse(new String[] {"--interface", "ipop0", "--listen",
                "198.51.100.1:1", "--queues", "3"}).queues());
        assertMessage("--queues 0: use 1 to 16 (one pipeline thread each)",
                "--interface", "ipop0", "--listen", "198.51.100.1:1", "--queues", "0");
        assertMessage("--queues two: use 1 to 16 (one pipeline thread each)",
                "--interface", "ipop0", "--listen", "198.51.100.1:1", "--queues", "two");
    }

    @Test
    void explicitPathsAndAnIpv6ListenAddress() {
        DataPlaneMain.Args a = DataPlaneMain.Args.parse(new String[] {"--listen", "[2001:db8::1]:4500",
                "--interface", "ipop0", "--aeron-dir", "/dev/shm/x", "--counters", "/tmp/c", "--dead-peer-after-ms", "2500"});
        assertEquals(new InetSocketAddress("2001:db8::1", 4500), a.listen());
        assertEquals(Path.of("/dev/shm/x"), a.aeronDir());
        assertEquals(Path.of("/tmp/c"), a.counters());
        assertEquals(2500, a.deadPeerAfterMs());
    }

    @Test
    void mistakesAreNamed() {
        assertMessage("--interface NAME and --listen ADDR:PORT are required", "--interface", "ipop0");
        assertMessage("--listen needs a value", "--interface", "ipop0", "--listen");
        assertMessage("unknown option --mtu (expected --interface, --listen, --queues, --idle, --io-uring, --offloads,"
                + " --aeron-dir, --counters, --dead-peer-after-ms)", "--mtu", "1420");
        assertMessage("--dead-peer-after-ms 0: expected a number of milliseconds > 0",
                "--interface", "ipop0", "--listen", "198.51.100.1:1", "--dead-peer-after-ms", "0");
        assertMessage("--listen 198.51.100.1: expected ADDR:PORT, e.g. 198.51.100.1:51820 or [2001:db8::1]:51820",
                "--interface", "ipop0", "--listen", "198.51.100.1");
        assertMessage("--listen example.org:1: the address must be a literal IP address",
                "--interface", "ipop0", "--listen", "example.org:1");
        assertMessage("--listen 198.51.100.1:70000: port out of range:70000",
                "--interface", "ipop0", "--listen", "198.51.100.1:70000");
    }

    private static void assertMessage(String expected, String... args) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataPlaneMain.Args.parse(args));
        assertEquals(expected, e.getMessage());
    }
}
