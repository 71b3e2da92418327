package net.ipop.control.status;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Where the node publishes its {@link NodeSnapshot} and the status server reads it: one reference, swapped whole.
 * The node thread is the single writer; {@link #accept} is a release store that never blocks, so a slow or stuck
 * status client can never hold up the node. Any thread may {@link #current()}.
 */
public final class StatusBoard implements Consumer<NodeSnapshot> {
    private final AtomicReference<NodeSnapshot> current = new AtomicReference<>();

    /** Publishes {@code snapshot} (node thread). */
    @Override
    public void accept(NodeSnapshot snapshot) {
        current.setRelease(snapshot);
    }

    /** The last published snapshot, or {@code null} before the node published one. */
    public NodeSnapshot current() {
        return current.getAcquire();
    }
}
