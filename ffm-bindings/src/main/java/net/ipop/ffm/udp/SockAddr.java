package net.ipop.ffm.udp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import net.ipop.ffm.libc.Sockets;

/**
 * Flyweight over one socket-address slot of {@link #MAX_SIZE} bytes holding either a
 * {@code struct sockaddr_in} ({@code <linux/in.h>}, 16 B) or a {@code struct sockaddr_in6}
 * ({@code <linux/in6.h>}, 28 B); the family field says which.
 *
 * <p>Byte order is the kernel's: the family and the IPv6 scope id are host order, the port and the
 * addresses network order. Accessors return ports as {@code 0..65535}, IPv4 addresses as the
 * big-endian {@code int} (192.0.2.1 is {@code 0xC0000201}) and IPv6 addresses as two big-endian
 * {@code long}s.
 *
 * <p>Packet path: {@link #sameEndpoint}, {@link #endpointHash}, {@link #copyFrom} and the scalar
 * getters/setters neither allocate nor copy to the heap. {@link #set(InetSocketAddress)},
 * {@link #toInetSocketAddress()} and {@link #toString()} allocate and are for setup, errors and logs.
 *
 * <p>Threading: a flyweight is not thread-safe; it is owned by whoever owns the memory it wraps.
 */
public final class SockAddr {
    /** {@code sizeof(struct sockaddr_in)}. */
    public static final int SOCKADDR_IN_SIZE = 16;
    /** {@code sizeof(struct sockaddr_in6)}. */
    public static final int SOCKADDR_IN6_SIZE = 28;
    /** Bytes a slot needs to hold either form (the {@code msg_namelen} given to the kernel on receive). */
    public static final int MAX_SIZE = SOCKADDR_IN6_SIZE;

    /** {@code sa_family_t sin_family / sin6_family}, host order. */
    static final long FAMILY_OFFSET = 0;
    /** {@code __be16 sin_port / sin6_port}. */
    static final long PORT_OFFSET = 2;
    /** {@code struct in_addr sin_addr}, network order; followed by 8 bytes of {@code sin_zero}. */
    static final long IN_ADDR_OFFSET = 4;
    /** {@code __be32 sin6_flowinfo}; ignored when comparing endpoints. */
    static final long IN6_FLOWINFO_OFFSET = 4;
    /** {@code struct in6_addr sin6_addr}, 16 bytes network order. */
    static final long IN6_ADDR_OFFSET = 8;
    /** {@code __u32 sin6_scope_id}, host order (an interface index for link-local addresses). */
    static final long IN6_SCOPE_ID_OFFSET = 24;

    private static final ValueLayout.OfShort FAMILY = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt HOST32 = ValueLayout.JAVA_INT_UNALIGNED;

    private MemorySegment segment;
    private long offset;

    /** An unwrapped flyweight; call {@link #wrap} before use. */
    public SockAddr() {
    }

    /** A flyweight over {@code segment[offset, offset + MAX_SIZE)}. */
    public SockAddr(MemorySegment segment, long offset) {
        wrap(segment, offset);
    }

    /** Points this flyweight at {@code segment[offset, offset + MAX_SIZE)}; the memory stays the caller's. */
    public SockAddr wrap(MemorySegment segment, long offset) {
        if (offset < 0 || offset + MAX_SIZE > segment.byteSize()) {
            throw new IndexOutOfBoundsException("sockaddr slot at " + offset + " needs " + MAX_SIZE
                    + " bytes; segment has " + segment.byteSize());
        }
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** The wrapped memory (borrowed). */
    public MemorySegment segment() {
        return segment;
    }

    /** Offset of the slot within {@link #segment()}. */
    public long offset() {
        return offset;
    }

    /** {@link Sockets#AF_INET}, {@link Sockets#AF_INET6} or {@link Sockets#AF_UNSPEC} (0) for an empty slot. */
    public int family() {
        return segment.get(FAMILY, offset + FAMILY_OFFSET) & 0xffff;
    }

    public boolean isIpv4() {
        return family() == Sockets.AF_INET;
    }

    public boolean isIpv6() {
        return family() == Sockets.AF_INET6;
    }

    /** The length to pass as {@code socklen_t}: 16, 28, or 0 for an empty slot. */
    public int length() {
        return switch (family()) {
            case Sockets.AF_INET -> SOCKADDR_IN_SIZE;
            case Sockets.AF_INET6 -> SOCKADDR_IN6_SIZE;
            default -> 0;
        };
    }

    /** The port, 0..65535. */
    public int port() {
        return segment.get(BE16, offset + PORT_OFFSET) & 0xffff;
    }

    /** The IPv4 address as a big-endian int; meaningful only when {@link #isIpv4()}. */
    public int ipv4Address() {
        return segment.get(BE32, offset + IN_ADDR_OFFSET);
    }

    /** The first 8 bytes of the IPv6 address, big-endian; meaningful only when {@link #isIpv6()}. */
    public long ipv6High() {
        return segment.get(BE64, offset + IN6_ADDR_OFFSET);
    }

    /** The last 8 bytes of the IPv6 address, big-endian. */
    public long ipv6Low() {
        return segment.get(BE64, offset + IN6_ADDR_OFFSET + 8);
    }

    /** The IPv6 scope id (interface index), 0 when unscoped. */
    public int scopeId() {
        return segment.get(HOST32, offset + IN6_SCOPE_ID_OFFSET);
    }

    /** Writes a {@code sockaddr_in}; {@code address} big-endian as {@link #ipv4Address()} returns it. */
    public SockAddr setIpv4(int address, int port) {
        segment.set(FAMILY, offset + FAMILY_OFFSET, (short) Sockets.AF_INET);
        segment.set(BE16, offset + PORT_OFFSET, (short) checkPort(port));
        segment.set(BE32, offset + IN_ADDR_OFFSET, address);
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + IN_ADDR_OFFSET + 4, 0L); // sin_zero
        return this;
    }

    /** Writes a {@code sockaddr_in6} with flowinfo 0. */
    public SockAddr setIpv6(long high, long low, int port, int scopeId) {
        segment.set(FAMILY, offset + FAMILY_OFFSET, (short) Sockets.AF_INET6);
        segment.set(BE16, offset + PORT_OFFSET, (short) checkPort(port));
        segment.set(BE32, offset + IN6_FLOWINFO_OFFSET, 0);
        segment.set(BE64, offset + IN6_ADDR_OFFSET, high);
        segment.set(BE64, offset + IN6_ADDR_OFFSET + 8, low);
        segment.set(HOST32, offset + IN6_SCOPE_ID_OFFSET, scopeId);
        return this;
    }

    /** Rewrites only the port. */
    public SockAddr setPort(int port) {
        segment.set(BE16, offset + PORT_OFFSET, (short) checkPort(port));
        return this;
    }

    /** Marks the slot empty ({@code AF_UNSPEC}); the other bytes are left as they were. */
    public SockAddr clear() {
        segment.set(FAMILY, offset + FAMILY_OFFSET, (short) Sockets.AF_UNSPEC);
        return this;
    }

    /**
     * Writes {@code address} (setup path: allocates). An {@link Inet4Address} becomes a
     * {@code sockaddr_in}, an {@link Inet6Address} a {@code sockaddr_in6} with its scope id.
     *
     * @throws IllegalArgumentException if the address is unresolved
     */
    public SockAddr set(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address " + address);
        }
        byte[] b = ip.getAddress();
        MemorySegment raw = MemorySegment.ofArray(b);
        if (ip instanceof Inet6Address v6) {
            return setIpv6(raw.get(BE64, 0), raw.get(BE64, 8), address.getPort(), v6.getScopeId());
        }
        return setIpv4(raw.get(BE32, 0), address.getPort());
    }

    /**
     * Whether both slots name the same endpoint: family, port, address and (IPv6) scope id. Flowinfo
     * and padding are ignored. Two empty slots are equal.
     */
    public boolean sameEndpoint(SockAddr other) {
        int family = family();
        if (family != other.family()) {
            return false;
        }
        return switch (family) {
            case Sockets.AF_INET -> port() == other.port() && ipv4Address() == other.ipv4Address();
            case Sockets.AF_INET6 -> port() == other.port() && ipv6High() == other.ipv6High()
                    && ipv6Low() == other.ipv6Low() && scopeId() == other.scopeId();
            default -> true;
        };
    }

    /** A hash consistent with {@link #sameEndpoint}, for open-addressing endpoint tables. */
    public int endpointHash() {
        int family = family();
        long h = family * 31L + port();
        if (family == Sockets.AF_INET) {
            h = h * 0x9E3779B97F4A7C15L + ipv4Address();
        } else if (family == Sockets.AF_INET6) {
            h = h * 0x9E3779B97F4A7C15L + ipv6High();
            h = h * 0x9E3779B97F4A7C15L + ipv6Low();
            h = h * 0x9E3779B97F4A7C15L + scopeId();
        }
        h *= 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    /** Copies the whole slot of {@code source} into this one (e.g. a packet's source into a peer's endpoint). */
    public SockAddr copyFrom(SockAddr source) {
        MemorySegment.copy(source.segment, source.offset, segment, offset, MAX_SIZE);
        return this;
    }

    /** The address as a Java object (allocates), or {@code null} for an empty slot. */
    public InetSocketAddress toInetSocketAddress() {
        int family = family();
        if (family != Sockets.AF_INET && family != Sockets.AF_INET6) {
            return null;
        }
        try {
            if (family == Sockets.AF_INET) {
                byte[] b = new byte[4];
                MemorySegment.ofArray(b).set(BE32, 0, ipv4Address());
                return new InetSocketAddress(InetAddress.getByAddress(b), port());
            }
            byte[] b = new byte[16];
            MemorySegment raw = MemorySegment.ofArray(b);
            raw.set(BE64, 0, ipv6High());
            raw.set(BE64, 8, ipv6Low());
            int scope = scopeId();
            // getByAddress(null, b, 0) would print "%0"; an unscoped address gets no scope at all.
            InetAddress ip = scope == 0 ? InetAddress.getByAddress(b) : Inet6Address.getByAddress(null, b, scope);
            return new InetSocketAddress(ip, port());
        } catch (UnknownHostException e) {
            throw new AssertionError("4- and 16-byte addresses are always valid", e);
        }
    }

    @Override
    public String toString() {
        InetSocketAddress a = segment == null ? null : toInetSocketAddress();
        return a == null ? "unspecified" : a.toString();
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return port;
    }
}
