package net.ipop.ffm.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.testing.Privileged;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IoUringUnavailableTest {
    @Test
    void sysctlTwoSaysSoAndHowToFixIt() {
        String m = IoUringUnavailableException.explain(Errno.EPERM, 2, 0);
        assertTrue(m.contains("EPERM"), m);
        assertTrue(m.contains("kernel.io_uring_disabled=2"), m);
        assertTrue(m.contains("Set it to 0"), m);
        assertTrue(m.contains(IoUringUnavailableException.CONFIG_HINT), m);
    }

    @Test
    void sysctlOneNamesTheGroup() {
        String m = IoUringUnavailableException.explain(Errno.EPERM, 1, 1234);
        assertTrue(m.contains("kernel.io_uring_disabled=1"), m);
        assertTrue(m.contains("CAP_SYS_ADMIN"), m);
        assertTrue(m.contains("group 1234"), m);
        String unknownGroup = IoUringUnavailableException.explain(Errno.EPERM, 1, -1);
        assertTrue(unknownGroup.contains("the group in kernel.io_uring_group"), unknownGroup);
    }

    @Test
    void epermWithTheSysctlOpenBlamesSeccomp() {
        String zero = IoUringUnavailableException.explain(Errno.EPERM, 0, 0);
        assertTrue(zero.contains("kernel.io_uring_disabled=0"), zero);
        assertTrue(zero.contains("seccomp"), zero);
        String unreadable = IoUringUnavailableException.explain(Errno.EPERM, -1, -1);
        assertTrue(unreadable.contains("not readable"), unreadable);
        assertTrue(unreadable.contains("seccomp"), unreadable);
    }

    @Test
    void enosysAndEaccesHaveTheirOwnCauses() {
        String nosys = IoUringUnavailableException.explain(Errno.ENOSYS, 0, 0);
        assertTrue(nosys.contains("ENOSYS") && nosys.contains("CONFIG_IO_URING"), nosys);
        assertTrue(nosys.contains(IoUringUnavailableException.CONFIG_HINT), nosys);
        String acces = IoUringUnavailableException.explain(Errno.EACCES, 0, 0);
        assertTrue(acces.contains("security module"), acces);
    }

    @Test
    void onlyHostLevelErrnosMeanUnavailable() {
        assertTrue(IoUringUnavailableException.meansUnavailable(Errno.EPERM));
        assertTrue(IoUringUnavailableException.meansUnavailable(Errno.ENOSYS));
        assertTrue(IoUringUnavailableException.meansUnavailable(Errno.EACCES));
        assertFalse(IoUringUnavailableException.meansUnavailable(Errno.EINVAL));
        assertFalse(IoUringUnavailableException.meansUnavailable(Errno.ENOMEM));
    }

    @Test
    void exceptionCarriesErrnoAndCause() {
        ErrnoException cause = new ErrnoException("io_uring_setup(entries 1, flags 0x0)", Errno.ENOSYS);
        IoUringUnavailableException e = IoUringUnavailableException.of(cause);
        assertEquals(Errno.ENOSYS, e.errno());
        assertEquals(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("io_uring unavailable: io_uring_setup failed with ENOSYS"), e.getMessage());
    }

    @Test
    void probeFindsItAvailableOnThisHost() {
        UringAvailability a = IoUring.probe();
        assertTrue(a.available(), a.reason());
        assertEquals(0, a.errno());
        assertTrue(a.reason().startsWith("available"), a.reason());
        assertTrue(IoUring.isAvailable());
    }

    /**
     * Really disables io_uring for a moment (kernel.io_uring_disabled=2) and restores the previous
     * value in finally; the window is a few milliseconds.
     */
    @Test
    @Privileged
    void disabledBySysctlGivesTheTypedExceptionAndProbeSaysWhy() throws Exception {
        var path = IoUringUnavailableException.DISABLED_SYSCTL;
        String before = Files.readString(path).trim();
        UringAvailability probed;
        Exception thrown;
        try {
            Files.writeString(path, "2");
            probed = IoUring.probe();
            thrown = assertThrows(Exception.class, () -> IoUring.open(4));
        } finally {
            Files.writeString(path, before);
        }
        assertEquals(before, Files.readString(path).trim(), "sysctl restored");
        assertFalse(probed.available());
        assertEquals(Errno.EPERM, probed.errno());
        assertTrue(probed.reason().contains("kernel.io_uring_disabled=2"), probed.reason());
        IoUringUnavailableException e = assertInstanceOf(IoUringUnavailableException.class, thrown);
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().contains("Set it to 0"), e.getMessage());
        assertTrue(IoUring.isAvailable(), "available again after restoring");
    }
}
