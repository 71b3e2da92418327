package net.ipop.control.ipc;

import net.ipop.ipc.MessageFrames;

import org.agrona.DirectBuffer;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;
import net.ipop.ipc.sbe.TrafficReportDecoder;

/**
 * Decodes whole event messages and hands them to an {@link EventListener}.
 *
 * <p>Routed by the header's template id, read with its block length and version (so a newer data plane's
 * longer blocks are skipped past). Another schema, an unknown template, a truncated message or one whose
 * variable-length field would end past it is skipped and counted in {@link #skipped()}, so a listener never
 * reads outside the message. Expects whole messages: poll through a {@link io.aeron.FragmentAssembler}, as a
 * punted packet may span several fragments. Not thread-safe: one polling thread. No allocation per message.
 */
public final class EventAdapter implements FragmentHandler {
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final CommandResultDecoder commandResult = new CommandResultDecoder();
    private final PuntedPacketDecoder puntedPacket = new PuntedPacketDecoder();
    private final SessionEventDecoder sessionEvent = new SessionEventDecoder();
    private final PeerStateDecoder peerState = new PeerStateDecoder();
    private final StateDoneDecoder stateDone = new StateDoneDecoder();
    private final TrafficReportDecoder trafficReport = new TrafficReportDecoder();
    private final EventListener listener;
    private long skipped;

    public EventAdapter(EventListener listener) {
        this.listener = listener;
    }

    @Override
    public void onFragment(DirectBuffer buffer, int offset, int length, Header aeronHeader) {
        if (!MessageFrames.wrapValid(header, buffer, offset, length)) {
            skipped++;
            return;
        }
        int blockLength = header.blockLength();
        int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        int version = header.version();
        int end = offset + length;
        switch (header.templateId()) {
            case CommandResultDecoder.TEMPLATE_ID -> {
                commandResult.wrap(buffer, body, blockLength, version);
                if (MessageFrames.varDataFits(buffer, commandResult.limit(), end)) {
                    listener.onCommandResult(commandResult);
                } else {
                    skipped++;
                }
            }
            case PuntedPacketDecoder.TEMPLATE_ID -> {
                puntedPacket.wrap(buffer, body, blockLength, version);
                if (MessageFrames.varDataFits(buffer, puntedPacket.limit(), end)) {
                    listener.onPuntedPacket(puntedPacket);
                } else {
                    skipped++;
                }
            }
            case SessionEventDecoder.TEMPLATE_ID ->
                    listener.onSessionEvent(sessionEvent.wrap(buffer, body, blockLength, version));
            case PeerStateDecoder.TEMPLATE_ID -> listener.onPeerState(peerState.wrap(buffer, body, blockLength, version));
            case StateDoneDecoder.TEMPLATE_ID -> listener.onStateDone(stateDone.wrap(buffer, body, blockLength, version));
            case TrafficReportDecoder.TEMPLATE_ID ->
                    listener.onTrafficReport(trafficReport.wrap(buffer, body, blockLength, version));
            default -> skipped++;
        }
    }

    /** Messages skipped so far: another schema, an unknown template, or truncated. */
    public long skipped() {
        return skipped;
    }
}
