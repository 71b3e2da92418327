/**
 * rtnetlink over an {@code AF_NETLINK}/{@code NETLINK_ROUTE} socket: the data plane configures its
 * TUN links, overlay addresses and routes itself instead of running {@code ip}.
 *
 * <p>How a call flows: {@link net.ipop.ffm.netlink.RtnetlinkClient} (the only entry point) hands
 * it to {@code LinkCommands}, {@code AddressCommands} or {@code RouteCommands}, which write one
 * request in place with {@code NetlinkRequest} and the flyweights {@code NlMsgHdr},
 * {@code IfInfoMsg}, {@code IfAddrMsg}, {@code RtMsg} (mirroring {@code linux/netlink.h},
 * {@code linux/rtnetlink.h}, {@code linux/if_link.h}, {@code linux/if_addr.h}). {@code NetlinkChannel}
 * sends it and reads until the kernel's ack, error or end of dump, passing data messages back to
 * be parsed with {@code RtAttr}. Results come back as the records {@link net.ipop.ffm.netlink.LinkState},
 * {@link net.ipop.ffm.netlink.IpPrefix} and {@link net.ipop.ffm.netlink.Route}; failures as
 * {@link net.ipop.ffm.libc.ErrnoException} naming the operation and the object.
 *
 * <p>This is the control path: it allocates results and messages, never the buffers, and is not
 * meant for per-packet use.
 */
package net.ipop.ffm.netlink;
