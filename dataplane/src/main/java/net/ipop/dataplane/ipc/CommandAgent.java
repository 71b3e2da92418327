package net.ipop.dataplane.ipc;

import org.agrona.concurrent.Agent;

import io.aeron.FragmentAssembler;
import io.aeron.Subscription;

/**
 * The duty cycle that reads commands: each {@link #doWork()} polls the command subscription for at most
 * {@code fragmentLimit} fragments and dispatches whole messages to the {@link CommandListener}. Never blocks;
 * the idle strategy of whatever runs it ({@link org.agrona.concurrent.AgentRunner} or a composite agent)
 * decides how to wait.
 *
 * <p>Does not own the subscription: whoever created it closes it, after the agent has stopped.
 */
public final class CommandAgent implements Agent {
    /** Fragments per duty cycle unless told otherwise: commands are rare, but a burst should not starve others. */
    public static final int DEFAULT_FRAGMENT_LIMIT = 16;

    private final Subscription commands;
    private final CommandAdapter adapter;
    private final FragmentAssembler assembler;
    private final int fragmentLimit;

    public CommandAgent(Subscription commands, CommandListener listener, int fragmentLimit) {
        if (fragmentLimit < 1) {
            throw new IllegalArgumentException("fragmentLimit must be positive: " + fragmentLimit);
        }
        this.commands = commands;
        this.adapter = new CommandAdapter(listener);
        // Reassembles commands longer than the IPC MTU (InjectPacket); unfragmented ones pass straight through.
        this.assembler = new FragmentAssembler(adapter);
        this.fragmentLimit = fragmentLimit;
    }

    public CommandAgent(Subscription commands, CommandListener listener) {
        this(commands, listener, DEFAULT_FRAGMENT_LIMIT);
    }

    @Override
    public int doWork() {
        return commands.poll(assembler, fragmentLimit);
    }

    @Override
    public String roleName() {
        return "ipop-commands";
    }

    /** The adapter, for its counters. */
    public CommandAdapter adapter() {
        return adapter;
    }
}
