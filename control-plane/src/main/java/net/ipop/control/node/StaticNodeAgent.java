package net.ipop.control.node;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import org.agrona.concurrent.Agent;

import net.ipop.control.ipc.DataPlaneConnection;

/**
 * A {@link StaticNode} over a live {@link DataPlaneConnection}, as an Agrona agent: each duty cycle
 * polls the data plane's events into the node, then runs the node's timers. Run it on one thread
 * (an {@code AgentRunner} with a sleeping or back-off idle strategy; the timers need no better than
 * millisecond resolution). {@link #onStart()} pushes the node's state to the data plane (or, for a node built with
 * {@link StaticNode#adopting}, takes over the state the data plane already holds).
 */
public final class StaticNodeAgent implements Agent {
    /** Event fragments polled per duty cycle. */
    static final int FRAGMENT_LIMIT = 16;

    private final DataPlaneConnection connection;
    private final StaticNode node;
    private final NodeEvents events;
    private final Queue<Consumer<StaticNode>> tasks = new ConcurrentLinkedQueue<>();

    /** {@code node} must talk through an {@link AeronDataPlanePort} over {@code connection.commands()}. */
    public StaticNodeAgent(DataPlaneConnection connection, StaticNode node) {
        this.connection = connection;
        this.node = node;
        this.events = new NodeEvents(node);
    }

    @Override
    public void onStart() {
        // Tasks submitted before the thread started (the metrics hooks) must see the start's handshakes.
        runTasks();
        node.start();
    }

    @Override
    public int doWork() {
        return runTasks() + connection.pollEvents(events, FRAGMENT_LIMIT) + node.doWork();
    }

    private int runTasks() {
        int work = 0;
        for (Consumer<StaticNode> t = tasks.poll(); t != null; t = tasks.poll()) {
            t.accept(node);
            work++;
        }
        return work;
    }

    /** Runs {@code task} on the node's thread at its next duty cycle (reloads, metrics hooks). Any thread. */
    public void submit(Consumer<StaticNode> task) {
        tasks.add(task);
    }

    @Override
    public String roleName() {
        return "ipop-static-node";
    }
}
