package net.ipop.dataplane.ipc;

import java.lang.management.ManagementFactory;

/** Bytes the current thread has allocated so far, from HotSpot's per-thread counter. */
final class Allocations {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Allocations() {
    }

    static long ofCurrentThread() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
