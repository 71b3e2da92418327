package net.ipop.control.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import org.agrona.concurrent.Agent;

import net.ipop.control.ipc.CommandProxy;
import net.ipop.control.ipc.DataPlaneConnection;

/**
 * A {@link StaticNode} over a live {@link DataPlaneConnection}, as an Agrona agent: each duty cycle
 * polls the data plane's events into the node, then runs the node's timers. Run it on one thread
 * (an {@code AgentRunner} with a sleeping or back-off idle strategy; the timers need no better than
 * millisecond resolution). {@link #onStart()} pushes the node's state to the data plane (or, for a node built with
 * {@link StaticNode#adopting}, takes over the state the data plane already holds).
 *
 * <p>A start whose commands were not all delivered (the proxy waited out back pressure for its whole budget) is not
 * left half done: the state is pushed again every {@link #REPUSH_INTERVAL_NANOS} until one push is delivered
 * whole. The agent also keeps the node's endpoints in step with the data plane's ({@link EndpointTracker}).
 */
public final class StaticNodeAgent implements Agent {
    /** Event fragments polled per duty cycle. */
    static final int FRAGMENT_LIMIT = 16;
    /** Pause between pushes of a state whose last push was incomplete. */
    static final long REPUSH_INTERVAL_NANOS = 1_000_000_000L;

    private static final Logger LOG = System.getLogger(StaticNodeAgent.class.getName());

    private final DataPlaneConnection connection;
    private final StaticNode node;
    private final NodeEvents events;
    private final EndpointTracker endpoints;
    private final Queue<Consumer<StaticNode>> tasks = new ConcurrentLinkedQueue<>();
    /** The last push lost commands: push again at {@link #repushAtNanos}. */
    private boolean pushIncomplete;
    private long repushAtNanos;
    private int pushes;

    /** {@code node} must talk through an {@link AeronDataPlanePort} over {@code connection.commands()}. */
    public StaticNodeAgent(DataPlaneConnection connection, StaticNode node) {
        this.connection = connection;
        this.node = node;
        this.events = new NodeEvents(node);
        this.endpoints = new EndpointTracker(node);
        events.trackEndpoints(endpoints);
    }

    @Override
    public void onStart() {
        // Tasks submitted before the thread started (the metrics hooks) must see the start's handshakes.
        runTasks();
        CommandProxy commands = connection.commands();
        long lost = commands.notDelivered();
        node.start();
        pushes = 1;
        checkPush(commands.notDelivered() - lost);
    }

    @Override
    public int doWork() {
        int work = runTasks() + connection.pollEvents(events, FRAGMENT_LIMIT) + node.doWork();
        long now = System.nanoTime();
        if (pushIncomplete && now - repushAtNanos >= 0) {
            CommandProxy commands = connection.commands();
            long lost = commands.notDelivered();
            node.repush();
            pushes++;
            checkPush(commands.notDelivered() - lost);
            work++;
        }
        return work + endpoints.poll(now, connection.commands());
    }

    /** After a push that lost {@code lost} commands: done, or schedule another. */
    private void checkPush(long lost) {
        if (lost == 0) {
            if (pushIncomplete) {
                LOG.log(Level.INFO, "the state push to the data plane was delivered whole (push {0})", pushes);
            }
            pushIncomplete = false;
            return;
        }
        pushIncomplete = true;
        repushAtNanos = System.nanoTime() + REPUSH_INTERVAL_NANOS;
        LOG.log(Level.WARNING, "{0} command(s) of the state push to the data plane were not delivered (push {1});"
                + " pushing the state again in {2} ms", lost, pushes, REPUSH_INTERVAL_NANOS / 1_000_000);
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
