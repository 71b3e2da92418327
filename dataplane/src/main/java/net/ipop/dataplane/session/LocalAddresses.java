package net.ipop.dataplane.session;

/**
 * This node's own overlay addresses, one per family, as the packet path needs them: the source of the
 * ICMP errors a relay sends (time exceeded). Immutable; part of each {@link PeerTable} snapshot.
 *
 * @param hasV4 whether {@code v4} is set
 * @param v4    the IPv4 address as an unsigned 32-bit value (as {@code RouteTable.lookup4} takes it)
 * @param hasV6 whether {@code v6Hi}/{@code v6Lo} are set
 * @param v6Hi  the IPv6 address's high 64 bits
 * @param v6Lo  its low 64 bits
 */
public record LocalAddresses(boolean hasV4, int v4, boolean hasV6, long v6Hi, long v6Lo) {
    /** No address known (before ConfigureInterface). */
    public static final LocalAddresses NONE = new LocalAddresses(false, 0, false, 0, 0);
}
