package net.ipop.control.overlay;

import org.agrona.concurrent.Agent;

import net.ipop.control.ipc.DataPlaneConnection;

/**
 * An {@link OverlayNode} over a live {@link DataPlaneConnection}, as an Agrona agent: each duty cycle polls the
 * data plane's events (ICE's punts to ICE, handshakes to the handshakes), then runs the node (its inbox,
 * signalling, ICE's queued sends, timers). {@link #onStart()} pushes the static state and joins the rooms;
 * {@link #onClose()} leaves them and frees the ICE sessions. Run it on one thread with a sleeping idle strategy.
 */
public final class OverlayAgent implements Agent {
    static final int FRAGMENT_LIMIT = 16;

    private final DataPlaneConnection connection;
    private final OverlayNode node;
    private final OverlayEvents events;

    /** {@code node} must talk through an {@code AeronDataPlanePort} over {@code connection.commands()}. */
    public OverlayAgent(DataPlaneConnection connection, OverlayNode node) {
        this.connection = connection;
        this.node = node;
        this.events = new OverlayEvents(node);
    }

    @Override
    public void onStart() {
        node.start();
    }

    @Override
    public int doWork() {
        return connection.pollEvents(events, FRAGMENT_LIMIT) + node.doWork();
    }

    @Override
    public void onClose() {
        node.close();
    }

    @Override
    public String roleName() {
        return "ipop-overlay-node";
    }
}
