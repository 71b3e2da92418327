package net.ipop.dataplane.pipeline;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Builds inner test packets as byte arrays (big-endian). UDP packets carry a correct checksum, as a
 * host would send them; a TCP super-packet's is left to the segmenter.
 */
final class Packets {
    private Packets() {
    }

    static byte[] addr(String text) {
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** IPv4 (DF set) carrying UDP 40000 -> 5201 with {@code payload}. */
    static byte[] udp4(String src, String dst, byte[] payload) {
        int total = 20 + 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 1).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(addr(src)).put(addr(dst));
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += b.getShort(i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        b.putShort(10, (short) ~sum);
        b.putShort((short) 40000).putShort((short) 5201).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        return withUdpChecksum(b.array(), 20);
    }

    /** IPv6 carrying UDP 40000 -> 5201 with {@code payload}. */
    static byte[] udp6(String src, String dst, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + 8 + payload.length);
        b.putInt(0x6000_0000).putShort((short) (8 + payload.length)).put((byte) 17).put((byte) 64)
                .put(addr(src)).put(addr(dst))
                .putShort((short) 40000).putShort((short) 5201).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        return withUdpChecksum(b.array(), 40);
    }

    /** Fills in the UDP checksum (RFC 768) of the packet whose UDP header is at {@code ip}. */
    private static byte[] withUdpChecksum(byte[] p, int ip) {
        long sum = ip == 20 ? sum(p, 12, 8) : sum(p, 8, 32);
        sum += 17 + (p.length - ip) + sum(p, ip, p.length - ip);
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        int c = (int) ~sum & 0xFFFF;
        if (c == 0) {
            c = 0xFFFF;
        }
        p[ip + 6] = (byte) (c >>> 8);
        p[ip + 7] = (byte) c;
        return p;
    }

    /** The 16-bit one's-complement sum (RFC 1071), unfolded, of {@code p[off, off + len)}. */
    static long sum(byte[] p, int off, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            s += ((p[off + i] & 0xFF) << 8) | (i + 1 < len ? p[off + i + 1] & 0xFF : 0);
        }
        return s;
    }

    /** An IPv4 TCP super-packet (one header, {@code payload} bytes) as TSO hands it over. */
    static byte[] tcp4(String src, String dst, byte[] payload) {
        int total = 20 + 20 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total).putShort((short) 7).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).put(addr(src)).put(addr(dst));
        b.putShort((short) 40000).putShort((short) 5201).putInt(1000).putInt(0)
                .put((byte) 0x50).put((byte) 0x18).putShort((short) 65535).putShort((short) 0).putShort((short) 0)
                .put(payload);
        return b.array();
    }
}
