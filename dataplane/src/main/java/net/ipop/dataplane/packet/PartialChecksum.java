package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * The partial-checksum contract of aes256gcm sessions (docs/wire-protocol.md, "Transport
 * checksums"): between two IPOP nodes the inner TCP and UDP packets travel with their checksum
 * field holding only the folded pseudo-header sum, as the kernel's {@code CHECKSUM_PARTIAL}
 * leaves it, and the receiver hands them to its TUN with {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}.
 * The AEAD already authenticates the whole inner packet, so the full sum the sender would compute
 * for every segment protects nothing the tag does not.
 *
 * <p>Which packets: those {@link #start} accepts, decided from the packet alone so that both ends
 * agree without a flag: IPv4 that is not a fragment, or IPv6 with no extension header, carrying
 * TCP (at least its 20-byte header) or UDP (at least its 8 bytes). Every other packet keeps a full
 * checksum on every suite.
 *
 * <p>All methods are static, allocation-free, and work in place on borrowed packet memory
 * ({@code length} is the IP packet's length); any thread may call them.
 */
public final class PartialChecksum {
    /** {@link #start} of a packet the contract does not cover. */
    public static final int NOT_COVERED = -1;

    static final int TCP_MIN_HEADER = 20;
    static final int TCP_CHECKSUM_OFFSET = 16;
    static final int UDP_HEADER = 8;
    static final int UDP_CHECKSUM_OFFSET = 6;
    private static final int IPV4_MF = 0x2000;

    private PartialChecksum() {
    }

    /**
     * Where the checksummed TCP/UDP header starts, in bytes from the IP header (the virtio-net
     * {@code csum_start} of the packet), or {@link #NOT_COVERED}.
     */
    public static int start(MemorySegment s, long ip, int length) {
        if (length < 1) {
            return NOT_COVERED;
        }
        int version = Net.u8(s, ip) >>> 4;
        int start;
        int proto;
        if (version == 4 && length >= Ipv4.MIN_HEADER) {
            start = Ipv4.headerLength(s, ip);
            proto = Ipv4.protocol(s, ip);
            if (start < Ipv4.MIN_HEADER
                    || (Net.u16(s, ip + Ipv4.FLAGS_FRAGMENT_OFFSET) & (IPV4_MF | Ipv4.FRAGMENT_MASK)) != 0) {
                return NOT_COVERED;
            }
        } else if (version == 6 && length >= Ipv6.HEADER) {
            start = Ipv6.HEADER;
            proto = Ipv6.nextHeader(s, ip);
        } else {
            return NOT_COVERED;
        }
        int minimum = proto == Ipv4.PROTO_TCP ? TCP_MIN_HEADER : proto == Ipv4.PROTO_UDP ? UDP_HEADER : -1;
        return minimum < 0 || length < start + minimum ? NOT_COVERED : start;
    }

    /**
     * The checksum field's offset inside the transport header (the virtio-net {@code csum_offset}):
     * 16 for TCP, 6 for UDP. Only for a packet {@link #start} covers.
     */
    public static int field(MemorySegment s, long ip) {
        int version = Net.u8(s, ip) >>> 4;
        int proto = version == 4 ? Ipv4.protocol(s, ip) : Ipv6.nextHeader(s, ip);
        return proto == Ipv4.PROTO_TCP ? TCP_CHECKSUM_OFFSET : UDP_CHECKSUM_OFFSET;
    }

    /**
     * Whether a kernel's partial checksum ({@code csum_start}/{@code csum_offset} of a TUN read,
     * counted from the IP header) is exactly what the contract says for this packet, so that it
     * may travel as it is.
     */
    public static boolean matches(MemorySegment s, long ip, int length, int csumStart, int csumOffset) {
        int start = start(s, ip, length);
        return start != NOT_COVERED && csumStart == start && csumOffset == field(s, ip);
    }

    /**
     * Completes the partial checksum of a covered packet in place (its field holds the
     * pseudo-header sum): what a node does before a packet leaves toward anything that expects full
     * checksums. A packet the contract does not cover is left alone.
     */
    public static void complete(MemorySegment s, long ip, int length) {
        int start = start(s, ip, length);
        if (start == NOT_COVERED) {
            return;
        }
        int field = field(s, ip);
        int c = InternetChecksum.of(s, ip + start, length - start);
        // RFC 768: a computed UDP checksum of zero is sent as all ones (zero means "none").
        Net.u16(s, ip + start + field, c == 0 && field == UDP_CHECKSUM_OFFSET ? 0xFFFF : c);
    }

    /**
     * Turns the full checksum of a covered packet into the partial one (the folded pseudo-header
     * sum). With {@code verify} the full checksum is checked first and a wrong one is refused: the
     * packet came with nothing vouching for it, and once partial it would be trusted. A UDP checksum
     * of zero (none) passes. A packet the contract does not cover is left alone.
     *
     * @return false if {@code verify} found the checksum wrong (the packet is unchanged; drop it)
     */
    public static boolean fromFull(MemorySegment s, long ip, int length, boolean verify) {
        int start = start(s, ip, length);
        if (start == NOT_COVERED) {
            return true;
        }
        int field = field(s, ip);
        int proto = field == TCP_CHECKSUM_OFFSET ? Ipv4.PROTO_TCP : Ipv4.PROTO_UDP;
        long pseudo = InternetChecksum.pseudoHeader(s, ip, proto, length - start);
        if (verify && !(field == UDP_CHECKSUM_OFFSET && Net.u16(s, ip + start + field) == 0)
                && InternetChecksum.finish(InternetChecksum.add(pseudo, s, ip + start, length - start)) != 0) {
            return false;
        }
        Net.u16(s, ip + start + field, InternetChecksum.folded(pseudo));
        return true;
    }
}
