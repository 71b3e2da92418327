package net.ipop.control.ipc;

import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;

import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;

/** Writes every event it gets down as text, copying out of the borrowed decoders. */
final class RecordingEvents implements EventListener {
    final List<String> events = new ArrayList<>();

    @Override
    public void onCommandResult(CommandResultDecoder event) {
        events.add("CommandResult " + event.correlationId() + " " + event.result() + " " + event.detail());
    }

    @Override
    public void onPuntedPacket(PuntedPacketDecoder event) {
        long at = event.receivedAtNanos();
        String source = Describe.endpoint(event.source());
        int localPort = event.localPort();
        UnsafeBuffer payload = new UnsafeBuffer(new byte[0]);
        event.wrapPayload(payload);
        events.add("PuntedPacket at " + at + " from " + source + " to " + localPort + " payload "
                + Describe.payload(payload, 0, payload.capacity()));
    }

    @Override
    public void onSessionEvent(SessionEventDecoder event) {
        events.add("SessionEvent " + event.peerId() + " local " + event.localIndex() + " " + event.kind());
    }

    @Override
    public void onPeerState(PeerStateDecoder event) {
        events.add("PeerState " + event.correlationId() + " peer " + event.peerId() + " " + Describe.endpoint(event.endpoint())
                + " " + event.path() + " session " + event.currentLocalIndex() + " since " + event.sessionCreatedAtNanos()
                + " tx " + event.txBytes() + "/" + event.txPackets() + " rx " + event.rxBytes() + "/" + event.rxPackets()
                + " last " + event.lastReceiveNanos());
    }

    @Override
    public void onStateDone(StateDoneDecoder event) {
        events.add("StateDone " + event.correlationId() + " peers " + event.peers());
    }

    @Override
    public void onTrafficReport(net.ipop.ipc.sbe.TrafficReportDecoder event) {
        events.add("TrafficReport " + event.family() + " " + event.address(0) + "." + event.address(1) + "."
                + event.address(2) + "." + event.address(3) + "/" + event.prefixLength() + " via " + event.peerId()
                + " " + event.bytes() + " bytes in " + event.intervalMs() + " ms");
    }
}
