package net.ipop.control.ipc;

import org.agrona.concurrent.IdleStrategy;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;

/**
 * Waits for the CommandResult of one command by polling the event subscription, for the CLI and the control
 * plane's slow paths (blocking; not for an agent's duty cycle). Events that are not that result, including
 * the results of other commands, go to the caller's listener so nothing is lost while waiting.
 *
 * <p>Threading: one thread; it owns the polling of the subscription while waiting.
 */
public final class ReplyWaiter {
    private static final int FRAGMENT_LIMIT = 16;

    private final Subscription events;
    private final IdleStrategy idle;
    private final FragmentAssembler assembler;
    private EventListener others;
    private long awaited;
    private Reply reply;

    public ReplyWaiter(Subscription events, IdleStrategy idle) {
        this.events = events;
        this.idle = idle;
        this.assembler = new FragmentAssembler(new EventAdapter(new Matcher()));
    }

    /**
     * Polls until the CommandResult of {@code correlationId} arrives or {@code timeoutNanos} pass.
     *
     * @param others receives every other event meanwhile (e.g. the PeerStates of a QueryState); may be null
     * @return the reply, or null on timeout
     */
    public Reply await(long correlationId, long timeoutNanos, EventListener others) {
        this.others = others;
        this.awaited = correlationId;
        this.reply = null;
        long deadline = System.nanoTime() + timeoutNanos;
        idle.reset();
        try {
            while (reply == null && System.nanoTime() - deadline < 0) {
                idle.idle(events.poll(assembler, FRAGMENT_LIMIT));
            }
            return reply;
        } finally {
            this.others = null;
        }
    }

    /** Routes events: the awaited result is kept, everything else is passed on. */
    private final class Matcher implements EventListener {
        @Override
        public void onCommandResult(CommandResultDecoder event) {
            if (reply == null && event.correlationId() == awaited) {
                reply = new Reply(event.correlationId(), event.result(), event.detail());
            } else if (others != null) {
                others.onCommandResult(event);
            }
        }

        @Override
        public void onPuntedPacket(PuntedPacketDecoder event) {
            if (others != null) {
                others.onPuntedPacket(event);
            }
        }

        @Override
        public void onSessionEvent(SessionEventDecoder event) {
            if (others != null) {
                others.onSessionEvent(event);
            }
        }

        @Override
        public void onPeerState(PeerStateDecoder event) {
            if (others != null) {
                others.onPeerState(event);
            }
        }

        @Override
        public void onStateDone(StateDoneDecoder event) {
            if (others != null) {
                others.onStateDone(event);
            }
        }
    }
}
