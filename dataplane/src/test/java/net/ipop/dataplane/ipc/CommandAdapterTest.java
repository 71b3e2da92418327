package net.ipop.dataplane.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddPeerEncoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemovePeerEncoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.Suite;

/** Dispatch by template, skipping what is not ours, reading newer versions, without allocating. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CommandAdapterTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final Recorder recorder = new Recorder();
    private final CommandAdapter adapter = new CommandAdapter(recorder);

    @Test
    void unknownTemplateOtherSchemaAndTruncatedMessagesAreSkippedAndCounted() {
        int length = removePeer(7);
        header.wrap(buffer, 0).templateId(999);
        adapter.onFragment(buffer, 0, length, null);

        length = removePeer(7);
        header.wrap(buffer, 0).schemaId(4242);
        adapter.onFragment(buffer, 0, length, null);

        length = removePeer(7);
        adapter.onFragment(buffer, 0, length - 1, null);
        adapter.onFragment(buffer, 0, 5, null);

        assertEquals(4, adapter.skipped());
        assertEquals(0, adapter.dispatched());
        assertEquals(List.of(), recorder.calls);

        adapter.onFragment(buffer, 0, removePeer(7), null);
        assertEquals(1, adapter.dispatched());
        assertEquals(List.of("RemovePeer 7"), recorder.calls);
    }

    @Test
    void aNewerVersionWithALongerBlockIsReadByWhatItKnows() {
        // A version-2 AddPeer whose block grew by 8 bytes: the name (var data) starts after the longer block.
        int extra = 8;
        int block = AddPeerEncoder.BLOCK_LENGTH + extra;
        header.wrap(buffer, 0).blockLength(block).templateId(AddPeerEncoder.TEMPLATE_ID)
                .schemaId(AddPeerEncoder.SCHEMA_ID).version(AddPeerEncoder.SCHEMA_VERSION + 1);
        AddPeerEncoder enc = new AddPeerEncoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH);
        enc.correlationId(11).peerId(3).suite(Suite.CHACHA20POLY1305).keepaliveIntervalMs(25_000)
                .putStaticPublicKey(new byte[32], 0, 32);
        buffer.putLong(MessageHeaderEncoder.ENCODED_LENGTH + AddPeerEncoder.BLOCK_LENGTH, -1L); // the unknown field
        enc.limit(MessageHeaderEncoder.ENCODED_LENGTH + block);
        enc.name("carol");
        adapter.onFragment(buffer, 0, enc.limit(), null);

        assertEquals(List.of("AddPeer 11 3 CHACHA20POLY1305 25000 carol"), recorder.calls);
        assertEquals(0, adapter.skipped());
    }

    @Test
    void dispatchAllocatesNothingInSteadyState() {
        int length = removePeer(9);
        Counting counting = new Counting();
        CommandAdapter quiet = new CommandAdapter(counting);
        for (int i = 0; i < 20_000; i++) { // warm-up: JIT, enum switch maps
            quiet.onFragment(buffer, 0, length, null);
        }
        long before = Allocations.ofCurrentThread();
        for (int i = 0; i < 100_000; i++) {
            quiet.onFragment(buffer, 0, length, null);
        }
        long allocated = Allocations.ofCurrentThread() - before;
        assertEquals(120_000, counting.peers);
        // One object per command would be >= 16 bytes each (1.6 MB): allow less than a byte per command.
        assertTrue(allocated < 100_000, "dispatch allocated " + allocated + " bytes for 100000 commands");
    }

    private int removePeer(long peerId) {
        RemovePeerEncoder enc = new RemovePeerEncoder().wrapAndApplyHeader(buffer, 0, header);
        enc.correlationId(1).peerId(peerId);
        return MessageHeaderEncoder.ENCODED_LENGTH + enc.encodedLength();
    }

    /** Counts without allocating. */
    private static final class Counting extends Recorder {
        long peers;

        @Override
        public void onRemovePeer(RemovePeerDecoder command) {
            peers += command.peerId() == 9 ? 1 : 0;
        }
    }

    private static class Recorder implements CommandListener {
        final List<String> calls = new ArrayList<>();

        @Override
        public void onConfigureInterface(ConfigureInterfaceDecoder command) {
            calls.add("ConfigureInterface");
        }

        @Override
        public void onAddPeer(AddPeerDecoder command) {
            calls.add("AddPeer " + command.correlationId() + " " + command.peerId() + " " + command.suite() + " "
                    + command.keepaliveIntervalMs() + " " + command.name());
        }

        @Override
        public void onRemovePeer(RemovePeerDecoder command) {
            calls.add("RemovePeer " + command.peerId());
        }

        @Override
        public void onSetEndpoint(SetEndpointDecoder command) {
            calls.add("SetEndpoint");
        }

        @Override
        public void onInstallSession(InstallSessionDecoder command) {
            calls.add("InstallSession");
        }

        @Override
        public void onRetireSession(RetireSessionDecoder command) {
            calls.add("RetireSession");
        }

        @Override
        public void onAddRoute(AddRouteDecoder command) {
            calls.add("AddRoute");
        }

        @Override
        public void onRemoveRoute(RemoveRouteDecoder command) {
            calls.add("RemoveRoute");
        }

        @Override
        public void onInjectPacket(InjectPacketDecoder command) {
            calls.add("InjectPacket");
        }

        @Override
        public void onQueryState(QueryStateDecoder command) {
            calls.add("QueryState");
        }
    }
}
