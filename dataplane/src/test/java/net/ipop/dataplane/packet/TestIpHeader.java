package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** The IP header of a test packet: 192.0.2.1 to 192.0.2.2 or 2001:db8::1 to 2001:db8::2, hop limit 64. */
final class TestIpHeader {
    private TestIpHeader() {
    }

    /**
     * Writes the header at {@code p[0, 20)} (IPv4: don't fragment, {@code id}, header checksum set) or
     * {@code p[0, 40)} (IPv6) for a packet of {@code total} bytes carrying {@code proto}; returns its length.
     */
    static int write(MemorySegment p, boolean v6, int total, int proto, int id) throws UnknownHostException {
        if (v6) {
            p.set(Net.U32, 0, 0x6000_0000);
            Net.u16(p, 4, total - 40);
            p.set(ValueLayout.JAVA_BYTE, 6, (byte) proto);
            p.set(ValueLayout.JAVA_BYTE, 7, (byte) 64);
            MemorySegment.copy(InetAddress.getByName("2001:db8::1").getAddress(), 0, p, ValueLayout.JAVA_BYTE, 8, 16);
            MemorySegment.copy(InetAddress.getByName("2001:db8::2").getAddress(), 0, p, ValueLayout.JAVA_BYTE, 24, 16);
            return 40;
        }
        p.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x45);
        Net.u16(p, 2, total);
        Net.u16(p, 4, id);
        Net.u16(p, 6, 0x4000);
        p.set(ValueLayout.JAVA_BYTE, 8, (byte) 64);
        p.set(ValueLayout.JAVA_BYTE, 9, (byte) proto);
        MemorySegment.copy(InetAddress.getByName("192.0.2.1").getAddress(), 0, p, ValueLayout.JAVA_BYTE, 12, 4);
        MemorySegment.copy(InetAddress.getByName("192.0.2.2").getAddress(), 0, p, ValueLayout.JAVA_BYTE, 16, 4);
        Ipv4.fixHeaderChecksum(p, 0);
        return 20;
    }
}
