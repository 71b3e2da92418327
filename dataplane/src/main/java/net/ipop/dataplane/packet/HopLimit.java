package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What a router does to the IP header of a packet it forwards: decrement the IPv4 TTL (RFC 791,
 * RFC 1812 5.3.1) or the IPv6 hop limit (RFC 8200), refusing a packet that would leave with 0. The
 * IPv4 header checksum is updated incrementally (RFC 1624, equation 3) instead of recomputed: only
 * one 16-bit word of the header changes. Allocation-free; safe from any thread on its own packet.
 */
public final class HopLimit {
    private HopLimit() {
    }

    /**
     * Decrements the hop count of the valid IPv4 or IPv6 header at {@code ip} in place.
     *
     * @param version 4 or 6, as the caller parsed it
     * @return false (and the packet untouched) if the TTL / hop limit is 0 or 1: the packet must not
     *     be forwarded
     */
    public static boolean decrement(MemorySegment s, long ip, int version) {
        if (version == 4) {
            int ttl = Net.u8(s, ip + Ipv4.TTL_OFFSET);
            if (ttl <= 1) {
                return false;
            }
            // The TTL is the high byte of the header word it shares with the protocol.
            int oldWord = Net.u16(s, ip + Ipv4.TTL_OFFSET);
            int newWord = oldWord - 0x0100;
            int sum = (~Net.u16(s, ip + Ipv4.CHECKSUM_OFFSET) & 0xFFFF) + (~oldWord & 0xFFFF) + newWord;
            sum = (sum & 0xFFFF) + (sum >>> 16);
            sum = (sum & 0xFFFF) + (sum >>> 16);
            s.set(ValueLayout.JAVA_BYTE, ip + Ipv4.TTL_OFFSET, (byte) (ttl - 1));
            Net.u16(s, ip + Ipv4.CHECKSUM_OFFSET, ~sum & 0xFFFF);
            return true;
        }
        int hops = Net.u8(s, ip + Ipv6.HOP_LIMIT_OFFSET);
        if (hops <= 1) {
            return false;
        }
        s.set(ValueLayout.JAVA_BYTE, ip + Ipv6.HOP_LIMIT_OFFSET, (byte) (hops - 1));
        return true;
    }
}
