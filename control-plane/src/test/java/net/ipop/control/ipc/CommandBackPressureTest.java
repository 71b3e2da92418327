package net.ipop.control.ipc;

import net.ipop.ffm.testing.ShmDirectory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.aeron.Publication;
import io.aeron.Subscription;
import net.ipop.dataplane.ipc.DataPlaneDriver;

/** A data plane that subscribes but never polls: commands fail after the bounded retry, counted, without hanging. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CommandBackPressureTest {
    @Test
    void aStalledDataPlaneMakesCommandsFailCountedAndCallsSaySo() throws Exception {
        try (ShmDirectory dir = new ShmDirectory("cmdbp");
                DataPlaneDriver driver = DataPlaneDriver.launch(dir.path);
                Subscription neverPolled = driver.addCommandSubscription();
                DataPlaneConnection connection = DataPlaneConnection.connect(dir.path, Duration.ofSeconds(5))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (neverPolled.imageCount() == 0) {
                assertTrue(System.nanoTime() - deadline < 0, "the data plane never saw the command publication");
                Thread.onSpinWait();
            }
            CommandProxy proxy = connection.commands();
            UnsafeBuffer payload = new UnsafeBuffer(new byte[60_000]);
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 3478);
            int sent = 0;
            long start = System.nanoTime();
            while (proxy.injectPacket(to, payload, 0, 60_000) != CommandProxy.NOT_SENT) {
                sent++;
                assertTrue(sent < 1000, "commands never failed with nobody polling");
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(sent >= 8, "only " + sent + " sent before back pressure");
            assertEquals(1, proxy.notDelivered());
            assertEquals(Publication.BACK_PRESSURED, proxy.lastFailure());
            assertTrue(elapsedMs < 5_000, "sending took " + elapsedMs + " ms");

            DataPlaneUnavailableException e = assertThrows(DataPlaneUnavailableException.class,
                    () -> connection.call(p -> p.injectPacket(to, payload, 0, 60_000), Duration.ofSeconds(1)));
            assertEquals("could not send a command to the data plane at " + dir.path
                    + ": the data plane is not keeping up (back pressure)", e.getMessage());
            assertEquals(2, proxy.notDelivered());
        }
    }
}
