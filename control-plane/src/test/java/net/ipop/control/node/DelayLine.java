package net.ipop.control.node;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.ToLongBiFunction;

/**
 * A network with latency between fake data planes, for what a loaded host does to handshakes: each packet a
 * node injects is delivered {@link #delay} nanoseconds later (per packet: sending port and bytes), or lost when
 * {@link #loss} says so. Unlike {@link FakeLink} time passes while packets are in flight, so initiations cross
 * and responses arrive after retransmissions. {@link #run} moves the {@link FakeClock} in fixed steps and, at
 * each, delivers what is due (in send order) and runs every node's duty cycle once.
 */
final class DelayLine {
    private record Packet(long dueNanos, InetSocketAddress source, InetSocketAddress to, byte[] bytes) {
    }

    private final FakeClock clock;
    private final Map<FakePort, StaticNode> nodes = new LinkedHashMap<>();
    private final List<Packet> inFlight = new ArrayList<>();
    ToLongBiFunction<FakePort, byte[]> delay = (port, bytes) -> 0;
    BiPredicate<FakePort, byte[]> loss = (port, bytes) -> false;
    int delivered;
    int lost;

    DelayLine(FakeClock clock) {
        this.clock = clock;
    }

    void attach(FakePort port, StaticNode node) {
        nodes.put(port, node);
        port.wire = (to, bytes) -> {
            if (loss.test(port, bytes)) {
                lost++;
            } else {
                inFlight.add(new Packet(clock.nanoTime() + delay.applyAsLong(port, bytes), port.address, to, bytes));
            }
        };
    }

    /** Lets {@code nanos} pass in steps of {@code step}. */
    void run(long nanos, long step) {
        for (long t = 0; t < nanos; t += step) {
            clock.advance(Math.min(step, nanos - t));
            deliverDue();
            for (StaticNode n : nodes.values()) {
                n.doWork();
            }
        }
    }

    private void deliverDue() {
        for (int i = 0; i < inFlight.size(); ) {
            Packet p = inFlight.get(i);
            if (p.dueNanos - clock.nanoTime() > 0) {
                i++;
                continue;
            }
            inFlight.remove(i);
            for (Map.Entry<FakePort, StaticNode> e : nodes.entrySet()) {
                if (e.getKey().address.equals(p.to)) {
                    delivered++;
                    e.getValue().onPunted(p.source, p.bytes, 0, p.bytes.length);
                }
            }
        }
    }
}
