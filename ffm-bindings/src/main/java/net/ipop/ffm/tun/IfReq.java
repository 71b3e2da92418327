package net.ipop.ffm.tun;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Flyweight helpers over {@code struct ifreq} from {@code <linux/if.h>} as TUNSETIFF uses it: the
 * interface name (NUL-terminated, {@code IFNAMSIZ} bytes) at 0 and {@code ifr_flags} (a short) at
 * 16, inside a 40-byte union-padded struct.
 */
final class IfReq {
    static final int SIZE = 40;
    static final int NAME_OFFSET = 0;
    static final int FLAGS_OFFSET = 16;
    /** Bytes of the name field, the terminating NUL included. */
    static final int IFNAMSIZ = 16;

    private IfReq() {
    }

    /**
     * Checks a name or name pattern ("ipop%d") the way the kernel's {@code dev_valid_name} would,
     * so a bad name fails here with the name in the message instead of as a bare EINVAL.
     *
     * @throws IllegalArgumentException naming the interface and the rule it breaks
     */
    static void validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name must not be empty");
        }
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is " + bytes.length
                    + " bytes; at most " + (IFNAMSIZ - 1) + " fit (IFNAMSIZ " + IFNAMSIZ + " includes the NUL)");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name \"" + name + "\" is reserved");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || c == '\0' || Character.isWhitespace(c)) {
                throw new IllegalArgumentException("interface name \"" + name
                        + "\" contains a character the kernel refuses ('/', ':', NUL or whitespace)");
            }
        }
    }

    /** Zeroes {@code ifr} and writes {@code name} (already validated) and {@code flags}. */
    static void set(MemorySegment ifr, String name, int flags) {
        ifr.fill((byte) 0);
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(bytes, 0, ifr, ValueLayout.JAVA_BYTE, NAME_OFFSET, bytes.length);
        ifr.set(ValueLayout.JAVA_SHORT, FLAGS_OFFSET, (short) flags);
    }

    /** The name the kernel wrote back (it expands a "%d" pattern into the chosen name). */
    static String name(MemorySegment ifr) {
        return ifr.asSlice(NAME_OFFSET, IFNAMSIZ).getString(0, StandardCharsets.UTF_8);
    }
}
