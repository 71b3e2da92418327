package net.ipop.control.ipc;

import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;
import net.ipop.ipc.sbe.TrafficReportDecoder;

/**
 * What the control plane does with each event from the data plane; called by {@link EventAdapter}.
 *
 * <p>Buffer ownership: every decoder is a flyweight <em>borrowed</em> for the duration of the call only (it
 * points into Aeron's term or reassembly buffer and is rewrapped for the next message); copy out what must
 * outlive the call. Var-length fields must be read in schema order. Called on the polling thread.
 */
public interface EventListener {
    void onCommandResult(CommandResultDecoder event);

    void onPuntedPacket(PuntedPacketDecoder event);

    void onSessionEvent(SessionEventDecoder event);

    void onPeerState(PeerStateDecoder event);

    void onStateDone(StateDoneDecoder event);

    /**
     * A route's traffic crossed the threshold SetTrafficReport set (schema version 3; for on-demand links). The
     * default ignores it: only a node with a topology manager asks for these.
     */
    default void onTrafficReport(TrafficReportDecoder event) {
    }
}
