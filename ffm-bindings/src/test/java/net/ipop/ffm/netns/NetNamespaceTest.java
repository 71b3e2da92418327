package net.ipop.ffm.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.testing.Privileged;
import net.ipop.ffm.testing.TestNamespace;

@Privileged
class NetNamespaceTest {
    private static String currentNetNs() throws Exception {
        // The per-thread view: /proc/self is the process, /proc/thread-self is this thread.
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    }

    @Test
    void enterNamedMovesOnlyTheCallingThread() throws Exception {
        String host = currentNetNs();
        try (TestNamespace ns = TestNamespace.create("netns")) {
            String inside = ns.call(NetNamespaceTest::currentNetNs);
            assertNotEquals(host, inside);
            assertEquals(host, currentNetNs(), "the test thread stays where it was");
        }
    }

    @Test
    void enterNewGivesAFreshNamespacePerThread() throws Exception {
        String host = currentNetNs();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                NetNamespace.enterNew();
                result.set(currentNetNs());
            } catch (Exception e) {
                result.set(e);
            }
        });
        t.start();
        t.join(10_000);
        assertNotEquals(host, result.get());
        assertEquals(host, currentNetNs());
    }

    @Test
    void missingNamespaceIsAClearError() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> NetNamespace.enterNamed("ipopt-does-not-exist"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("open(/run/netns/ipopt-does-not-exist)", e.call());
    }
}
