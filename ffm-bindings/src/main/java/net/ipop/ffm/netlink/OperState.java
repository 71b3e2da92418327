package net.ipop.ffm.netlink;

/**
 * RFC 2863 operational state of a link, as the kernel reports it in {@code IFLA_OPERSTATE}
 * ({@code enum} {@code IF_OPER_*} of {@code <linux/if.h>}, in that order).
 */
public enum OperState {
    UNKNOWN, NOTPRESENT, DOWN, LOWERLAYERDOWN, TESTING, DORMANT, UP;

    private static final OperState[] BY_CODE = values();

    /** The state for a kernel code; codes this enum does not know map to {@link #UNKNOWN}. */
    public static OperState of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
