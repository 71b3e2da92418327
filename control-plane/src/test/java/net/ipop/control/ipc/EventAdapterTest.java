package net.ipop.control.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.SessionEventEncoder;
import net.ipop.ipc.sbe.SessionEventKind;
import net.ipop.ipc.sbe.StateDoneEncoder;
import net.ipop.ipc.sbe.TrafficReportEncoder;
import net.ipop.ipc.sbe.AddressFamily;

/** Events of another schema, unknown templates and truncated messages are skipped and counted; newer blocks read. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EventAdapterTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final RecordingEvents recorder = new RecordingEvents();
    private final EventAdapter adapter = new EventAdapter(recorder);

    @Test
    void whatIsNotOursIsSkippedAndCounted() {
        int length = sessionEvent();
        header.wrap(buffer, 0).templateId(1); // a command template on the event stream
        adapter.onFragment(buffer, 0, length, null);
        length = sessionEvent();
        header.wrap(buffer, 0).schemaId(1702);
        adapter.onFragment(buffer, 0, length, null);
        adapter.onFragment(buffer, 0, sessionEvent() - 1, null);
        adapter.onFragment(buffer, 0, 7, null);
        assertEquals(4, adapter.skipped());
        assertEquals(List.of(), recorder.events);

        adapter.onFragment(buffer, 0, sessionEvent(), null);
        assertEquals(List.of("SessionEvent 9 local 10 CONFIRMED"), recorder.events);
    }

    @Test
    void aNewerDataPlanesLongerBlockIsReadByWhatItKnows() {
        int block = StateDoneEncoder.BLOCK_LENGTH + 16;
        header.wrap(buffer, 0).blockLength(block).templateId(StateDoneEncoder.TEMPLATE_ID)
                .schemaId(StateDoneEncoder.SCHEMA_ID).version(StateDoneEncoder.SCHEMA_VERSION + 3);
        new StateDoneEncoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH).correlationId(31).peers(4);
        buffer.setMemory(MessageHeaderEncoder.ENCODED_LENGTH + StateDoneEncoder.BLOCK_LENGTH, 16, (byte) 0x5A);
        adapter.onFragment(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + block, null);
        assertEquals(List.of("StateDone 31 peers 4"), recorder.events);
        assertEquals(0, adapter.skipped());
    }

    private int sessionEvent() {
        SessionEventEncoder enc = new SessionEventEncoder().wrapAndApplyHeader(buffer, 0, header);
        enc.peerId(9).localIndex(10).kind(SessionEventKind.CONFIRMED);
        return MessageHeaderEncoder.ENCODED_LENGTH + enc.encodedLength();
    }

    @Test
    void aTrafficReportReachesTheListener() {
        TrafficReportEncoder enc = new TrafficReportEncoder().wrapAndApplyHeader(buffer, 0, header);
        enc.family(AddressFamily.IPV4).putAddress(new byte[] {(byte) 192, 0, 2, 7}, 0, 4).prefixLength((short) 32)
                .peerId(3).bytes(2_000_000).intervalMs(1001);
        adapter.onFragment(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + enc.encodedLength(), null);
        assertEquals(List.of("TrafficReport IPV4 192.0.2.7/32 via 3 2000000 bytes in 1001 ms"), recorder.events);
        adapter.onFragment(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + enc.encodedLength() - 1, null);
        assertEquals(1, adapter.skipped(), "a truncated report was dispatched");
    }
}
