package net.ipop.control.ice;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Frees a TURN allocation a previous control plane left on the server for the shared transport's 5-tuple
 * (it was SIGKILLed, or its data plane was, and never sent its own Refresh with lifetime 0). The server
 * refuses a new Allocate from that 5-tuple until the old allocation expires (437 Allocation Mismatch, RFC
 * 8656 section 7.2), so without this a restarted node gathers no relayed candidate for up to ten minutes.
 *
 * <p>The release is an authenticated Refresh with LIFETIME 0 (RFC 8656 section 7.2) sent from the shared
 * socket through {@link IceMux#transport()} (on a node: injected into the data plane's socket, the answer
 * punted back), the long-term credential obtained the usual way: the first request goes unauthenticated,
 * the 401 answer brings REALM and NONCE, the request is repeated with USERNAME, REALM, NONCE and
 * MESSAGE-INTEGRITY; a 438 (stale nonce) is repeated with the new nonce. A 437 means the server has no
 * allocation on the 5-tuple. After a success the release waits {@link #SETTLE_MS}: the server deletes the
 * allocation a moment after granting the Refresh and refuses an Allocate until then. Released or absent,
 * the 5-tuple is then free; anything else, or no answer, is logged
 * and gathering goes on regardless (it may then lack its relayed candidate, as before).
 *
 * <p>Threading: blocks the calling thread for up to the given timeout per server; never call it on the
 * thread that flushes or receives the transport (a node's duty-cycle thread), or no answer can arrive.
 */
public final class TurnRelease {
    private static final Logger LOG = System.getLogger(TurnRelease.class.getName());
    /** How long the whole exchange with one server may take. */
    static final long TIMEOUT_MS = 2000;
    /** Retransmission interval of one request (RFC 8489 suggests 500 ms RTO; a LAN-near server answers fast). */
    private static final long RETRANSMIT_MS = 250;
    /** Requests in one exchange: unauthenticated, authenticated, and a repeat or two after 438. */
    private static final int MAX_REQUESTS = 4;
    /** How long the server may take to delete an allocation after granting its Refresh with lifetime 0. */
    static final long SETTLE_MS = 1200;

    /** How one exchange ended. */
    enum Outcome {
        /** The server freed an allocation on this 5-tuple. */
        RELEASED,
        /** The server had no allocation on this 5-tuple (437). */
        NO_ALLOCATION,
        /** The server answered with another error (wrong credentials, ...). */
        REFUSED,
        /** No answer within the timeout. */
        NO_ANSWER;

        /** Whether a new Allocate from the 5-tuple can now succeed. */
        boolean free() {
            return this == RELEASED || this == NO_ALLOCATION;
        }
    }

    private TurnRelease() {
    }

    /**
     * Releases any allocation on every server of {@code servers}, once per {@code mux}: the first caller
     * does it (blocking up to {@link #TIMEOUT_MS} plus {@link #SETTLE_MS} per server), concurrent callers
     * wait for it, later callers return at once.
     */
    static void beforeFirstGathering(IceMux mux, List<IceConfig.TurnServer> servers) {
        synchronized (mux.releaseLock()) {
            if (mux.released()) {
                return;
            }
            releaseAll(mux, servers);
            mux.released(true);
        }
    }

    /** Releases any allocation on every server; blocks up to {@link #TIMEOUT_MS} + {@link #SETTLE_MS} each. */
    static void releaseAll(IceMux mux, List<IceConfig.TurnServer> servers) {
        for (IceConfig.TurnServer server : servers) {
            long start = System.nanoTime();
            Outcome o;
            try {
                o = release(mux, server, TIMEOUT_MS);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot send a TURN Refresh to {0}: {1}", server.address(), e.getMessage());
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Level level = o.free() ? Level.INFO : Level.WARNING;
            LOG.log(level, "TURN Refresh with lifetime 0 on {0}: {1} in {2} ms", server.address(), o,
                    Long.toString(ms));
        }
    }

    /**
     * One Refresh exchange with {@code server} from {@code mux}'s transport.
     *
     * @throws IOException if the transport refuses to send
     */
    static Outcome release(IceMux mux, IceConfig.TurnServer server, long timeoutMs)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        InetSocketAddress to = server.address();
        InetSocketAddress from = HostAddresses.sameFamily(mux.transport().hostAddresses(), to);
        TurnRefresh.Credential credential = null;
        for (int n = 0; n < MAX_REQUESTS; n++) {
            byte[] request = TurnRefresh.request(0, credential);
            byte[] answer = exchange(mux, from, to, request, deadline);
            if (answer == null) {
                return Outcome.NO_ANSWER;
            }
            int type = StunPackets.type(answer, 0);
            if (type == TurnRefresh.REFRESH_SUCCESS) {
                // The server deletes the allocation only a moment later (coturn: on a timer tick) and refuses an
                // Allocate until then. Asking again would not tell: each Refresh with lifetime 0 restarts that
                // timer (seen with coturn 4.6), so wait instead.
                Thread.sleep(SETTLE_MS);
                return Outcome.RELEASED;
            }
            if (type != TurnRefresh.REFRESH_ERROR) {
                return Outcome.REFUSED;
            }
            int code = TurnRefresh.errorCode(answer, 0, answer.length);
            if (code == TurnRefresh.ALLOCATION_MISMATCH) {
                return Outcome.NO_ALLOCATION;
            }
            byte[] nonce = TurnRefresh.attributeValue(answer, 0, answer.length, TurnRefresh.ATTR_NONCE);
            byte[] realm = TurnRefresh.attributeValue(answer, 0, answer.length, TurnRefresh.ATTR_REALM);
            boolean retry = (code == TurnRefresh.UNAUTHENTICATED && credential == null)
                    || code == TurnRefresh.STALE_NONCE;
            if (!retry || nonce == null || (realm == null && credential == null)) {
                LOG.log(Level.WARNING, "TURN Refresh on {0} refused with {1}", to, Integer.toString(code));
                return Outcome.REFUSED;
            }
            credential = TurnRefresh.Credential.of(server.username(), server.password(),
                    realm != null ? realm : credential.realm(), nonce);
        }
        return Outcome.REFUSED;
    }

    /** Sends {@code request} (again every {@link #RETRANSMIT_MS}) until its answer arrives or the deadline. */
    static byte[] exchange(IceMux mux, InetSocketAddress from, InetSocketAddress to, byte[] request,
                                   long deadline) throws IOException, InterruptedException {
        BlockingQueue<byte[]> answers = new ArrayBlockingQueue<>(1);
        StunPackets.TransactionKey key = StunPackets.transaction(request, 0);
        mux.expect(key, (local, source, b, off, len) -> {
            byte[] copy = new byte[len];
            System.arraycopy(b, off, copy, 0, len);
            answers.offer(copy);
        });
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                mux.transport().send(from, to, request, 0, request.length);
                byte[] answer = answers.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(RETRANSMIT_MS)),
                        TimeUnit.NANOSECONDS);
                if (answer != null) {
                    return answer;
                }
            }
        } finally {
            mux.forget(key);
        }
    }
}
