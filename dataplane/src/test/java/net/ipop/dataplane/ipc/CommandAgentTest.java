package net.ipop.dataplane.ipc;

import net.ipop.ffm.testing.ShmDirectory;

import net.ipop.ipc.IpcStreams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.aeron.Publication;
import io.aeron.Subscription;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InjectPacketEncoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemovePeerEncoder;

/** The agent's duty cycle, driven by hand: a fragment limit per doWork, work counts, reassembled commands. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CommandAgentTest {
    @Test
    void doWorkPollsAtMostTheFragmentLimitAndReassemblesLongCommands() {
        try (ShmDirectory dir = new ShmDirectory("agent");
                DataPlaneDriver driver = DataPlaneDriver.launch(dir.path);
                Subscription commands = driver.addCommandSubscription();
                Publication publication = driver.aeron().addPublication(IpcStreams.CHANNEL,
                        IpcStreams.COMMAND_STREAM_ID)) {
            EventProxyTest.awaitConnected(publication);
            // The subscription's image arrives through the client conductor, a little after the publication connects.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (commands.imageCount() == 0) {
                assertTrue(System.nanoTime() - deadline < 0, "the subscription never saw the publication");
                Thread.onSpinWait();
            }
            Counting listener = new Counting();
            CommandAgent agent = new CommandAgent(commands, listener, 2);
            assertEquals("ipop-commands", agent.roleName());
            assertEquals(0, agent.doWork());

            UnsafeBuffer buffer = new UnsafeBuffer(new byte[8192]);
            MessageHeaderEncoder header = new MessageHeaderEncoder();
            RemovePeerEncoder removePeer = new RemovePeerEncoder();
            for (int i = 1; i <= 5; i++) {
                removePeer.wrapAndApplyHeader(buffer, 0, header).correlationId(i).peerId(i);
                assertTrue(publication.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + removePeer.encodedLength()) > 0);
            }
            InjectPacketEncoder inject = new InjectPacketEncoder().wrapAndApplyHeader(buffer, 0, header);
            inject.correlationId(6).putPayload(new UnsafeBuffer(new byte[4000]), 0, 4000);
            int injectLength = MessageHeaderEncoder.ENCODED_LENGTH + inject.encodedLength();
            assertTrue(injectLength > publication.maxPayloadLength(), "not fragmented: " + injectLength);
            assertTrue(publication.offer(buffer, 0, injectLength) > 0);

            assertEquals(2, agent.doWork());
            assertEquals(2, agent.doWork());
            assertEquals(4, listener.removed);
            int more = 0;
            for (int i = 0; i < 10; i++) {
                more += agent.doWork();
            }
            assertEquals(5, listener.removed);
            assertEquals(15, listener.peerIdSum);
            assertEquals(1, listener.injected);
            assertEquals(4000, listener.injectedLength);
            assertTrue(more >= 2, "fragments of the long command were not counted as work: " + more);
            assertEquals(6, agent.adapter().dispatched());
            assertEquals(0, agent.adapter().skipped());
        }
    }

    @Test
    void aFragmentLimitBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CommandAgent(null, new Counting(), 0));
    }

    private static final class Counting extends NoCommands {
        int removed;
        long peerIdSum;
        int injected;
        int injectedLength;

        @Override
        public void onRemovePeer(RemovePeerDecoder command) {
            removed++;
            peerIdSum += command.peerId();
        }

        @Override
        public void onInjectPacket(InjectPacketDecoder command) {
            injected++;
            injectedLength = command.payloadLength();
        }
    }
}
