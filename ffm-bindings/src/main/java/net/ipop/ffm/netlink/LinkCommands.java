package net.ipop.ffm.netlink;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Sockets;

/**
 * RTM_GETLINK and RTM_NEWLINK for existing links, addressed by name. Not thread-safe; shares the
 * owner's channel and request buffer.
 */
final class LinkCommands {
    private final NetlinkChannel channel;
    private final NetlinkRequest request;
    private final MemorySegment out;
    private final IfInfoMsg ifInfo = new IfInfoMsg();
    private final RtAttr attr = new RtAttr();
    private final NetlinkChannel.ReplySink linkSink = this::acceptLink;
    private LinkState found;

    LinkCommands(NetlinkChannel channel, NetlinkRequest request) {
        this.channel = channel;
        this.request = request;
        this.out = request.segment();
    }

    /**
     * The state of {@code link}; {@code ENODEV} if there is none.
     *
     * @param what names the operation needing it, so an unknown link is reported against that
     */
    LinkState get(String link, String what) throws ErrnoException {
        checkName(link);
        request.begin(IfInfoMsg.RTM_GETLINK, NetlinkRequest.REQUEST_ACK, channel.nextSeq(), IfInfoMsg.SIZE);
        ifInfo.wrap(out, NetlinkRequest.BODY_OFFSET).family(Sockets.AF_UNSPEC);
        request.putString(IfInfoMsg.IFLA_IFNAME, link);
        found = null;
        channel.exchange(out, request.finish(), what, linkSink);
        LinkState result = found;
        found = null;
        if (result == null) {
            throw new ErrnoException(what + ": the kernel acknowledged but sent no link", Errno.ENODEV);
        }
        return result;
    }

    /** Sets or clears IFF_UP, leaving every other flag alone (ifi_change masks the change). */
    void setUp(String link, boolean up) throws ErrnoException {
        String what = "rtnetlink set link " + link + (up ? " up" : " down");
        beginChange(link);
        ifInfo.wrap(out, NetlinkRequest.BODY_OFFSET).flags(up ? IfInfoMsg.IFF_UP : 0).change(IfInfoMsg.IFF_UP);
        channel.exchange(out, request.finish(), what, NetlinkChannel.IGNORE);
    }

    void setMtu(String link, int mtu) throws ErrnoException {
        if (mtu <= 0) {
            throw new IllegalArgumentException("MTU must be positive, got " + mtu);
        }
        String what = "rtnetlink set mtu " + mtu + " on " + link;
        beginChange(link);
        request.putU32(IfInfoMsg.IFLA_MTU, mtu);
        channel.exchange(out, request.finish(), what, NetlinkChannel.IGNORE);
    }

    /**
     * Sets the IPv6 address generation mode, {@code IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }}, as
     * {@code ip link set LINK addrgenmode none|eui64} does.
     */
    void setIpv6AddrGenMode(String link, boolean generate) throws ErrnoException {
        String what = "rtnetlink set addrgenmode " + (generate ? "eui64" : "none") + " on " + link;
        beginChange(link);
        int afSpec = request.beginNested(IfInfoMsg.IFLA_AF_SPEC);
        int inet6 = request.beginNested(Sockets.AF_INET6);
        request.putU8(IfInfoMsg.IFLA_INET6_ADDR_GEN_MODE,
                generate ? IfInfoMsg.IN6_ADDR_GEN_MODE_EUI64 : IfInfoMsg.IN6_ADDR_GEN_MODE_NONE);
        request.endNested(inet6);
        request.endNested(afSpec);
        channel.exchange(out, request.finish(), what, NetlinkChannel.IGNORE);
    }

    /**
     * RTM_NEWLINK without NLM_F_CREATE only changes an existing link; with index 0 the kernel finds it
     * by IFLA_IFNAME and answers ENODEV if there is none.
     */
    private void beginChange(String link) {
        checkName(link);
        request.begin(IfInfoMsg.RTM_NEWLINK, NetlinkRequest.REQUEST_ACK, channel.nextSeq(), IfInfoMsg.SIZE);
        ifInfo.wrap(out, NetlinkRequest.BODY_OFFSET).family(Sockets.AF_UNSPEC).index(0);
        request.putString(IfInfoMsg.IFLA_IFNAME, link);
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
        found = new LinkState(index, name, flags, mtu, operState);
    }

    /** Names longer than IFNAMSIZ - 1 bytes can never exist; say so instead of asking the kernel. */
    private static void checkName(String link) {
        int bytes = link.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes >= IfInfoMsg.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1.." + (IfInfoMsg.IFNAMSIZ - 1)
                    + " bytes, got \"" + link + "\"");
        }
    }
}
