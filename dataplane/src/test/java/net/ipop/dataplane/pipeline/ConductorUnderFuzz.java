package net.ipop.dataplane.pipeline;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.SystemEpochClock;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.conductor.Conductor;
import net.ipop.dataplane.conductor.DataPath;
import net.ipop.dataplane.ipc.CommandAdapter;
import net.ipop.dataplane.ipc.DataPlaneDriver;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.ffm.netlink.IpPrefix;
import net.ipop.ipc.IpcStreams;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.MessageHeaderDecoder;

/**
 * The real {@link Conductor} behind a {@link CommandAdapter}, answering over a real embedded Aeron
 * driver (in a uniquely named directory under {@code /dev/shm}, removed by {@link #close}), with a
 * data path that accepts everything and touches no kernel object. For the {@code commands} fuzz
 * target: a command must be skipped by the adapter or answered with a CommandResult.
 *
 * <p>Not thread-safe: the fuzzing thread only.
 */
final class ConductorUnderFuzz implements AutoCloseable {
    private final Path shm;
    private final Path countersFile;
    private final DataPlaneDriver driver;
    private final Subscription events;
    private final CountersFileWriter counters;
    private final Conductor conductor;
    private final CommandAdapter adapter;
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final FragmentHandler countResults = this::onEvent;
    private long results;

    ConductorUnderFuzz() throws IOException, InterruptedException {
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        String tag = HexFormat.of().formatHex(random);
        shm = Path.of("/dev/shm", "ipopt-fuzz-" + tag);
        countersFile = Files.createTempFile("ipopt-fuzz-" + tag, ".counters");
        Files.delete(countersFile);
        driver = DataPlaneDriver.launch(shm);
        Publication publication = driver.addEventPublication();
        events = driver.aeron().addSubscription(IpcStreams.CHANNEL, IpcStreams.EVENT_STREAM_ID);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!publication.isConnected()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the event publication never connected");
            }
            Thread.sleep(1);
        }
        counters = CountersFileWriter.create(countersFile, 1, 8, SystemEpochClock.INSTANCE);
        CachedNanoClock clock = new CachedNanoClock();
        clock.update(1_000_000_000L);
        conductor = new Conductor(new AcceptingDataPath(), new PeerTableHolder(), counters, new EventProxy(publication),
                clock, 8, ConductorUnderFuzz::discard);
        adapter = new CommandAdapter(conductor);
    }

    /**
     * Hands one message to the adapter; if it was dispatched, waits (up to 10 s) for the conductor's
     * CommandResult.
     *
     * @return whether the message was skipped, or answered; false if it was dispatched and never answered
     */
    boolean command(DirectBuffer buffer, int offset, int length) {
        long dispatched = adapter.dispatched();
        adapter.onFragment(buffer, offset, length, null);
        if (adapter.dispatched() == dispatched) {
            return true;
        }
        long expected = results + 1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (results < expected && System.nanoTime() - deadline < 0) {
            events.poll(countResults, 64);
        }
        return results >= expected;
    }

    private static void discard(String logLine) {
        // Millions of refused commands would fill the test output; the answers are what is checked.
    }

    private void onEvent(DirectBuffer buffer, int offset, int length, io.aeron.logbuffer.Header aeronHeader) {
        if (header.wrap(buffer, offset).templateId() == CommandResultDecoder.TEMPLATE_ID) {
            results++;
        }
    }

    @Override
    public void close() throws IOException {
        conductor.onClose();
        counters.close();
        driver.close();
        Files.deleteIfExists(countersFile);
        if (Files.exists(shm)) {
            try (Stream<Path> walk = Files.walk(shm)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Accepts every request and remembers nothing: the conductor's own checks are what is fuzzed. */
    private static final class AcceptingDataPath implements DataPath {
        private final AeadScratch scratch = new AeadScratch();
        private boolean configured;

        @Override
        public void configure(int mtu, List<IpPrefix> addresses) {
            configured = true;
        }

        @Override
        public void addRoute(IpPrefix prefix) {
            // No kernel here: accepted, as a working kernel route table would.
        }

        @Override
        public void removeRoute(IpPrefix prefix) {
            // As addRoute.
        }

        @Override
        public boolean configured() {
            return configured;
        }

        @Override
        public AeadScratch scratch(int peerSlot) {
            return scratch;
        }

        @Override
        public void inject(InetSocketAddress to, DirectBuffer payload, int offset, int length) {
            // No socket here: the conductor's checks before this call are what is fuzzed.
        }

        @Override
        public void close() {
            scratch.wipe();
        }
    }
}
