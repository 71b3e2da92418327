package net.ipop.dataplane.session;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketOpener;
import net.ipop.crypto.aead.PacketSealer;
import net.ipop.crypto.aead.SendCounter;

/**
 * One installed key pair of a peer: the sealer for what we send, the opener for what we receive,
 * and the two indices that name the session on the wire ({@code localIndex} is what the peer puts
 * in the receiver field of the messages it sends us; {@code remoteIndex} is what we put in ours).
 *
 * <p>Threading: sealing is per pipeline. A session has one {@link PacketSealer} per pipeline
 * ({@link #sealer(int)}, built with that pipeline's {@link AeadScratch}, so each thread has its own
 * cipher context); they share one {@link SendCounter}, from which a pipeline reserves a batch's
 * counters with one atomic update, so no nonce repeats whichever TUN queue a flow lands on. Opening
 * is done by the one receiving pipeline, the owner of {@code receiveScratch}: the replay window is
 * not shared between threads. The conductor may read the immutable fields from any thread and
 * retires ({@link #close()}) a session only after every pipeline has moved to a snapshot without it.
 */
public final class Session implements AutoCloseable {
    private final int localIndex;
    private final int remoteIndex;
    private final Suite suite;
    private final PacketSealer[] sealers;
    private final PacketOpener opener;
    private final AeadScratch owner;
    private final long createdNanos;
    private final SessionSignals signals = new SessionSignals();
    /** Set before the session is published, never after: see {@link #awaitingConfirmation()}. */
    private boolean awaitsConfirmation;
    /** Set before the session is published, never after: see {@link #announcing()}. */
    private boolean announces;

    /**
     * @param sendKey 32-byte key we seal with; copied, the caller wipes its array
     * @param receiveKey 32-byte key we open with; copied, the caller wipes its array
     * @param scratch the owning pipeline's scratch (the only pipeline: receives and seals)
     * @param createdNanos {@link System#nanoTime()} when the keys were derived, for rekey timers
     */
    public Session(int localIndex, int remoteIndex, Suite suite, byte[] sendKey, byte[] receiveKey,
                   AeadScratch scratch, long createdNanos) {
        this(localIndex, remoteIndex, suite, sendKey, receiveKey, scratch, new AeadScratch[] {scratch}, createdNanos);
    }

    /**
     * A session for several pipelines.
     *
     * @param receiveScratch the receiving pipeline's scratch (the opener's)
     * @param sealScratches per pipeline, in queue order, the scratch its sealer is built with
     */
    public Session(int localIndex, int remoteIndex, Suite suite, byte[] sendKey, byte[] receiveKey,
                   AeadScratch receiveScratch, AeadScratch[] sealScratches, long createdNanos) {
        if (sealScratches.length < 1) {
            throw new IllegalArgumentException("a session needs at least one sealing pipeline");
        }
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.suite = suite;
        SendCounter counter = new SendCounter();
        this.sealers = new PacketSealer[sealScratches.length];
        for (int i = 0; i < sealers.length; i++) {
            sealers[i] = new PacketSealer(suite, sendKey, remoteIndex, sealScratches[i], counter);
        }
        // The inbound path drops every message that fails, so the opener may decrypt where it lies.
        this.opener = PacketOpener.decryptingInPlace(suite, receiveKey, localIndex, receiveScratch);
        this.owner = receiveScratch;
        this.createdNanos = createdNanos;
    }

    public int localIndex() {
        return localIndex;
    }

    public int remoteIndex() {
        return remoteIndex;
    }

    public Suite suite() {
        return suite;
    }

    /** Pipeline 0's sealer; its thread only. */
    public PacketSealer sealer() {
        return sealers[0];
    }

    /** The sealer of pipeline {@code queue} (below {@link #sealers()}); that pipeline's thread only. */
    public PacketSealer sealer(int queue) {
        return sealers[queue];
    }

    /** Pipelines this session has sealers for. */
    public int sealers() {
        return sealers.length;
    }

    /** Owning pipeline thread only. */
    public PacketOpener opener() {
        return opener;
    }

    /**
     * Whether the pipeline whose scratch this is owns the session: the receiving pipeline, which opens with it
     * and is the one that seals with {@link #sealer()} (keepalives, forwarded packets, ICMP errors).
     */
    public boolean ownedBy(AeadScratch scratch) {
        return owner == scratch;
    }

    public long createdNanos() {
        return createdNanos;
    }

    /**
     * Marks a session this side answered (the handshake's responder): the initiator may not hold the keys yet (the
     * response is still on its way, or in its control plane), so {@link Peer#sender(long)} keeps sending on the
     * previous session until a packet authenticates under this one (or a grace period ends). Call before the session is published.
     *
     * @return this
     */
    public Session awaitingConfirmation() {
        awaitsConfirmation = true;
        return this;
    }

    /**
     * Marks a session this side initiated: unless data goes under it first, the pipeline sends the peer a keepalive
     * under it at once ({@link #announcementDue()}), which confirms the session at the responder, as WireGuard's
     * initiator does. The responder keeps sending on its previous session until then. Call before the session is
     * published.
     *
     * @return this
     */
    public Session announcing() {
        announces = true;
        return this;
    }

    /**
     * Whether the session is one we initiated and nothing has been sealed under it yet, so a keepalive should
     * tell the peer we hold it. Any thread (the send counter is shared); no allocation.
     */
    public boolean announcementDue() {
        return announces && sealers[0].nextCounter() == 0;
    }

    /** Whether the peer is known to hold this session's keys: we initiated it, or it has sent under it. Any thread. */
    public boolean confirmed() {
        return !awaitsConfirmation || signals.received();
    }

    /** What the owning pipeline reports about this session to the conductor. */
    public SessionSignals signals() {
        return signals;
    }

    /** Wipes both keys; later seals and opens return {@code RETIRED}. Idempotent. */
    @Override
    public void close() {
        for (PacketSealer s : sealers) {
            s.close();
        }
        opener.close();
    }
}
