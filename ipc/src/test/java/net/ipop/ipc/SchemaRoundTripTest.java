package net.ipop.ipc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.AddRouteEncoder;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.BooleanType;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.InstallSessionEncoder;
import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.PuntedPacketEncoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RemoveRouteEncoder;
import net.ipop.ipc.sbe.RouteKind;
import net.ipop.ipc.sbe.SetTrafficReportDecoder;
import net.ipop.ipc.sbe.SetTrafficReportEncoder;
import net.ipop.ipc.sbe.TrafficReportDecoder;
import net.ipop.ipc.sbe.TrafficReportEncoder;
import net.ipop.ipc.sbe.Suite;

/** The schema's codecs round-trip, and the header lets a reader route by template and skip by length. */
class SchemaRoundTripTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final MessageHeaderEncoder headerOut = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerIn = new MessageHeaderDecoder();

    @Test
    void routeKindsTravelInVersion2AndAVersion1RouteStillPasses() {
        AddRouteEncoder enc = new AddRouteEncoder().wrapAndApplyHeader(buffer, 0, headerOut);
        enc.correlationId(1).family(AddressFamily.IPV4).prefixLength((short) 32).peerId(9).kind(RouteKind.SOURCE_ONLY);
        int length = MessageHeaderEncoder.ENCODED_LENGTH + enc.encodedLength();
        assertTrue(MessageFrames.wrapValid(headerIn, buffer, 0, length));
        assertEquals(3, headerIn.version());
        AddRouteDecoder dec = new AddRouteDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
                headerIn.blockLength(), headerIn.version());
        assertEquals(RouteKind.SOURCE_ONLY, dec.kind());
        assertEquals(9, dec.peerId());

        // A version 1 sender's AddRoute: no kind byte. It must pass and read as "no kind" (NULL_VAL).
        headerOut.wrap(buffer, 0).blockLength(AddRouteEncoder.kindEncodingOffset()).version(1);
        assertTrue(MessageFrames.wrapValid(headerIn, buffer, 0, length - 1));
        dec.wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH, headerIn.blockLength(), headerIn.version());
        assertEquals(RouteKind.NULL_VAL, dec.kind());
        assertFalse(MessageFrames.wrapValid(headerIn, buffer, 0, length - 2), "a truncated peerId passed");

        RemoveRouteEncoder rem = new RemoveRouteEncoder().wrapAndApplyHeader(buffer, 0, headerOut);
        rem.correlationId(2).family(AddressFamily.IPV4).prefixLength((short) 32).kind(RouteKind.SOURCE_ONLY).peerId(9);
        length = MessageHeaderEncoder.ENCODED_LENGTH + rem.encodedLength();
        headerOut.wrap(buffer, 0).blockLength(RemoveRouteEncoder.kindEncodingOffset()).version(1);
        assertTrue(MessageFrames.wrapValid(headerIn, buffer, 0, length - 5));
        RemoveRouteDecoder remDec = new RemoveRouteDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
                headerIn.blockLength(), headerIn.version());
        assertEquals(RouteKind.NULL_VAL, remDec.kind());
    }

    @Test
    void installSessionCarriesKeysAndIndices() {
        InstallSessionEncoder enc = new InstallSessionEncoder().wrapAndApplyHeader(buffer, 0, headerOut);
        byte[] send = new byte[32];
        byte[] recv = new byte[32];
        for (int i = 0; i < 32; i++) {
            send[i] = (byte) i;
            recv[i] = (byte) (100 + i);
        }
        enc.correlationId(42).peerId(7).localIndex(0xDEADBEEFL).remoteIndex(12).suite(Suite.AES256GCM)
                .initiator(BooleanType.TRUE).createdAtNanos(123_456_789L).putSendKey(send, 0, 32).putReceiveKey(recv, 0, 32);

        headerIn.wrap(buffer, 0);
        assertEquals(InstallSessionDecoder.TEMPLATE_ID, headerIn.templateId());
        assertEquals(InstallSessionDecoder.SCHEMA_ID, headerIn.schemaId());
        InstallSessionDecoder dec = new InstallSessionDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
                headerIn.blockLength(), headerIn.version());
        assertEquals(42, dec.correlationId());
        assertEquals(0xDEADBEEFL, dec.localIndex());
        assertEquals(Suite.AES256GCM, dec.suite());
        assertEquals(BooleanType.TRUE, dec.initiator());
        byte[] got = new byte[32];
        dec.getReceiveKey(got, 0, 32);
        assertEquals(recv[31], got[31]);
    }

    @Test
    void puntedPacketCarriesEndpointAndPayload() {
        PuntedPacketEncoder enc = new PuntedPacketEncoder().wrapAndApplyHeader(buffer, 0, headerOut);
        enc.receivedAtNanos(5).localPort(51820);
        enc.source().family(AddressFamily.IPV6).port(4500);
        byte[] payload = "handshake".getBytes(StandardCharsets.US_ASCII);
        enc.putPayload(payload, 0, payload.length);
        int length = MessageHeaderEncoder.ENCODED_LENGTH + enc.encodedLength();

        headerIn.wrap(buffer, 0);
        PuntedPacketDecoder dec = new PuntedPacketDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
                headerIn.blockLength(), headerIn.version());
        assertEquals(AddressFamily.IPV6, dec.source().family());
        assertEquals(4500, dec.source().port());
        assertEquals(51820, dec.localPort());
        byte[] got = new byte[dec.payloadLength()];
        dec.getPayload(got, 0, got.length);
        assertEquals("handshake", new String(got, StandardCharsets.US_ASCII));
        assertEquals(length, MessageHeaderDecoder.ENCODED_LENGTH + dec.encodedLength());
    }

    @Test
    void trafficReportAndItsSettingRoundTripInVersion3() {
        SetTrafficReportEncoder set = new SetTrafficReportEncoder().wrapAndApplyHeader(buffer, 0, headerOut);
        set.correlationId(5).thresholdBytes(1_000_000).intervalMs(1000);
        int length = MessageHeaderEncoder.ENCODED_LENGTH + set.encodedLength();
        assertTrue(MessageFrames.wrapValid(headerIn, buffer, 0, length));
        assertEquals(SetTrafficReportDecoder.TEMPLATE_ID, headerIn.templateId());
        assertFalse(MessageFrames.wrapValid(headerIn, buffer, 0, length - 1), "a truncated interval passed");
        headerIn.wrap(buffer, 0);
        SetTrafficReportDecoder setIn = new SetTrafficReportDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
                headerIn.blockLength(), headerIn.version());
        assertEquals(1_000_000, setIn.thresholdBytes());
        assertEquals(1000, setIn.intervalMs());

        TrafficReportEncoder report = new TrafficReportEncoder().wrapAndApplyHeader(buffer, 0, headerOut);
        report.family(AddressFamily.IPV4).putAddress(new byte[] {(byte) 198, 51, 100, 7}, 0, 4).prefixLength((short) 32)
                .peerId(3).bytes(5_000_000).intervalMs(1002);
        length = MessageHeaderEncoder.ENCODED_LENGTH + report.encodedLength();
        assertTrue(MessageFrames.wrapValid(headerIn, buffer, 0, length));
        assertEquals(3, headerIn.version());
        TrafficReportDecoder in = new TrafficReportDecoder().wrap(buffer, MessageHeaderDecoder.ENCODED_LENGTH,
                headerIn.blockLength(), headerIn.version());
        assertEquals(AddressFamily.IPV4, in.family());
        assertEquals(51, in.address(1));
        assertEquals(32, in.prefixLength());
        assertEquals(3, in.peerId());
        assertEquals(5_000_000, in.bytes());
        assertEquals(1002, in.intervalMs());
    }
}
