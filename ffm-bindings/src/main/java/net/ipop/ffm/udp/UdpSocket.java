package net.ipop.ffm.udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;

/**
 * A non-blocking, close-on-exec UDP socket for the data plane, with batched I/O
 * ({@code recvmmsg}/{@code sendmmsg}) and the offloads Java's socket API cannot reach: UDP GSO
 * ({@code UDP_SEGMENT} per send) and GRO ({@code UDP_GRO} on receive).
 *
 * <p>Address families: one socket per family. An IPv6 socket is opened with {@code IPV6_V6ONLY}
 * so every address it sees is a real {@code sockaddr_in6}: a dual-stack socket would present IPv4
 * peers as v4-mapped IPv6 addresses, making the same peer compare unequal to its IPv4 endpoint from
 * elsewhere, and would need IPv4 pktinfo on an IPv6 socket. The data plane opens one socket of each
 * family (one per queue with {@link #setReusePort}).
 *
 * <p>GSO fallback: a send slot with a segment size goes out as one GSO super-datagram. If the
 * kernel refuses GSO on this socket with {@code EIO} (on kernel 6.18 that happens on an IPsec/xfrm
 * route and for UDP-Lite; kernels before 6.11 also refused it on devices without checksum offload),
 * the socket switches permanently to sending each segment as its own datagram (see
 * {@link GsoSplitter}) and counts it ({@link #gsoFallbacks()}, {@link #splitSlots()}).
 *
 * <p>Errors: every failure is an {@link ErrnoException} naming the call and its context; EINTR is
 * retried; EAGAIN is the result {@link Libc#WOULD_BLOCK}. Use after {@link #close()} fails with
 * {@code EBADF}.
 *
 * <p>Threading: setup methods and {@link #close()} belong to the owner, which must stop the I/O
 * threads (and so establish happens-before) before closing. After setup, one thread may receive and
 * another send concurrently: receive state ({@link #awaitReadable}'s pollfd) and send state (the
 * GSO fallback) are separate.
 */
public final class UdpSocket implements AutoCloseable {
    /** {@code UDP_MAX_SEGMENTS} of kernel 6.18 ({@code include/linux/udp.h}): segments per GSO send. */
    public static final int MAX_SEGMENTS = 128;

    static final int IPPROTO_UDP = 17;
    /** UDP-Lite, which refuses GSO with EIO: the real-kernel trigger for the fallback tests. */
    static final int IPPROTO_UDPLITE = 136;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;

    private final int family;
    private final int protocol;
    private final Arena arena;
    private final MemorySegment pollFd;
    private final GsoSplitter splitter;
    private int fd;
    private String name;
    /** Written once by the sending thread; volatile so monitoring threads see it. */
    private volatile boolean gsoRefused;
    private volatile long gsoFallbacks;

    private UdpSocket(int fd, int family, int protocol) {
        this.fd = fd;
        this.family = family;
        this.protocol = protocol;
        this.arena = Arena.ofShared();
        this.pollFd = arena.allocate(8, 8);
        this.splitter = new GsoSplitter(arena, MAX_SEGMENTS);
        this.name = "udp" + (family == Sockets.AF_INET6 ? "6" : "4") + " fd " + fd;
    }

    /** Opens an unbound UDP socket of {@code family} ({@code INET} or {@code INET6}, the latter v6-only). */
    public static UdpSocket open(ProtocolFamily family) throws ErrnoException {
        return open(family, IPPROTO_UDP);
    }

    static UdpSocket open(ProtocolFamily family, int protocol) throws ErrnoException {
        int af;
        if (family == StandardProtocolFamily.INET) {
            af = Sockets.AF_INET;
        } else if (family == StandardProtocolFamily.INET6) {
            af = Sockets.AF_INET6;
        } else {
            throw new IllegalArgumentException("UDP needs INET or INET6, not " + family);
        }
        int fd = Sockets.socket(af, Sockets.SOCK_DGRAM | Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC, protocol);
        UdpSocket socket = new UdpSocket(fd, af, protocol);
        try {
            if (af == Sockets.AF_INET6) {
                socket.setInt(IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
            }
        } catch (ErrnoException | RuntimeException e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    /** {@link Sockets#AF_INET} or {@link Sockets#AF_INET6}. */
    public int family() {
        return family;
    }

    /** The file descriptor (for poll/io_uring registration); -1 after close. */
    public int fd() {
        return fd;
    }

    /** {@code SO_REUSEPORT}: lets several sockets (one per queue) bind the same address and port. Before bind. */
    public void setReusePort(boolean on) throws ErrnoException {
        setInt(Sockets.SOL_SOCKET, Sockets.SO_REUSEPORT, on ? 1 : 0, "SO_REUSEPORT");
    }

    /**
     * Asks for {@code receiveBytes}/{@code sendBytes} of socket buffer. Uses
     * {@code SO_RCVBUFFORCE}/{@code SO_SNDBUFFORCE} (which ignore {@code net.core.rmem_max}/
     * {@code wmem_max} but need {@code CAP_NET_ADMIN}) and falls back to {@code SO_RCVBUF}/
     * {@code SO_SNDBUF}, which the kernel silently caps. Read back what was granted with
     * {@link #receiveBufferSize()}/{@link #sendBufferSize()}.
     */
    public void setBufferSizes(int receiveBytes, int sendBytes) throws ErrnoException {
        setBuffer(Sockets.SO_RCVBUFFORCE, Sockets.SO_RCVBUF, receiveBytes, "SO_RCVBUF");
        setBuffer(Sockets.SO_SNDBUFFORCE, Sockets.SO_SNDBUF, sendBytes, "SO_SNDBUF");
    }

    /** The effective receive buffer in bytes ({@code SO_RCVBUF}; the kernel reports twice the request, for bookkeeping). */
    public int receiveBufferSize() throws ErrnoException {
        return getInt(Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, "SO_RCVBUF");
    }

    /** The effective send buffer in bytes ({@code SO_SNDBUF}). */
    public int sendBufferSize() throws ErrnoException {
        return getInt(Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, "SO_SNDBUF");
    }

    /**
     * {@code UDP_GRO}: the kernel may hand over several same-size datagrams from one sender as one
     * coalesced read, with the segment size in {@link MessageBatch#segmentSize(int)}. Receive buffers
     * must then be 64 KiB. Off: every datagram is its own read (GSO super-datagrams are split).
     */
    public void setGro(boolean on) throws ErrnoException {
        setInt(Cmsg.SOL_UDP, Cmsg.UDP_GRO, on ? 1 : 0, "UDP_GRO");
    }

    /**
     * {@code IP_PKTINFO} / {@code IPV6_RECVPKTINFO}: every received slot reports the address it was
     * sent to in {@link MessageBatch#local(int)}, so a socket bound to a wildcard address on a
     * multi-homed node can reply from that same address.
     */
    public void setPacketInfo(boolean on) throws ErrnoException {
        if (family == Sockets.AF_INET6) {
            setInt(IPPROTO_IPV6, Cmsg.IPV6_RECVPKTINFO, on ? 1 : 0, "IPV6_RECVPKTINFO");
        } else {
            setInt(Cmsg.SOL_IP, Cmsg.IP_PKTINFO, on ? 1 : 0, "IP_PKTINFO");
        }
    }

    /**
     * Binds to {@code address} (port 0 picks a free port: read it with {@link #localAddress()}).
     *
     * @throws ErrnoException e.g. {@code EADDRINUSE}, with the address in the message
     */
    public void bind(InetSocketAddress address) throws ErrnoException {
        try (Arena setup = Arena.ofConfined()) {
            SockAddr sa = new SockAddr(setup.allocate(SockAddr.MAX_SIZE, 8), 0).set(address);
            checkFamily(sa, address);
            Sockets.bind(fd, sa.segment(), sa.length(), describe(address) + " on " + name);
        }
        name = "udp" + (family == Sockets.AF_INET6 ? "6 " : "4 ") + describe(address) + " fd " + fd;
    }

    /** The bound address, from {@code getsockname} (allocates; setup path). */
    public InetSocketAddress localAddress() throws ErrnoException {
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment addr = setup.allocate(SockAddr.MAX_SIZE, 8);
            MemorySegment len = setup.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, SockAddr.MAX_SIZE);
            Sockets.getsockname(fd, addr, len);
            return new SockAddr(addr, 0).toInetSocketAddress();
        }
    }

    /** The bound port (after {@link #bind}, also when bound to port 0). */
    public int localPort() throws ErrnoException {
        return localAddress().getPort();
    }

    /**
     * Receives up to {@link MessageBatch#capacity()} datagrams with one {@code recvmmsg} into slots
     * {@code 0..n-1}, overwriting their length, remote, local, segment size and flags. Returns
     * {@code n >= 1}, or {@link Libc#WOULD_BLOCK} when nothing is queued. Never blocks.
     */
    public int receive(MessageBatch batch) throws ErrnoException {
        int count = batch.capacity();
        batch.prepareReceive(count);
        int received = Sockets.recvmmsg(fd, batch.headers(0), count, 0);
        if (received > 0) {
            batch.completeReceive(received);
        }
        return received;
    }

    /**
     * Sends slots {@code [first, first + count)} with one {@code sendmmsg} (or, after a GSO
     * fallback, one per slot group). Each slot goes to its {@link MessageBatch#remote(int)}, from
     * its {@link MessageBatch#local(int)} if set, as one GSO super-datagram if its segment size is
     * below its length.
     *
     * <p>Returns how many slots, starting at {@code first}, were sent: fewer than {@code count}
     * when the socket buffer filled, a later slot failed, or (after a GSO fallback) the slots
     * needed more than {@link #MAX_SEGMENTS} datagrams; call again from {@code first + result} and
     * a failing slot then throws with itself first. Returns {@link Libc#WOULD_BLOCK} when nothing
     * could be sent. Slots are only read.
     *
     * @throws ErrnoException for slot {@code first} (e.g. {@code EMSGSIZE}, {@code ENETUNREACH},
     *                        {@code EINVAL} for a bad segment size); the caller drops or fixes it
     */
    public int send(MessageBatch batch, int first, int count) throws ErrnoException {
        if (count <= 0 || first < 0 || first + count > batch.capacity()) {
            throw new IndexOutOfBoundsException("slots [" + first + ", " + (first + count) + ") of "
                    + batch.capacity());
        }
        batch.prepareSend(first, count);
        if (gsoRefused) {
            checkOpen("sendmmsg");
            return splitter.send(fd, batch, first, count);
        }
        try {
            return Sockets.sendmmsg(fd, batch.headers(first), count, 0);
        } catch (ErrnoException e) {
            if (!e.is(Errno.EIO) || !usesGso(batch, first)) {
                throw e;
            }
            gsoRefused = true;
            gsoFallbacks++;
            return splitter.send(fd, batch, first, count);
        }
    }

    /**
     * Waits up to {@code timeoutMs} (-1: forever) until a datagram is queued. For tests and simple
     * loops; the data plane waits in io_uring instead. Receive thread only.
     */
    public boolean awaitReadable(int timeoutMs) throws ErrnoException {
        checkOpen("poll");
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
        pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        return Libc.poll(pollFd, 1, timeoutMs) > 0;
    }

    /** Whether the kernel refused GSO on this socket and sends are split into single datagrams. */
    public boolean gsoRefused() {
        return gsoRefused;
    }

    /** How many times this socket switched to the GSO fallback (0 or 1: the switch is permanent). */
    public long gsoFallbacks() {
        return gsoFallbacks;
    }

    /** Slots sent split into single datagrams because of the fallback. */
    public long splitSlots() {
        return splitter.splitSlots();
    }

    /** Segments of split slots dropped because the socket buffer filled part-way through a slot. */
    public long droppedSegments() {
        return splitter.droppedSegments();
    }

    /** Forces the fallback without a kernel refusal, so tests can exercise the split path on any route. */
    void refuseGsoForTest() {
        gsoRefused = true;
    }

    /** Closes the descriptor and frees the socket's memory; later calls fail with {@code EBADF}. Idempotent. */
    @Override
    public void close() throws ErrnoException {
        int old = fd;
        if (old < 0) {
            return;
        }
        // -1, not the old number: a stale call must not reach whatever socket reuses that number.
        fd = -1;
        arena.close();
        Libc.close(old);
    }

    @Override
    public String toString() {
        return name + (protocol == IPPROTO_UDP ? "" : " proto " + protocol);
    }

    /** The split path and poll use the socket's arena, gone after close: fail as the kernel would. */
    private void checkOpen(String call) throws ErrnoException {
        if (fd < 0) {
            throw new ErrnoException(call + "(" + name + ", closed)", Errno.EBADF);
        }
    }

    /** {@code 192.0.2.1:4500} or {@code [2001:db8::1]:4500}, without InetSocketAddress's leading slash. */
    static String describe(InetSocketAddress address) {
        if (address.getAddress() == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static boolean usesGso(MessageBatch batch, int slot) {
        int gso = batch.segmentSize(slot);
        return gso > 0 && batch.length(slot) > gso;
    }

    private void checkFamily(SockAddr sa, InetSocketAddress address) {
        if (sa.family() != family) {
            throw new IllegalArgumentException(address + " is not an address of " + name
                    + (family == Sockets.AF_INET6 ? " (IPv6-only: open an INET socket for IPv4)" : ""));
        }
    }

    private void setBuffer(int forced, int normal, int bytes, String what) throws ErrnoException {
        try {
            setInt(Sockets.SOL_SOCKET, forced, bytes, what + "FORCE " + bytes);
        } catch (ErrnoException e) {
            if (!e.is(Errno.EPERM)) {
                throw e;
            }
            setInt(Sockets.SOL_SOCKET, normal, bytes, what + " " + bytes);
        }
    }

    private void setInt(int level, int option, int value, String what) throws ErrnoException {
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment v = setup.allocate(ValueLayout.JAVA_INT);
            v.set(ValueLayout.JAVA_INT, 0, value);
            Sockets.setsockopt(fd, level, option, v, 4, what + " on " + name);
        }
    }

    private int getInt(int level, int option, String what) throws ErrnoException {
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment v = setup.allocate(ValueLayout.JAVA_INT);
            MemorySegment len = setup.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 4);
            Sockets.getsockopt(fd, level, option, v, len, what + " on " + name);
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }
}
