package net.ipop.ffm.netlink;

import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.util.List;

import net.ipop.ffm.libc.ErrnoException;

/**
 * Configures links, addresses and routes through rtnetlink: what {@code ip link/addr/route} do,
 * without running {@code ip}.
 *
 * <p>Every request carries {@code NLM_F_REQUEST|NLM_F_ACK} and its own sequence number, and the
 * method waits for the kernel's answer: when it returns, the change is in place. A rejection
 * becomes an {@link ErrnoException} whose message names the operation and the object, plus the
 * kernel's extended-ack text when it gives one, e.g.
 * {@code rtnetlink add address 192.0.2.1/24 on ipop0 (kernel: ipv4: Address already assigned):
 * File exists (errno 17, EEXIST)}. An unknown link name is {@code ENODEV}. No answer within 5 s (the
 * kernel answers in microseconds) is {@code ETIMEDOUT}.
 *
 * <p>Namespace: the netlink socket lives in the network namespace of the thread that calls
 * {@link #open}, and every operation applies there, whichever thread calls it later.
 *
 * <p>Threading: not thread-safe; one owner at a time (the control path, not the packet path).
 * Requests are built in one preallocated segment and replies parsed in another, both in this
 * client's own arena, freed by {@link #close}. Results (names, addresses, lists) and messages
 * allocate; the buffers do not.
 */
public final class RtnetlinkClient implements AutoCloseable {
    private static final int REQUEST_BUFFER_SIZE = 1024;

    private final Arena arena;
    private final NetlinkChannel channel;
    private final LinkCommands links;
    private final AddressCommands addresses;
    private final RouteCommands routes;
    private boolean closed;

    private RtnetlinkClient(Arena arena, NetlinkChannel channel) {
        this.arena = arena;
        this.channel = channel;
        NetlinkRequest request = new NetlinkRequest(arena.allocate(REQUEST_BUFFER_SIZE, 8));
        this.links = new LinkCommands(channel, request);
        this.addresses = new AddressCommands(channel, request, links);
        this.routes = new RouteCommands(channel, request, links);
    }

    /** Opens a client on a new NETLINK_ROUTE socket in the calling thread's network namespace. */
    public static RtnetlinkClient open() throws ErrnoException {
        // Shared, not confined: a client opened on a namespace's thread may be handed to another owner.
        Arena arena = Arena.ofShared();
        try {
            return new RtnetlinkClient(arena, NetlinkChannel.open(arena));
        } catch (ErrnoException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The interface index of {@code link}; {@code ENODEV} if there is no such link. */
    public int ifindex(String link) throws ErrnoException {
        return link(link).ifindex();
    }

    /** The current state of {@code link} (RTM_GETLINK); {@code ENODEV} if there is no such link. */
    public LinkState link(String link) throws ErrnoException {
        return links.get(link, "rtnetlink get link " + link);
    }

    /** Sets {@code link} administratively up (IFF_UP), like {@code ip link set LINK up}. */
    public void linkUp(String link) throws ErrnoException {
        links.setUp(link, true);
    }

    /** Sets {@code link} administratively down, like {@code ip link set LINK down}. */
    public void linkDown(String link) throws ErrnoException {
        links.setUp(link, false);
    }

    /** Sets the MTU of {@code link} in bytes; {@code EINVAL} outside the device's range. */
    public void setMtu(String link, int mtu) throws ErrnoException {
        links.setMtu(link, mtu);
    }

    /**
     * Stops (or restores) the kernel's own IPv6 addresses on {@code link}, like
     * {@code ip link set LINK addrgenmode none} (or {@code eui64}). With generation off, a link brought up
     * afterwards gets no link-local address and so sends no duplicate address detection, MLD reports or
     * router solicitations of its own; addresses added explicitly still work. Set it before the link goes
     * up: a link-local address the kernel already made stays.
     *
     * @throws ErrnoException {@code EAFNOSUPPORT} if IPv6 is off on the link (an MTU below 1280, or
     *                        {@code disable_ipv6}), {@code ENODEV} for an unknown link
     */
    public void setIpv6AddressGeneration(String link, boolean generate) throws ErrnoException {
        links.setIpv6AddrGenMode(link, generate);
    }

    /** Adds {@code address} to {@code link}, with duplicate address detection for IPv6. */
    public void addAddress(String link, IpPrefix address) throws ErrnoException {
        addresses.add(link, address, false);
    }

    /**
     * Adds {@code address} (with its prefix length) to {@code link}, like
     * {@code ip addr add ADDRESS/LEN dev LINK}.
     *
     * @param skipDad for IPv6, skip duplicate address detection ({@code IFA_F_NODAD}) so the address
     *                is usable at once instead of tentative for about a second; ignored for IPv4
     * @throws ErrnoException {@code EEXIST} if the address is already there, {@code ENODEV} for an
     *                        unknown link
     */
    public void addAddress(String link, IpPrefix address, boolean skipDad) throws ErrnoException {
        addresses.add(link, address, skipDad);
    }

    /** Removes {@code address} from {@code link}; {@code EADDRNOTAVAIL} if it is not there. */
    public void removeAddress(String link, IpPrefix address) throws ErrnoException {
        addresses.remove(link, address);
    }

    /** The IPv4 and IPv6 addresses of {@code link}, kernel-made ones (IPv6 link-local) included. */
    public List<IpPrefix> addresses(String link) throws ErrnoException {
        return addresses.list(link);
    }

    /**
     * Adds a unicast route to the main table, like
     * {@code ip route add DEST [via GATEWAY] dev LINK proto PROTOCOL}.
     *
     * @param destination the destination prefix; host bits must be zero ({@code EINVAL} otherwise)
     * @param gateway     the next hop (same family as {@code destination}), or null for on-link
     * @param protocol    the {@code RTPROT_*} to mark it with, e.g. {@link Route#PROTO_IPOP}
     * @throws ErrnoException {@code EEXIST} if the route exists, {@code ENODEV} for an unknown link,
     *                        {@code ENETDOWN} if the link is down
     */
    public void addRoute(IpPrefix destination, String link, InetAddress gateway, int protocol)
            throws ErrnoException {
        routes.add(destination, link, gateway, protocol);
    }

    /**
     * Removes the main-table route that matches every given field ({@code protocol} 0 matches
     * any), so routes another protocol installed are left alone; {@code ESRCH} if there is none.
     */
    public void removeRoute(IpPrefix destination, String link, InetAddress gateway, int protocol)
            throws ErrnoException {
        routes.remove(destination, link, gateway, protocol);
    }

    /**
     * The unicast routes of the main table for {@code family} ({@code Sockets.AF_INET} or
     * {@code AF_INET6}), kernel-made ones included, cached clones left out.
     */
    public List<Route> routes(int family) throws ErrnoException {
        return routes.list(family);
    }

    /** Closes the socket and frees the buffers. Idempotent. */
    @Override
    public void close() throws ErrnoException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } finally {
            arena.close();
        }
    }
}
