package net.ipop.control.ice;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The TURN allocations of one {@link IceMux} (one local socket): at most one per server, shared by every ICE
 * session on the mux ({@link SharedAllocation}), made by the first gathering that needs it and kept up by one
 * maintenance thread, which starts with the first allocation and ends with {@link #close}.
 *
 * <p>An Allocate refused with 437 (the 5-tuple still holds an allocation no live session here owns: a dead
 * control plane's) frees that one ({@link TurnRelease}) and allocates again. Before an allocation made more than
 * {@link #VERIFY_AFTER_NANOS} ago is handed to a new session it is refreshed, so that one the server lost (a
 * restarted server) is replaced instead of shared.
 *
 * <p>Threading: {@link #acquire} blocks (on a gathering thread); {@link #received} runs on the transport's
 * receiving thread and never blocks; {@link #close} never blocks.
 */
final class SharedRelays implements AutoCloseable {
    private static final Logger LOG = System.getLogger(SharedRelays.class.getName());
    /** How often the maintenance thread looks at the allocations (bindings wait at most this long once asked). */
    private static final long MAINTAIN_MS = 1000;
    /** An allocation confirmed longer ago than this is refreshed before another session shares it. */
    static final long VERIFY_AFTER_NANOS = 5_000_000_000L;

    private final IceMux mux;
    private final Map<InetSocketAddress, SharedAllocation> byServer = new HashMap<>();
    /** Serialises the making of allocations (one Allocate per server at a time). */
    private final Object allocating = new Object();
    private ScheduledExecutorService maintainer;
    private boolean closed;

    SharedRelays(IceMux mux) {
        this.mux = mux;
    }

    /**
     * A share of the allocation on {@code server} for the agent whose local ufrag is {@code ufrag}, making the
     * allocation if there is none (or the one there has ended). Blocks for the exchanges.
     *
     * @throws IOException if the server refuses or does not answer
     */
    SharedAllocation.User acquire(IceConfig.TurnServer server, String ufrag) throws IOException {
        try {
            synchronized (allocating) {
                for (int attempt = 0; attempt < 2; attempt++) {
                    SharedAllocation a = current(server.address());
                    if (a == null || !a.verify(VERIFY_AFTER_NANOS)) {
                        a = allocate(server);
                    }
                    SharedAllocation.User u = a.acquire(ufrag);
                    if (u != null) {
                        return u;
                    }
                }
                throw new IOException("the TURN allocation on " + server.address() + " ended while being shared");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while allocating on " + server.address());
        }
    }

    private synchronized SharedAllocation current(InetSocketAddress server) {
        SharedAllocation a = byServer.get(server);
        return a == null || a.ended() ? null : a;
    }

    private SharedAllocation allocate(IceConfig.TurnServer server) throws IOException, InterruptedException {
        synchronized (this) {
            if (closed) {
                throw new IOException("the ICE transport is closed");
            }
        }
        InetSocketAddress host = HostAddresses.sameFamily(mux.transport().hostAddresses(), server.address());
        TurnLink link = new TurnLink() {
            @Override
            public byte[] exchange(byte[] request, long timeoutMs) throws IOException, InterruptedException {
                return TurnRelease.exchange(mux, host, server.address(), request,
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
            }

            @Override
            public void send(byte[] datagram) throws IOException {
                mux.transport().send(host, server.address(), datagram, 0, datagram.length);
            }
        };
        SharedAllocation a;
        try {
            a = SharedAllocation.allocate(server, host, link, System::nanoTime, this::wake);
        } catch (SharedAllocation.RefusedException e) {
            if (e.code != TurnRefresh.ALLOCATION_MISMATCH || current(server.address()) != null) {
                throw e;
            }
            LOG.log(Level.INFO, "TURN server {0} holds an allocation on this 5-tuple that no session here owns:"
                    + " freeing it, allocating again", server.address());
            TurnRelease.releaseAll(mux, List.of(server));
            a = SharedAllocation.allocate(server, host, link, System::nanoTime, this::wake);
        }
        synchronized (this) {
            if (closed) {
                a.endNow();
                throw new IOException("the ICE transport is closed");
            }
            byServer.put(server.address(), a);
            if (maintainer == null) {
                maintainer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "turn-allocations");
                    t.setDaemon(true);
                    return t;
                });
                maintainer.scheduleWithFixedDelay(this::maintain, MAINTAIN_MS, MAINTAIN_MS, TimeUnit.MILLISECONDS);
            }
        }
        return a;
    }

    /** Runs the upkeep soon (a peer waits for its channel). */
    private void wake() {
        ScheduledExecutorService m;
        synchronized (this) {
            m = maintainer;
        }
        if (m != null) {
            try {
                m.execute(this::maintain);
            } catch (RejectedExecutionException e) {
                // Closing.
            }
        }
    }

    private void maintain() {
        List<SharedAllocation> all;
        synchronized (this) {
            all = new ArrayList<>(byServer.values());
        }
        for (SharedAllocation a : all) {
            try {
                if (!a.maintain()) {
                    synchronized (this) {
                        byServer.remove(a.server().address(), a);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "TURN allocation upkeep failed", e);
            }
        }
    }

    /**
     * A datagram {@code source} sent to the shared socket: if it is data an allocation's server relays (ChannelData,
     * a Data indication), it goes to the session it is for and this returns true. The bytes are borrowed.
     */
    boolean received(InetSocketAddress source, byte[] b, int off, int len) {
        SharedAllocation a;
        synchronized (this) {
            a = byServer.get(source);
        }
        return a != null && a.received(b, off, len);
    }

    /** The allocation on {@code server}, if one is live (tests). */
    synchronized SharedAllocation allocation(InetSocketAddress server) {
        return current(server);
    }

    /** Ends every allocation (a Refresh with lifetime 0 each, not awaited) and the maintenance thread. */
    @Override
    public void close() {
        List<SharedAllocation> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(byServer.values());
            byServer.clear();
            if (maintainer != null) {
                maintainer.shutdownNow();
            }
        }
        for (SharedAllocation a : all) {
            a.endNow();
        }
    }
}
