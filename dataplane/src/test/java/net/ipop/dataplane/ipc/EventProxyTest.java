package net.ipop.dataplane.ipc;

import net.ipop.ffm.testing.ShmDirectory;

import net.ipop.ipc.IpcStreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.SessionEventKind;

/** The embedded driver's directory, and the event proxy under no reader, a stalled reader and steady load. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventProxyTest {
    private static final byte[] SOURCE = {(byte) 192, 0, 2, 7};

    @Test
    void theDriverDirectoryIsOwnerOnlyRefusesASecondDriverAndIsGoneAfterClose() throws Exception {
        int processMask = Umask.set(0022);
        Umask.set(processMask);
        try (ShmDirectory dir = new ShmDirectory("drv")) {
            try (DataPlaneDriver driver = DataPlaneDriver.launch(dir.path)) {
                int maskAfterLaunch = Umask.set(processMask);
                assertEquals(processMask, maskAfterLaunch, "the launch did not restore the umask");
                assertEquals(dir.path.toAbsolutePath(), driver.directory());
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path)));
                assertEquals("rw-------", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(dir.path.resolve("cnc.dat"))));
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> DataPlaneDriver.launch(dir.path).close());
                assertEquals("a data plane is already running at " + dir.path, e.getMessage());
            }
            assertFalse(Files.exists(dir.path), "driver directory left behind");
        }
    }

    @Test
    void withNoReaderEventsAreNotDeliveredAndCounted() {
        try (ShmDirectory dir = new ShmDirectory("noreader");
                DataPlaneDriver driver = DataPlaneDriver.launch(dir.path);
                Publication events = driver.addEventPublication()) {
            EventProxy proxy = new EventProxy(events);
            UnsafeBuffer payload = new UnsafeBuffer(new byte[64]);
            assertFalse(proxy.puntedPacket(1, AddressFamily.IPV4, new UnsafeBuffer(SOURCE), 0, 51820, 51821,
                    payload, 0, 64));
            assertEquals(1, proxy.notDelivered());
            assertEquals(Publication.NOT_CONNECTED, proxy.lastFailure());
        }
    }

    @Test
    void aStalledReaderMakesOffersFailAfterTheBoundedRetryWithoutBlocking() {
        try (ShmDirectory dir = new ShmDirectory("stall");
                DataPlaneDriver driver = DataPlaneDriver.launch(dir.path);
                Publication events = driver.addEventPublication();
                Subscription neverPolled = driver.aeron().addSubscription(IpcStreams.CHANNEL,
                        IpcStreams.EVENT_STREAM_ID)) {
            awaitConnected(events);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (neverPolled.imageCount() == 0) {
                assertTrue(System.nanoTime() - deadline < 0, "the reader never saw the publication");
                Thread.onSpinWait();
            }
            EventProxy proxy = new EventProxy(events, 5);
            UnsafeBuffer payload = new UnsafeBuffer(new byte[60_000]);
            UnsafeBuffer source = new UnsafeBuffer(SOURCE);
            int delivered = 0;
            long start = System.nanoTime();
            // The IPC window is one term (1 MiB): about 17 of these fit before the reader must move.
            while (proxy.puntedPacket(1, AddressFamily.IPV4, source, 0, 51820, 51821, payload, 0, 60_000)) {
                delivered++;
                assertTrue(delivered < 1000, "offers never failed with nobody polling");
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(delivered >= 8, "only " + delivered + " delivered before back pressure");
            assertEquals(1, proxy.notDelivered());
            assertEquals(Publication.BACK_PRESSURED, proxy.lastFailure());
            // Small events still fit in what is left of the window, then fail the same way.
            int small = 0;
            while (proxy.sessionEvent(1, 2, SessionEventKind.EXPIRED)) {
                small++;
                assertTrue(small < 60_000 / 32, "small events never failed");
            }
            assertEquals(2, proxy.notDelivered());
            assertEquals(Publication.BACK_PRESSURED, proxy.lastFailure());
            assertTrue(elapsedMs < 5_000, "offering took " + elapsedMs + " ms");
        }
    }

    @Test
    void puntedPacketAllocatesNothingInSteadyState() {
        try (ShmDirectory dir = new ShmDirectory("alloc");
                DataPlaneDriver driver = DataPlaneDriver.launch(dir.path);
                Publication events = driver.addEventPublication();
                Subscription reader = driver.aeron().addSubscription(IpcStreams.CHANNEL, IpcStreams.EVENT_STREAM_ID)) {
            awaitConnected(events);
            EventProxy proxy = new EventProxy(events);
            UnsafeBuffer payload = new UnsafeBuffer(new byte[200]);
            UnsafeBuffer source = new UnsafeBuffer(SOURCE);
            Sum sum = new Sum();
            // The publisher's limit moves only when the driver's (parking) thread runs, so a burst can meet back
            // pressure even with a keen reader: resend until delivered; failed offers must not allocate either.
            for (int i = 0; i < 20_000; i++) { // warm-up
                while (!proxy.puntedPacket(i, AddressFamily.IPV4, source, 0, 51820, 51821, payload, 0, 200)) {
                    reader.poll(sum, 10);
                }
                reader.poll(sum, 10);
            }
            long before = Allocations.ofCurrentThread();
            for (int i = 0; i < 50_000; i++) {
                while (!proxy.puntedPacket(i, AddressFamily.IPV4, source, 0, 51820, 51821, payload, 0, 200)) {
                    reader.poll(sum, 10);
                }
                reader.poll(sum, 10);
            }
            long allocated = Allocations.ofCurrentThread() - before;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (sum.count < 70_000 && System.nanoTime() - deadline < 0) {
                reader.poll(sum, 100);
            }
            assertEquals(70_000, sum.count);
            // One object per event would be >= 16 bytes each (800 KB); JIT and Aeron bookkeeping leave a few KB.
            assertTrue(allocated < 50_000, "puntedPacket allocated " + allocated + " bytes for 50000 events");
        }
    }

    static void awaitConnected(Publication publication) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!publication.isConnected()) {
            assertTrue(System.nanoTime() - deadline < 0, "publication never connected");
            Thread.onSpinWait();
        }
    }

    /** Checks each event is a punted packet from 51820, without allocating. */
    private static final class Sum implements FragmentHandler {
        private final MessageHeaderDecoder header = new MessageHeaderDecoder();
        private final PuntedPacketDecoder punted = new PuntedPacketDecoder();
        long count;

        @Override
        public void onFragment(org.agrona.DirectBuffer buffer, int offset, int length, io.aeron.logbuffer.Header h) {
            header.wrap(buffer, offset);
            punted.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
            if (punted.source().port() == 51820 && punted.payloadLength() == 200) {
                count++;
            }
        }
    }
}
