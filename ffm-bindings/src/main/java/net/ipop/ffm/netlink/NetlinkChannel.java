package net.ipop.ffm.netlink;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import net.ipop.ffm.libc.Errno;
import net.ipop.ffm.libc.ErrnoException;
import net.ipop.ffm.libc.Libc;
import net.ipop.ffm.libc.Sockets;

/**
 * A NETLINK_ROUTE socket and the request/acknowledge protocol over it: send one request, read
 * replies until the kernel's ack ({@code NLMSG_ERROR} with code 0), its error, or the
 * {@code NLMSG_DONE} ending a multipart dump.
 *
 * <p>The socket belongs to the network namespace of the thread that {@linkplain #open opened} it
 * and stays there whichever thread uses it later. Not thread-safe: one owner at a time. All
 * buffers come from the arena passed to {@link #open}, which must outlive this channel.
 */
final class NetlinkChannel implements AutoCloseable {
    /** How long to wait for the kernel's reply before giving up; the kernel answers in microseconds. */
    static final int REPLY_TIMEOUT_MS = 5_000;
    /**
     * The kernel sizes dump datagrams by the largest read buffer it has seen, capped at 32 KiB;
     * 64 KiB also holds a single large RTM_GETLINK reply.
     */
    static final int REPLY_BUFFER_SIZE = 64 * 1024;
    /** Dumps interrupted by a concurrent change are restarted this often before giving up. */
    static final int DUMP_ATTEMPTS = 3;

    // struct sockaddr_nl of <linux/netlink.h>.
    private static final int NL_FAMILY_OFFSET = 0;  // __kernel_sa_family_t nl_family
    private static final int NL_PID_OFFSET = 4;     // __u32 nl_pid: 0 is the kernel
    private static final int SOCKADDR_NL_SIZE = 12;
    // struct pollfd of <poll.h>.
    private static final int POLL_FD_OFFSET = 0;
    private static final int POLL_EVENTS_OFFSET = 4;
    private static final int POLLFD_SIZE = 8;
    /** recvfrom flag: return the datagram's real length even if it did not fit. */
    private static final int MSG_TRUNC = 0x20;

    /** Receives the messages of one reply; offsets are into the shared reply buffer, valid only during the call. */
    @FunctionalInterface
    interface ReplySink {
        void accept(MemorySegment reply, long message, int length, int type);
    }

    /** For requests whose only answer is the ack. */
    static final ReplySink IGNORE = (reply, message, length, type) -> { };

    private final int fd;
    private final MemorySegment reply;
    private final MemorySegment kernel;
    private final MemorySegment source;
    private final MemorySegment sourceLength;
    private final MemorySegment pollFd;
    private final NlMsgHdr header = new NlMsgHdr();
    private final RtAttr attr = new RtAttr();
    private int seq;

    private NetlinkChannel(int fd, Arena arena) {
        this.fd = fd;
        this.reply = arena.allocate(REPLY_BUFFER_SIZE, 8);
        this.kernel = arena.allocate(SOCKADDR_NL_SIZE, 4);
        this.source = arena.allocate(SOCKADDR_NL_SIZE, 4);
        this.sourceLength = arena.allocate(4, 4);
        this.pollFd = arena.allocate(POLLFD_SIZE, 4);
        kernel.set(JAVA_SHORT_UNALIGNED, NL_FAMILY_OFFSET, (short) Sockets.AF_NETLINK);
        pollFd.set(JAVA_INT_UNALIGNED, POLL_FD_OFFSET, fd);
        pollFd.set(JAVA_SHORT_UNALIGNED, POLL_EVENTS_OFFSET, Libc.POLLIN);
    }

    /** Opens and binds a NETLINK_ROUTE socket in the calling thread's network namespace. */
    static NetlinkChannel open(Arena arena) throws ErrnoException {
        int fd = Sockets.socket(Sockets.AF_NETLINK,
                Sockets.SOCK_RAW | Sockets.SOCK_CLOEXEC | Sockets.SOCK_NONBLOCK, NlMsgHdr.NETLINK_ROUTE);
        try {
            try (Arena setup = Arena.ofConfined()) {
                MemorySegment one = setup.allocate(4, 4);
                one.set(JAVA_INT_UNALIGNED, 0, 1);
                // Errors then carry the kernel's explanation, and only the header of our request comes back.
                Sockets.setsockopt(fd, NlMsgHdr.SOL_NETLINK, NlMsgHdr.NETLINK_EXT_ACK, one, 4, "NETLINK_EXT_ACK");
                Sockets.setsockopt(fd, NlMsgHdr.SOL_NETLINK, NlMsgHdr.NETLINK_CAP_ACK, one, 4, "NETLINK_CAP_ACK");
                // Port id 0 asks the kernel to assign a unique one.
                MemorySegment local = setup.allocate(SOCKADDR_NL_SIZE, 4);
                local.set(JAVA_SHORT_UNALIGNED, NL_FAMILY_OFFSET, (short) Sockets.AF_NETLINK);
                Sockets.bind(fd, local, SOCKADDR_NL_SIZE, "netlink route socket");
            }
            return new NetlinkChannel(fd, arena);
        } catch (ErrnoException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** The sequence number for the next request; replies are matched to requests by it. */
    int nextSeq() {
        return ++seq;
    }

    /**
     * Sends {@code request[0, length)} and reads until the kernel has answered it. Data messages
     * carrying the request's sequence number go to {@code sink}; messages of earlier requests
     * (late acks of dumps) are skipped.
     *
     * @param what the operation and object, e.g. "rtnetlink add address 192.0.2.1/24 on ipop0",
     *             which starts the message of any exception
     * @return false if a dump was interrupted by a concurrent change (its content may be
     *         inconsistent and should be fetched again), true otherwise
     * @throws ErrnoException with the kernel's (negated) error code when it rejects the request,
     *         {@code ETIMEDOUT} when it does not answer within {@link #REPLY_TIMEOUT_MS}, {@code EIO}
     *         for a malformed reply
     */
    boolean exchange(MemorySegment request, int length, String what, ReplySink sink) throws ErrnoException {
        int expected = header.wrap(request, 0).seq();
        int sent = Sockets.sendto(fd, request, length, 0, kernel, SOCKADDR_NL_SIZE);
        if (sent != length) {
            // Netlink requests are processed inside sendto; a short or would-block send means no request.
            throw new ErrnoException(what + ": request not sent", sent == Libc.WOULD_BLOCK ? Errno.EAGAIN : Errno.EIO);
        }
        boolean consistent = true;
        long deadline = System.nanoTime() + REPLY_TIMEOUT_MS * 1_000_000L;
        while (true) {
            int n = receive(what, deadline);
            for (long at = 0; at + NlMsgHdr.SIZE <= n; ) {
                header.wrap(reply, at);
                int len = header.length();
                if (len < NlMsgHdr.SIZE || at + len > n) {
                    throw new ErrnoException(what + ": malformed netlink reply", Errno.EIO);
                }
                if (header.seq() == expected) {
                    int type = header.type();
                    if ((header.flags() & NlMsgHdr.NLM_F_DUMP_INTR) != 0) {
                        consistent = false;
                    }
                    if (type == NlMsgHdr.NLMSG_ERROR) {
                        checkCode(what, at, len, header.flags());
                        return consistent;
                    }
                    if (type == NlMsgHdr.NLMSG_DONE) {
                        checkCode(what, at, len, header.flags());
                        return consistent;
                    }
                    if (type != NlMsgHdr.NLMSG_NOOP && type != NlMsgHdr.NLMSG_OVERRUN) {
                        sink.accept(reply, at, len, type);
                    }
                }
                at += NlMsgHdr.align(len);
            }
        }
    }

    /** Reads one datagram from the kernel into {@link #reply}, waiting until {@code deadline}. */
    private int receive(String what, long deadline) throws ErrnoException {
        while (true) {
            sourceLength.set(JAVA_INT_UNALIGNED, 0, SOCKADDR_NL_SIZE);
            int n = Sockets.recvfrom(fd, reply, reply.byteSize(), MSG_TRUNC, source, sourceLength);
            if (n == Libc.WOULD_BLOCK) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0) {
                    throw new ErrnoException(what + ": no reply from the kernel within "
                            + REPLY_TIMEOUT_MS + " ms", Errno.ETIMEDOUT);
                }
                Libc.poll(pollFd, 1, (int) leftMs);
                continue;
            }
            if (n > reply.byteSize()) {
                throw new ErrnoException(what + ": reply of " + n + " bytes exceeds the "
                        + reply.byteSize() + "-byte buffer", Errno.EMSGSIZE);
            }
            // Only the kernel may answer; another process knowing our port id could otherwise forge acks.
            if (source.get(JAVA_INT_UNALIGNED, NL_PID_OFFSET) == 0) {
                return n;
            }
        }
    }

    /**
     * Throws if the {@code int} after the header of an NLMSG_ERROR or NLMSG_DONE is negative
     * (a negated errno). An NLMSG_ERROR with code 0 is the ack.
     */
    private void checkCode(String what, long message, int length, int flags) throws ErrnoException {
        if (length < NlMsgHdr.ERROR_CODE_OFFSET + 4) {
            return;
        }
        int code = reply.get(JAVA_INT_UNALIGNED, message + NlMsgHdr.ERROR_CODE_OFFSET);
        if (code >= 0) {
            return;
        }
        String detail = header.type() == NlMsgHdr.NLMSG_ERROR ? extendedAck(message, length, flags) : null;
        throw new ErrnoException(detail == null ? what : what + " (kernel: " + detail + ")", -code);
    }

    /** The NLMSGERR_ATTR_MSG text after an error's echoed request, or null if the kernel sent none. */
    private String extendedAck(long message, int length, int flags) {
        if ((flags & NlMsgHdr.NLM_F_ACK_TLVS) == 0 || length < NlMsgHdr.ERROR_REQUEST_OFFSET + NlMsgHdr.SIZE) {
            return null;
        }
        long echoed = message + NlMsgHdr.ERROR_REQUEST_OFFSET;
        int echoedLength = (flags & NlMsgHdr.NLM_F_CAPPED) != 0
                ? NlMsgHdr.SIZE : new NlMsgHdr().wrap(reply, echoed).length();
        attr.wrap(reply, echoed + NlMsgHdr.align(echoedLength), message + length);
        while (attr.next()) {
            if (attr.type() == NlMsgHdr.NLMSGERR_ATTR_MSG) {
                return attr.string();
            }
        }
        return null;
    }

    /** After a dump {@link #exchange} called inconsistent: throws {@code EBUSY} once attempts are used up. */
    static void checkDumpAttempt(int attempt, String what) throws ErrnoException {
        if (attempt >= DUMP_ATTEMPTS) {
            throw new ErrnoException(what + ": the table kept changing during " + DUMP_ATTEMPTS + " dumps",
                    Errno.EBUSY);
        }
    }

    @Override
    public void close() throws ErrnoException {
        Libc.close(fd);
    }
}
