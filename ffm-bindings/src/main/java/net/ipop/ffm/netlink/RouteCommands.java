package net.ipop.ffm.netlink;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Sockets;

/**
 * RTM_NEWROUTE, RTM_DELROUTE and the RTM_GETROUTE dump for unicast routes of the main table. Not
 * thread-safe; shares the owner's channel and request buffer.
 */
final class RouteCommands {
    private final NetlinkChannel channel;
    private final NetlinkRequest request;
    private final MemorySegment out;
    private final LinkCommands links;
    private final RtMsg rtMsg = new RtMsg();
    private final RtAttr attr = new RtAttr();
    private final NetlinkChannel.ReplySink routeSink = this::acceptRoute;
    private List<Route> found;

    RouteCommands(NetlinkChannel channel, NetlinkRequest request, LinkCommands links) {
        this.channel = channel;
        this.request = request;
        this.out = request.segment();
        this.links = links;
    }

    void add(IpPrefix destination, String link, InetAddress gateway, int protocol) throws ErrnoException {
        String what = "rtnetlink add route " + describe(destination, link, gateway, protocol);
        change(RtMsg.RTM_NEWROUTE, NetlinkRequest.REQUEST_ACK | NlMsgHdr.NLM_F_CREATE | NlMsgHdr.NLM_F_EXCL,
                destination, link, gateway, protocol, what);
    }

    void remove(IpPrefix destination, String link, InetAddress gateway, int protocol) throws ErrnoException {
        String what = "rtnetlink remove route " + describe(destination, link, gateway, protocol);
        change(RtMsg.RTM_DELROUTE, NetlinkRequest.REQUEST_ACK, destination, link, gateway, protocol, what);
    }

    private void change(int type, int nlFlags, IpPrefix destination, String link, InetAddress gateway,
                        int protocol, String what) throws ErrnoException {
        int family = destination.family();
        if (gateway != null && IpPrefix.familyOf(gateway) != family) {
            throw new IllegalArgumentException(what + ": gateway and destination differ in address family");
        }
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException(what + ": protocol must be 0..255");
        }
        int index = links.get(link, what).ifindex();
        request.begin(type, nlFlags, channel.nextSeq(), RtMsg.SIZE);
        rtMsg.wrap(out, NetlinkRequest.BODY_OFFSET)
                .family(family)
                .dstLength(destination.length())
                .table(RtMsg.RT_TABLE_MAIN)
                .protocol(protocol)
                .scope(scope(type, family, gateway))
                .type(RtMsg.RTN_UNICAST);
        request.putBytes(RtMsg.RTA_DST, destination.address().getAddress());
        request.putU32(RtMsg.RTA_OIF, index);
        if (gateway != null) {
            request.putBytes(RtMsg.RTA_GATEWAY, gateway.getAddress());
        }
        request.putU32(RtMsg.RTA_TABLE, RtMsg.RT_TABLE_MAIN);
        channel.exchange(out, request.finish(), what, NetlinkChannel.IGNORE);
    }

    /**
     * The scope iproute2 picks: IPv4 routes without a gateway are link-scoped and deletes match any
     * scope; IPv6 routes have no scope of their own, so universe.
     */
    private static int scope(int type, int family, InetAddress gateway) {
        if (family == Sockets.AF_INET6) {
            return RtMsg.RT_SCOPE_UNIVERSE;
        }
        if (type == RtMsg.RTM_DELROUTE) {
            return RtMsg.RT_SCOPE_NOWHERE;
        }
        return gateway == null ? RtMsg.RT_SCOPE_LINK : RtMsg.RT_SCOPE_UNIVERSE;
    }

    List<Route> list(int family) throws ErrnoException {
        if (family != Sockets.AF_INET && family != Sockets.AF_INET6) {
            throw new IllegalArgumentException("family must be AF_INET or AF_INET6, got " + family);
        }
        String what = "rtnetlink list " + (family == Sockets.AF_INET ? "IPv4" : "IPv6") + " routes";
        List<Route> result = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            result.clear();
            request.begin(RtMsg.RTM_GETROUTE, NetlinkRequest.REQUEST_ACK | NlMsgHdr.NLM_F_DUMP,
                    channel.nextSeq(), RtMsg.SIZE);
            rtMsg.wrap(out, NetlinkRequest.BODY_OFFSET).family(family);
            found = result;
            try {
                if (channel.exchange(out, request.finish(), what, routeSink)) {
                    return result;
                }
            } finally {
                found = null;
            }
            NetlinkChannel.checkDumpAttempt(attempt, what);
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
            // A default route carries no RTA_DST.
            dst = new byte[family == Sockets.AF_INET ? 4 : 16];
        }
        found.add(new Route(new IpPrefix(IpPrefix.inetAddress(family, dst), dstLength), oif,
                gateway == null ? null : IpPrefix.inetAddress(family, gateway), protocol));
    }

    private static String describe(IpPrefix destination, String link, InetAddress gateway, int protocol) {
        return destination + (gateway == null ? "" : " via " + IpPrefix.text(gateway))
                + " dev " + link + " proto " + protocol;
    }
}
