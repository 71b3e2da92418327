package net.ipop.ffm.netlink;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Sockets;

/**
 * RTM_NEWADDR, RTM_DELADDR and the RTM_GETADDR dump. Not thread-safe; shares the owner's channel
 * and request buffer.
 */
final class AddressCommands {
    private final NetlinkChannel channel;
    private final NetlinkRequest request;
    private final MemorySegment out;
    private final LinkCommands links;
    private final IfAddrMsg ifAddr = new IfAddrMsg();
    private final RtAttr attr = new RtAttr();
    private final NetlinkChannel.ReplySink addressSink = this::acceptAddress;
    private int wantedIndex;
    private List<IpPrefix> found;

    AddressCommands(NetlinkChannel channel, NetlinkRequest request, LinkCommands links) {
        this.channel = channel;
        this.request = request;
        this.out = request.segment();
        this.links = links;
    }

    void add(String link, IpPrefix address, boolean skipDad) throws ErrnoException {
        String what = "rtnetlink add address " + address + " on " + link;
        int flags = skipDad && address.family() == Sockets.AF_INET6 ? IfAddrMsg.IFA_F_NODAD : 0;
        change(IfAddrMsg.RTM_NEWADDR, NetlinkRequest.REQUEST_ACK | NlMsgHdr.NLM_F_CREATE | NlMsgHdr.NLM_F_EXCL,
                link, address, flags, what);
    }

    void remove(String link, IpPrefix address) throws ErrnoException {
        String what = "rtnetlink remove address " + address + " from " + link;
        change(IfAddrMsg.RTM_DELADDR, NetlinkRequest.REQUEST_ACK, link, address, 0, what);
    }

    private void change(int type, int nlFlags, String link, IpPrefix address, int ifaFlags, String what)
            throws ErrnoException {
        int index = links.get(link, what).ifindex();
        request.begin(type, nlFlags, channel.nextSeq(), IfAddrMsg.SIZE);
        ifAddr.wrap(out, NetlinkRequest.BODY_OFFSET)
                .family(address.family())
                .prefixLength(address.length())
                .flags(ifaFlags)
                .scope(RtMsg.RT_SCOPE_UNIVERSE)
                .index(index);
        byte[] bytes = address.address().getAddress();
        if (address.family() == Sockets.AF_INET) {
            // IPv4 keeps the local address apart from the prefix (peer) address; on a broadcast link both are ours.
            request.putBytes(IfAddrMsg.IFA_LOCAL, bytes);
        }
        request.putBytes(IfAddrMsg.IFA_ADDRESS, bytes);
        channel.exchange(out, request.finish(), what, NetlinkChannel.IGNORE);
    }

    List<IpPrefix> list(String link) throws ErrnoException {
        String what = "rtnetlink list addresses of " + link;
        int index = links.get(link, what).ifindex();
        List<IpPrefix> result = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            result.clear();
            // Without NETLINK_GET_STRICT_CHK the kernel ignores a dump's header filters: filter by index here.
            request.begin(IfAddrMsg.RTM_GETADDR, NetlinkRequest.REQUEST_ACK | NlMsgHdr.NLM_F_DUMP,
                    channel.nextSeq(), IfAddrMsg.SIZE);
            ifAddr.wrap(out, NetlinkRequest.BODY_OFFSET).family(Sockets.AF_UNSPEC);
            wantedIndex = index;
            found = result;
            try {
                if (channel.exchange(out, request.finish(), what, addressSink)) {
                    return result;
                }
            } finally {
                found = null;
            }
            NetlinkChannel.checkDumpAttempt(attempt, what);
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
            found.add(new IpPrefix(IpPrefix.inetAddress(family, ours), prefixLength));
        }
    }
}
