package net.ipop.dataplane.ipc;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import net.ipop.ffm.libc.Native;

/**
 * {@code umask(2)}: the process's file-creation mask ({@code mode_t umask(mode_t)}, always succeeds).
 * Process-wide: set it only around a short setup step and restore the previous mask.
 */
final class Umask {
    private static final MethodHandle UMASK = Native.call("umask", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private Umask() {
    }

    /** Sets the mask and returns the previous one. */
    static int set(int mask) {
        try {
            return (int) UMASK.invokeExact(mask);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
