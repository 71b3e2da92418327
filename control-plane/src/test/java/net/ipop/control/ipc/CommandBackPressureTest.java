package net.ipop.control.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import net.ipop.dataplane.ipc.DataPlaneDriver;
import net.ipop.ffm.testing.ShmDirectory;

/**
 * A data plane that reads its commands late (just started, or descheduled on a busy machine) must not lose
 * them: the proxy waits out back pressure within its budget, and says so when the budget runs out.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CommandBackPressureTest {
    /** Far more than the IPC term window (half of {@link DataPlaneDriver#IPC_TERM_LENGTH}). */
    private static final int COMMANDS = 40;
    private static final byte[] PAYLOAD = new byte[60_000];

    @Test
    void commandsSentWhileTheReaderIsLateAreAllDeliveredOnceItReads() throws Exception {
        try (ShmDirectory dir = new ShmDirectory("bp");
             DataPlaneDriver driver = DataPlaneDriver.launch(dir.path)) {
            Subscription commands = driver.addCommandSubscription();
            try (DataPlaneConnection connection = DataPlaneConnection.connect(dir.path, Duration.ofSeconds(10))) {
                AtomicInteger received = new AtomicInteger();
                CountDownLatch startReading = new CountDownLatch(1);
                FragmentHandler counter = new FragmentAssembler((buffer, offset, length, header) ->
                        received.incrementAndGet());
                Thread reader = Thread.ofPlatform().start(() -> {
                    try {
                        startReading.await();
                        Thread.sleep(300); // the sender is now back-pressured
                        while (received.get() < COMMANDS && !Thread.currentThread().isInterrupted()) {
                            if (commands.poll(counter, 10) == 0) {
                                Thread.sleep(1);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                try {
                    InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("192.0.2.9"), 3478);
                    UnsafeBuffer payload = new UnsafeBuffer(PAYLOAD);
                    startReading.countDown();
                    for (int i = 0; i < COMMANDS; i++) {
                        long id = connection.commands().injectPacket(to, payload, 0, PAYLOAD.length);
                        assertNotEquals(CommandProxy.NOT_SENT, id, "command " + i + " not delivered: "
                                + connection.commands().lastFailure());
                    }
                    reader.join(TimeUnit.SECONDS.toMillis(30));
                } finally {
                    reader.interrupt();
                    reader.join();
                }
                assertEquals(COMMANDS, received.get());
                assertEquals(0, connection.commands().notDelivered());
            }
        }
    }

    @Test
    void aReaderThatNeverReadsGetsNotSentWithBackPressureAsTheReason() throws Exception {
        try (ShmDirectory dir = new ShmDirectory("bp");
             DataPlaneDriver driver = DataPlaneDriver.launch(dir.path)) {
            driver.addCommandSubscription(); // subscribed, never polled
            try (DataPlaneConnection connection = DataPlaneConnection.connect(dir.path, Duration.ofSeconds(10))) {
                InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("192.0.2.9"), 3478);
                UnsafeBuffer payload = new UnsafeBuffer(PAYLOAD);
                long last = 0;
                int sent = 0;
                while (last != CommandProxy.NOT_SENT && sent < 100) {
                    last = connection.commands().injectPacket(to, payload, 0, PAYLOAD.length);
                    sent++;
                }
                assertEquals(CommandProxy.NOT_SENT, last, "the window never filled");
                assertEquals(Publication.BACK_PRESSURED, connection.commands().lastFailure());
                assertEquals(1, connection.commands().notDelivered());
                // The budget was spent on that one: the next fails without another wait, and is counted too.
                assertEquals(CommandProxy.NOT_SENT, connection.commands().injectPacket(to, payload, 0, PAYLOAD.length));
                assertEquals(2, connection.commands().notDelivered());
            }
        }
    }
}
