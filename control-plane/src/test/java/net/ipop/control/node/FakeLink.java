package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * A network between fake data planes: a packet injected at one port is punted to the node whose port
 * has the destination address, with the sender's current address as source. A loss rule decides per
 * packet (sending port, bytes) whether it is lost. Delivery happens in {@link #pump}, never inside
 * {@code inject}, so a node is not re-entered.
 */
final class FakeLink {
    private record Packet(FakePort from, InetSocketAddress source, InetSocketAddress to, byte[] bytes) {
    }

    private final Map<FakePort, StaticNode> nodes = new HashMap<>();
    private final ArrayDeque<Packet> queue = new ArrayDeque<>();
    final FakeClock clock;
    BiPredicate<FakePort, byte[]> loss = (port, bytes) -> false;
    int lost;
    int undeliverable;

    FakeLink(FakeClock clock) {
        this.clock = clock;
    }

    void attach(FakePort port, StaticNode node) {
        port.link = this;
        nodes.put(port, node);
    }

    void send(FakePort from, InetSocketAddress to, byte[] bytes, int off, int len) {
        queue.add(new Packet(from, from.address, to, Arrays.copyOfRange(bytes, off, off + len)));
    }

    /** Delivers queued packets and runs every node's duty cycle until nothing more happens. */
    void pump() {
        for (int round = 0; round < 1000; round++) {
            int work = 0;
            Packet p;
            while ((p = queue.poll()) != null) {
                work++;
                if (loss.test(p.from, p.bytes)) {
                    lost++;
                    continue;
                }
                StaticNode target = null;
                for (Map.Entry<FakePort, StaticNode> e : nodes.entrySet()) {
                    if (e.getKey().address.equals(p.to)) {
                        target = e.getValue();
                    }
                }
                if (target == null) {
                    undeliverable++;
                } else {
                    target.onPunted(p.source, p.bytes, 0, p.bytes.length);
                }
            }
            for (StaticNode n : nodes.values()) {
                work += n.doWork();
            }
            if (work == 0 && queue.isEmpty()) {
                return;
            }
        }
        throw new AssertionError("the nodes never settle");
    }

    /** Lets {@code nanos} of fake time pass in steps of {@code step}, pumping after each. */
    void run(long nanos, long step) {
        for (long t = 0; t < nanos; t += step) {
            clock.advance(Math.min(step, nanos - t));
            pump();
        }
    }
}
