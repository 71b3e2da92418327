package net.ipop.ffm.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Sockets;

/**
 * Configures links, addresses and routes through rtnetlink (what {@code ip link/addr/route} do,
 * without running {@code ip}).
 *
 * <p>Every request carries {@code NLM_F_REQUEST|NLM_F_ACK} and its own sequence number and waits
 * for the kernel's answer, so a method that returns has been applied. A rejection becomes an
 * {@link ErrnoException} whose message names the operation and the object, e.g.
 * {@code rtnetlink add address 192.0.2.1/24 on ipop0: File exists (errno 17, EEXIST)}, followed
 * by the kernel's extended-ack text when it gives one. An unknown link name is {@code ENODEV}.
 *
 * <p>Namespace: the netlink socket lives in the network namespace of the thread that calls
 * {@link #open}, and every operation applies there, whichever thread calls it later.
 *
 * <p>Threading: not thread-safe; one owner at a time (the control path). Requests are built in
 * one preallocated segment and replies parsed in another, both in this client's own arena, freed
 * by {@link #close}. Only results (names, addresses, lists) and error messages allocate.
 */
public final class RtnetlinkClient implements AutoCloseable {
    private static final int REQUEST_BUFFER_SIZE = 1024;
    private static final int FLAGS = NlMsgHdr.NLM_F_REQUEST | NlMsgHdr.NLM_F_ACK;
    /** Dumps interrupted by a concurrent change are restarted this often before giving up. */
    private static final int DUMP_ATTEMPTS = 3;

    private final Arena arena;
    private final NetlinkChannel channel;
    private final NetlinkRequest request;
    private final MemorySegment out;
    private final IfInfoMsg ifInfo = new IfInfoMsg();
    private final IfAddrMsg ifAddr = new IfAddrMsg();
    private final RtMsg rtMsg = new RtMsg();
    private final RtAttr attr = new RtAttr();
    private final NetlinkChannel.ReplySink ignore = (reply, message, length, type) -> { };
    private final NetlinkChannel.ReplySink linkSink = this::acceptLink;
    private final NetlinkChannel.ReplySink addressSink = this::acceptAddress;
    private final NetlinkChannel.ReplySink routeSink = this::acceptRoute;

    // Where the reply sinks put what they parse; set before each exchange.
    private LinkState foundLink;
    private int wantedIndex;
    private List<IpPrefix> foundAddresses;
    private List<Route> foundRoutes;
    private boolean closed;

    private RtnetlinkClient(Arena arena, NetlinkChannel channel) {
        this.arena = arena;
        this.channel = channel;
        this.out = arena.allocate(REQUEST_BUFFER_SIZE, 8);
        this.request = new NetlinkRequest(out);
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

    // ---------------------------------------------------------------- links

    /** The interface index of {@code link}; {@code ENODEV} if there is no such link. */
    public int ifindex(String link) throws ErrnoException {
        return link(link).ifindex();
    }

    /** The current state of {@code link} (RTM_GETLINK); {@code ENODEV} if there is no such link. */
    public LinkState link(String link) throws ErrnoException {
        return getLink(link, "rtnetlink get link " + link);
    }

    /** Sets {@code link} administratively up (IFF_UP), like {@code ip link set LINK up}. */
    public void linkUp(String link) throws ErrnoException {
        setFlags(link, IfInfoMsg.IFF_UP, "rtnetlink set link " + link + " up");
    }

    /** Sets {@code link} administratively down, like {@code ip link set LINK down}. */
    public void linkDown(String link) throws ErrnoException {
        setFlags(link, 0, "rtnetlink set link " + link + " down");
    }

    /** Sets the MTU of {@code link} in bytes; the kernel rejects values outside the device's range. */
    public void setMtu(String link, int mtu) throws ErrnoException {
        if (mtu <= 0) {
            throw new IllegalArgumentException("MTU must be positive, got " + mtu);
        }
        String what = "rtnetlink set mtu " + mtu + " on " + link;
        beginLinkChange(link);
        request.putU32(IfInfoMsg.IFLA_MTU, mtu);
        channel.exchange(out, request.finish(), what, ignore);
    }

    private void setFlags(String link, int flags, String what) throws ErrnoException {
        beginLinkChange(link);
        ifInfo.wrap(out, NetlinkRequest.BODY_OFFSET).flags(flags).change(IfInfoMsg.IFF_UP);
        channel.exchange(out, request.finish(), what, ignore);
    }

    /** RTM_NEWLINK without NLM_F_CREATE changes an existing link, found by IFLA_IFNAME when the index is 0. */
    private void beginLinkChange(String link) {
        checkName(link);
        request.begin(IfInfoMsg.RTM_NEWLINK, FLAGS, channel.nextSeq(), IfInfoMsg.SIZE);
        ifInfo.wrap(out, NetlinkRequest.BODY_OFFSET).family(Sockets.AF_UNSPEC).index(0);
        request.putString(IfInfoMsg.IFLA_IFNAME, link);
    }

    private LinkState getLink(String link, String what) throws ErrnoException {
        checkName(link);
        request.begin(IfInfoMsg.RTM_GETLINK, FLAGS, channel.nextSeq(), IfInfoMsg.SIZE);
        ifInfo.wrap(out, NetlinkRequest.BODY_OFFSET).family(Sockets.AF_UNSPEC);
        request.putString(IfInfoMsg.IFLA_IFNAME, link);
        foundLink = null;
        channel.exchange(out, request.finish(), what, linkSink);
        LinkState found = foundLink;
        foundLink = null;
        if (found == null) {
            throw new ErrnoException(what + ": the kernel acknowledged but sent no link", Errno.ENODEV);
        }
        return found;
    }

    private void acceptLink(MemorySegment reply, long message, int length, int type) {
        if (type != IfInfoMsg.RTM_NEWLINK) {
            return;
        }
        long body = message + NlMsgHdr.SIZE;
        ifInfo.wrap(reply, body);
        int index = ifInfo.index();
        int flags = ifInfo.flags();
        String name = null;
        int mtu = 0;
        OperState operState = OperState.UNKNOWN;
        attr.wrap(reply, body + IfInfoMsg.SIZE, message + length);
        while (attr.next()) {
            switch (attr.type()) {
                case IfInfoMsg.IFLA_IFNAME -> name = attr.string();
                case IfInfoMsg.IFLA_MTU -> mtu = attr.u32();
                case IfInfoMsg.IFLA_OPERSTATE -> operState = OperState.of(attr.u8());
                default -> { }
            }
        }
        foundLink = new LinkState(index, name, flags, mtu, operState);
    }

    // ---------------------------------------------------------------- addresses

    /** Adds {@code address} (with its prefix length) to {@code link}; {@code EEXIST} if it is there. */
    public void addAddress(String link, IpPrefix address) throws ErrnoException {
        addAddress(link, address, false);
    }

    /**
     * Adds {@code address} to {@code link}, like {@code ip addr add ADDRESS/LEN dev LINK}.
     *
     * @param skipDad for IPv6, skip duplicate address detection ({@code IFA_F_NODAD}) so the address
     *                is usable at once instead of tentative for about a second; ignored for IPv4
     * @throws ErrnoException {@code EEXIST} if the address is already there, {@code ENODEV} for an
     *                        unknown link
     */
    public void addAddress(String link, IpPrefix address, boolean skipDad) throws ErrnoException {
        String what = "rtnetlink add address " + address + " on " + link;
        int flags = skipDad && address.family() == Sockets.AF_INET6 ? IfAddrMsg.IFA_F_NODAD : 0;
        changeAddress(IfAddrMsg.RTM_NEWADDR, FLAGS | NlMsgHdr.NLM_F_CREATE | NlMsgHdr.NLM_F_EXCL,
                link, address, flags, what);
    }

    /** Removes {@code address} from {@code link}; {@code EADDRNOTAVAIL} if it is not there. */
    public void removeAddress(String link, IpPrefix address) throws ErrnoException {
        String what = "rtnetlink remove address " + address + " from " + link;
        changeAddress(IfAddrMsg.RTM_DELADDR, FLAGS, link, address, 0, what);
    }

    private void changeAddress(int type, int nlFlags, String link, IpPrefix address, int ifaFlags, String what)
            throws ErrnoException {
        int index = getLink(link, what).ifindex();
        request.begin(type, nlFlags, channel.nextSeq(), IfAddrMsg.SIZE);
        ifAddr.wrap(out, NetlinkRequest.BODY_OFFSET)
                .family(address.family())
                .prefixLength(address.length())
                .flags(ifaFlags)
                .scope(RtMsg.RT_SCOPE_UNIVERSE)
                .index(index);
        byte[] bytes = address.address().getAddress();
        if (address.family() == Sockets.AF_INET) {
            // IPv4 keeps the local address apart from the prefix/peer address; on a broadcast link both are ours.
            request.putBytes(IfAddrMsg.IFA_LOCAL, bytes);
        }
        request.putBytes(IfAddrMsg.IFA_ADDRESS, bytes);
        channel.exchange(out, request.finish(), what, ignore);
    }

    /** The IPv4 and IPv6 addresses of {@code link}, including kernel-made ones such as IPv6 link-local. */
    public List<IpPrefix> addresses(String link) throws ErrnoException {
        String what = "rtnetlink list addresses of " + link;
        int index = getLink(link, what).ifindex();
        List<IpPrefix> result = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            result.clear();
            // Dumps without NETLINK_GET_STRICT_CHK ignore the header's filters: filter by index here.
            request.begin(IfAddrMsg.RTM_GETADDR, FLAGS | NlMsgHdr.NLM_F_DUMP, channel.nextSeq(), IfAddrMsg.SIZE);
            ifAddr.wrap(out, NetlinkRequest.BODY_OFFSET).family(Sockets.AF_UNSPEC);
            wantedIndex = index;
            foundAddresses = result;
            try {
                if (channel.exchange(out, request.finish(), what, addressSink)) {
                    return result;
                }
            } finally {
                foundAddresses = null;
            }
            checkAttempts(attempt, what);
        }
    }

    private void acceptAddress(MemorySegment reply, long message, int length, int type) {
        if (type != IfAddrMsg.RTM_NEWADDR) {
            return;
        }
        long body = message + NlMsgHdr.SIZE;
        ifAddr.wrap(reply, body);
        if (ifAddr.index() != wantedIndex) {
            return;
        }
        int family = ifAddr.family();
        int prefixLength = ifAddr.prefixLength();
        byte[] local = null;
        byte[] address = null;
        attr.wrap(reply, body + IfAddrMsg.SIZE, message + length);
        while (attr.next()) {
            switch (attr.type()) {
                case IfAddrMsg.IFA_LOCAL -> local = attr.bytes();
                case IfAddrMsg.IFA_ADDRESS -> address = attr.bytes();
                default -> { }
            }
        }
        byte[] ours = local != null ? local : address;
        if (ours != null) {
            foundAddresses.add(new IpPrefix(inetAddress(family, ours), prefixLength));
        }
    }

    // ---------------------------------------------------------------- routes

    /**
     * Adds a unicast route to the main table, like
     * {@code ip route add DEST [via GATEWAY] dev LINK proto PROTOCOL}.
     *
     * @param destination the destination prefix; host bits must be zero
     * @param gateway     the next hop (same family as {@code destination}), or null for on-link
     * @param protocol    the {@code RTPROT_*} to mark it with, e.g. {@link Route#PROTO_IPOP}
     * @throws ErrnoException {@code EEXIST} if the route exists, {@code ENODEV} for an unknown link,
     *                        {@code EINVAL} for host bits in the destination
     */
    public void addRoute(IpPrefix destination, String link, InetAddress gateway, int protocol)
            throws ErrnoException {
        String what = "rtnetlink add route " + describeRoute(destination, link, gateway, protocol);
        changeRoute(RtMsg.RTM_NEWROUTE, FLAGS | NlMsgHdr.NLM_F_CREATE | NlMsgHdr.NLM_F_EXCL,
                destination, link, gateway, protocol, what);
    }

    /**
     * Removes the main-table route matching all the given fields; {@code ESRCH} if there is none.
     * A {@code protocol} of 0 matches any.
     */
    public void removeRoute(IpPrefix destination, String link, InetAddress gateway, int protocol)
            throws ErrnoException {
        String what = "rtnetlink remove route " + describeRoute(destination, link, gateway, protocol);
        changeRoute(RtMsg.RTM_DELROUTE, FLAGS, destination, link, gateway, protocol, what);
    }

    private void changeRoute(int type, int nlFlags, IpPrefix destination, String link, InetAddress gateway,
                             int protocol, String what) throws ErrnoException {
        int family = destination.family();
        if (gateway != null && inetFamily(gateway) != family) {
            throw new IllegalArgumentException(what + ": gateway and destination differ in address family");
        }
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException(what + ": protocol must be 0..255");
        }
        int index = getLink(link, what).ifindex();
        request.begin(type, nlFlags, channel.nextSeq(), RtMsg.SIZE);
        rtMsg.wrap(out, NetlinkRequest.BODY_OFFSET)
                .family(family)
                .dstLength(destination.length())
                .table(RtMsg.RT_TABLE_MAIN)
                .protocol(protocol)
                .scope(routeScope(type, family, gateway))
                .type(RtMsg.RTN_UNICAST);
        request.putBytes(RtMsg.RTA_DST, destination.address().getAddress());
        request.putU32(RtMsg.RTA_OIF, index);
        if (gateway != null) {
            request.putBytes(RtMsg.RTA_GATEWAY, gateway.getAddress());
        }
        request.putU32(RtMsg.RTA_TABLE, RtMsg.RT_TABLE_MAIN);
        channel.exchange(out, request.finish(), what, ignore);
    }

    /**
     * The scope iproute2 would pick: IPv4 routes without a gateway are link-scoped, deletes match any
     * scope; IPv6 ignores the scope of routes, so universe.
     */
    private static int routeScope(int type, int family, InetAddress gateway) {
        if (family == Sockets.AF_INET6) {
            return RtMsg.RT_SCOPE_UNIVERSE;
        }
        if (type == RtMsg.RTM_DELROUTE) {
            return RtMsg.RT_SCOPE_NOWHERE;
        }
        return gateway == null ? RtMsg.RT_SCOPE_LINK : RtMsg.RT_SCOPE_UNIVERSE;
    }

    /**
     * The unicast routes of the main table for {@code family} ({@code Sockets.AF_INET} or
     * {@code AF_INET6}), kernel-made ones included; cached clones are left out.
     */
    public List<Route> routes(int family) throws ErrnoException {
        if (family != Sockets.AF_INET && family != Sockets.AF_INET6) {
            throw new IllegalArgumentException("family must be AF_INET or AF_INET6, got " + family);
        }
        String what = "rtnetlink list " + (family == Sockets.AF_INET ? "IPv4" : "IPv6") + " routes";
        List<Route> result = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            result.clear();
            request.begin(RtMsg.RTM_GETROUTE, FLAGS | NlMsgHdr.NLM_F_DUMP, channel.nextSeq(), RtMsg.SIZE);
            rtMsg.wrap(out, NetlinkRequest.BODY_OFFSET).family(family);
            foundRoutes = result;
            try {
                if (channel.exchange(out, request.finish(), what, routeSink)) {
                    return result;
                }
            } finally {
                foundRoutes = null;
            }
            checkAttempts(attempt, what);
        }
    }

    private void acceptRoute(MemorySegment reply, long message, int length, int type) {
        if (type != RtMsg.RTM_NEWROUTE) {
            return;
        }
        long body = message + NlMsgHdr.SIZE;
        rtMsg.wrap(reply, body);
        if (rtMsg.type() != RtMsg.RTN_UNICAST || (rtMsg.flags() & RtMsg.RTM_F_CLONED) != 0) {
            return;
        }
        int family = rtMsg.family();
        int dstLength = rtMsg.dstLength();
        int protocol = rtMsg.protocol();
        int table = rtMsg.table();
        byte[] dst = null;
        byte[] gateway = null;
        int oif = 0;
        attr.wrap(reply, body + RtMsg.SIZE, message + length);
        while (attr.next()) {
            switch (attr.type()) {
                case RtMsg.RTA_DST -> dst = attr.bytes();
                case RtMsg.RTA_GATEWAY -> gateway = attr.bytes();
                case RtMsg.RTA_OIF -> oif = attr.u32();
                case RtMsg.RTA_TABLE -> table = attr.u32();
                default -> { }
            }
        }
        if (table != RtMsg.RT_TABLE_MAIN) {
            return;
        }
        if (dst == null) {
            dst = new byte[family == Sockets.AF_INET ? 4 : 16];
        }
        foundRoutes.add(new Route(new IpPrefix(inetAddress(family, dst), dstLength), oif,
                gateway == null ? null : inetAddress(family, gateway), protocol));
    }

    // ---------------------------------------------------------------- helpers

    private static void checkAttempts(int attempt, String what) throws ErrnoException {
        if (attempt >= DUMP_ATTEMPTS) {
            throw new ErrnoException(what + ": the table kept changing during " + DUMP_ATTEMPTS + " dumps",
                    Errno.EBUSY);
        }
    }

    private static String describeRoute(IpPrefix destination, String link, InetAddress gateway, int protocol) {
        return destination + (gateway == null ? "" : " via " + IpPrefix.text(gateway))
                + " dev " + link + " proto " + protocol;
    }

    /** Names longer than IFNAMSIZ - 1 bytes can never exist; say so instead of asking the kernel. */
    private static void checkName(String link) {
        int bytes = link.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes >= IfInfoMsg.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1.." + (IfInfoMsg.IFNAMSIZ - 1)
                    + " bytes, got \"" + link + "\"");
        }
    }

    private static int inetFamily(InetAddress address) {
        return address instanceof Inet4Address ? Sockets.AF_INET : Sockets.AF_INET6;
    }

    /** Keeps IPv4-mapped IPv6 addresses as IPv6 (InetAddress.getByAddress would turn them into IPv4). */
    private static InetAddress inetAddress(int family, byte[] bytes) {
        try {
            return family == Sockets.AF_INET6
                    ? Inet6Address.getByAddress(null, bytes, -1)
                    : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("kernel sent a " + bytes.length + "-byte address for family " + family, e);
        }
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
