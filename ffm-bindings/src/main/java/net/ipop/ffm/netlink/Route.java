package net.ipop.ffm.netlink;

import java.net.InetAddress;

/**
 * A unicast route of the main table, as {@link RtnetlinkClient#routes} lists it.
 *
 * @param destination the destination prefix (host bits zero)
 * @param ifindex     the output interface index, 0 if the route has none (e.g. multipath)
 * @param gateway     the next hop, or null for a route directly on the link
 * @param protocol    who installed it ({@code RTPROT_*}): {@link #PROTO_KERNEL}, {@link #PROTO_STATIC},
 *                    {@link #PROTO_IPOP}, ...
 */
public record Route(IpPrefix destination, int ifindex, InetAddress gateway, int protocol) {
    /** {@code RTPROT_KERNEL}: added by the kernel (e.g. the prefix route of an address). */
    public static final int PROTO_KERNEL = 2;
    /** {@code RTPROT_BOOT}: what {@code ip route add} uses by default. */
    public static final int PROTO_BOOT = 3;
    /** {@code RTPROT_STATIC}: added by an administrator or a configuration tool. */
    public static final int PROTO_STATIC = 4;
    /**
     * The protocol number IPOP marks its own routes with, so it can find and remove exactly those
     * (e.g. after a crash). The kernel does not interpret values above {@code RTPROT_STATIC}; 112
     * is not among the numbers reserved in iproute2's {@code rt_protos}.
     */
    public static final int PROTO_IPOP = 112;
}
