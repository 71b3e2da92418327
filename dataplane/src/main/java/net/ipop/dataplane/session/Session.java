package net.ipop.dataplane.session;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.PacketOpener;
import net.ipop.crypto.aead.PacketSealer;

/**
 * One installed key pair of a peer: the sealer for what we send, the opener for what we receive,
 * and the two indices that name the session on the wire ({@code localIndex} is what the peer puts
 * in the receiver field of the messages it sends us; {@code remoteIndex} is what we put in ours).
 *
 * <p>Threading: a session is owned by exactly one pipeline thread, the one whose
 * {@link AeadScratch} it was built with; only that thread seals and opens with it. The sealer's
 * counter is a plain field, so two threads sealing with one session would reuse nonces. The
 * conductor therefore assigns each peer to one pipeline and builds the peer's sessions with that
 * pipeline's scratch; running one peer on several queues needs per-queue counter ranges in the
 * sealer (not available in the crypto module yet). The conductor may read the immutable fields from
 * any thread and retires ({@link #close()}) a session only after every pipeline has moved to a
 * snapshot without it.
 */
public final class Session implements AutoCloseable {
    private final int localIndex;
    private final int remoteIndex;
    private final Suite suite;
    private final PacketSealer sealer;
    private final PacketOpener opener;
    private final AeadScratch owner;
    private final long createdNanos;
    private final SessionSignals signals = new SessionSignals();

    /**
     * @param sendKey 32-byte key we seal with; copied, the caller wipes its array
     * @param receiveKey 32-byte key we open with; copied, the caller wipes its array
     * @param scratch the owning pipeline's scratch
     * @param createdNanos {@link System#nanoTime()} when the keys were derived, for rekey timers
     */
    public Session(int localIndex, int remoteIndex, Suite suite, byte[] sendKey, byte[] receiveKey,
                   AeadScratch scratch, long createdNanos) {
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.suite = suite;
        this.sealer = new PacketSealer(suite, sendKey, remoteIndex, scratch);
        this.opener = new PacketOpener(suite, receiveKey, localIndex, scratch);
        this.owner = scratch;
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

    /** Owning pipeline thread only. */
    public PacketSealer sealer() {
        return sealer;
    }

    /** Owning pipeline thread only. */
    public PacketOpener opener() {
        return opener;
    }

    /** Whether the pipeline whose scratch this is owns the session (may seal and open with it). */
    public boolean ownedBy(AeadScratch scratch) {
        return owner == scratch;
    }

    public long createdNanos() {
        return createdNanos;
    }

    /** What the owning pipeline reports about this session to the conductor. */
    public SessionSignals signals() {
        return signals;
    }

    /** Wipes both keys; later seals and opens return {@code RETIRED}. Idempotent. */
    @Override
    public void close() {
        sealer.close();
        opener.close();
    }
}
