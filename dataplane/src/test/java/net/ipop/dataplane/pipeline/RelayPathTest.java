package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Relayed paths without kernel objects: A reaches B through its allocation on a TURN server (channel
 * {@link #CHANNEL_A}), B reaches A through its own (channel {@link #CHANNEL_B}). The test plays both
 * TURN servers: it checks each datagram A sends is ChannelData to the server, renumbers the channel as B's
 * server would, and hands the datagrams to B's inbound path from B's server's address.
 */
class RelayPathTest {
    private static final InetSocketAddress TURN_A = new InetSocketAddress("203.0.113.10", 3478);
    private static final InetSocketAddress TURN_B = new InetSocketAddress("203.0.113.20", 3478);
    /** The peers' relayed addresses (their allocations) as the other's TURN server sees them. */
    private static final InetSocketAddress RELAYED_A = new InetSocketAddress("203.0.113.10", 50001);
    private static final InetSocketAddress RELAYED_B = new InetSocketAddress("203.0.113.20", 50002);
    private static final int CHANNEL_A = 0x4001;
    private static final int CHANNEL_B = 0x4FFF;
    private static final List<String> A_NETS = List.of("192.0.2.1/32", "2001:db8::1/128");
    private static final List<String> B_NETS = List.of("192.0.2.2/32", "2001:db8::2/128");
    private static final int MTU = 1420;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment tunRead = arena.allocate(VirtioNetHeader.SIZE + 65535);
    private final MessageBatch sendBatch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private final MessageBatch wire = new MessageBatch(8, MessageBatch.MAX_BUFFER_SIZE);
    private int wireSlots;
    /** Whether the last sent slots went out of A's sealing area (in place) rather than the batch's buffers. */
    private final List<Boolean> sentInPlace = new ArrayList<>();
    private final PathStats statsA = new PathStats();
    private final PathStats statsB = new PathStats();
    private final List<byte[]> toTunB = new ArrayList<>();
    private final List<byte[]> punted = new ArrayList<>();
    private final List<InetSocketAddress> puntSources = new ArrayList<>();
    private final AeadScratch scratchA = new AeadScratch();
    private final AeadScratch scratchB = new AeadScratch();
    private final PeerEndpoint endpointOfB = new PeerEndpoint();
    private final PeerEndpoint endpointOfA = new PeerEndpoint();
    private PeerTable tableA;
    private PeerTable tableB;

    private final OutboundPath outA = new OutboundPath(statsA, MTU, true, (b, o, l) -> true, this::toTurn, sendBatch);
    private final InboundPath inB = new InboundPath(statsB,
            (buf, off, len) -> toTunB.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE)),
            (buf, off, len, src) -> {
                punted.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
                puntSources.add(src.toInetSocketAddress());
            });

    private void install(Suite suite) {
        PeerTable a = StaticSessions.side(true, suite, scratchA, endpointOfB, RELAYED_B, B_NETS, B_NETS);
        PeerTable b = StaticSessions.side(false, suite, scratchB, endpointOfA, RELAYED_A, A_NETS, A_NETS);
        endpointOfB.setRelayed(RELAYED_B, TURN_A, CHANNEL_A);
        endpointOfA.setRelayed(RELAYED_A, TURN_B, CHANNEL_B);
        // A new snapshot: which peers are relayed is taken when a table is built.
        tableA = new PeerTable.Builder(a).build();
        tableB = new PeerTable.Builder(b).build();
    }

    @AfterEach
    void close() {
        outA.close();
        sendBatch.close();
        wire.close();
        endpointOfA.close();
        endpointOfB.close();
        arena.close();
    }

    /**
     * A's TURN server and B's: every datagram of a slot must be ChannelData on A's channel whose length
     * is the rest of the datagram; each is renumbered to B's channel and arrives from B's server.
     */
    private int toTurn(MessageBatch batch, int count) {
        for (int i = 0; i < count; i++) {
            assertEquals(TURN_A, batch.remote(i).toInetSocketAddress());
            sentInPlace.add(batch.sendSegment(i).address() != batch.buffer(i).address());
            MemorySegment slot = wire.buffer(wireSlots);
            int length = batch.length(i);
            MemorySegment.copy(batch.sendSegment(i), batch.sendOffset(i), slot, 0, length);
            int segment = batch.segmentSize(i) == 0 ? length : batch.segmentSize(i);
            for (int off = 0; off < length; off += segment) {
                int datagram = Math.min(segment, length - off);
                assertEquals(CHANNEL_A, ChannelData.channel(slot, off));
                assertEquals(datagram - ChannelData.HEADER_LENGTH, ChannelData.length(slot, off), "no padding over UDP");
                ChannelData.writeHeader(slot, off, CHANNEL_B, datagram - ChannelData.HEADER_LENGTH);
            }
            wire.setLength(wireSlots, length);
            wire.setSegmentSize(wireSlots, batch.segmentSize(i));
            wire.remote(wireSlots).set(TURN_B);
            wireSlots++;
        }
        return 0;
    }

    private void send(byte[] packet, int gsoType, int gsoSize) {
        new VirtioNetHeader().wrap(tunRead, 0).clear().gsoType(gsoType).gsoSize(gsoSize);
        MemorySegment.copy(packet, 0, tunRead, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
        outA.begin(tableA);
        outA.process(tunRead, VirtioNetHeader.SIZE + packet.length);
        outA.flush();
    }

    private void receive() {
        inB.process(tableB, wire, wireSlots);
        wireSlots = 0;
    }

    /** Puts one datagram on the wire from {@code source}. */
    private void arrive(byte[] datagram, InetSocketAddress source) {
        MemorySegment.copy(datagram, 0, wire.buffer(wireSlots), ValueLayout.JAVA_BYTE, 0, datagram.length);
        wire.setLength(wireSlots, datagram.length);
        wire.setSegmentSize(wireSlots, 0);
        wire.remote(wireSlots).set(source);
        wireSlots++;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] channelData(int channel, int length, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(ChannelData.HEADER_LENGTH + data.length);
        b.putShort((short) channel).putShort((short) length).put(data);
        return b.array();
    }

    /** A STUN Binding request (RFC 8489): type 0x0001, no attributes, magic cookie, transaction id. */
    private static byte[] stunBindingRequest() {
        ByteBuffer b = ByteBuffer.allocate(20);
        b.putShort((short) 1).putShort((short) 0).putInt(0x2112A442).put(random(12, 9));
        return b.array();
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void relayedPacketsAreFramedForTheTurnServerAndUnframedOnArrival(Suite suite) {
        install(suite);
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.2", random(300, 1));
        byte[] v6 = Packets.udp6("2001:db8::1", "2001:db8::2", random(1000, 2));
        send(v4, VirtioNetHeader.GSO_NONE, 0);
        send(v6, VirtioNetHeader.GSO_NONE, 0);
        assertEquals(2, wireSlots);
        assertEquals(ChannelData.HEADER_LENGTH + ((v4.length + 15) & -16) + 32, wire.length(0));
        assertEquals(List.of(true, true), sentInPlace, "framed in the sealing area's headroom, not copied");
        receive();
        assertEquals(2, toTunB.size(), statsB::toString);
        assertArrayEquals(v4, toTunB.get(0));
        assertArrayEquals(v6, toTunB.get(1));
        assertEquals(0, statsA.totalDrops() + statsB.totalDrops(), () -> statsA + " / " + statsB);
        // The TURN server's address is not the peer's: the roaming rule leaves a relayed endpoint alone.
        assertEquals(0, statsB.roams());
        assertEquals(RELAYED_A, endpointOfA.address().toInetSocketAddress());
        assertEquals(TURN_B, endpointOfA.destination().toInetSocketAddress());
        assertEquals(2L * (ChannelData.HEADER_LENGTH + 32) + ((v4.length + 15) & -16) + ((v6.length + 15) & -16),
                statsA.bytesSent(), "bytes sent count the ChannelData headers");
    }

    @Test
    void superPacketIsOneGsoSlotOfEqualFramedSegments() {
        install(Suite.AES256GCM);
        byte[] payload = random(4500, 3);
        send(Packets.tcp4("192.0.2.1", "192.0.2.2", payload), VirtioNetHeader.GSO_TCPV4, 1000);
        // 5 segments of 4 + 16 + 1040 + 16 bytes, the last 4 + 16 + 544 + 16: checked datagram by datagram in toTurn.
        assertEquals(1, wireSlots);
        assertEquals(ChannelData.HEADER_LENGTH + 1072, wire.segmentSize(0));
        assertEquals(4 * (ChannelData.HEADER_LENGTH + 1072) + ChannelData.HEADER_LENGTH + 576, wire.length(0));
        assertEquals(List.of(true), sentInPlace);
        receive();
        assertEquals(5, toTunB.size(), statsB::toString);
        int seq = 1000;
        for (byte[] p : toTunB) {
            assertEquals(seq, ByteBuffer.wrap(p).getInt(24));
            seq += p.length - 40;
        }
        assertEquals(1000 + payload.length, seq);
        assertEquals(5, statsB.packetsDelivered());
    }

    @Test
    void dataOnAnUnknownChannelOrFromAnotherServerIsDroppedAndCounted() {
        install(Suite.CHACHA20POLY1305);
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.2", random(100, 4));
        send(v4, VirtioNetHeader.GSO_NONE, 0);
        // Another channel number on B's TURN server.
        MemorySegment slot = wire.buffer(0);
        ChannelData.writeHeader(slot, 0, 0x4002, ChannelData.length(slot, 0));
        receive();
        send(v4, VirtioNetHeader.GSO_NONE, 0);
        // B's channel, but from an address that is not B's TURN server.
        wire.remote(0).set(TURN_A);
        receive();
        assertEquals(0, toTunB.size());
        assertEquals(2, statsB.drops(DropReason.UNKNOWN_CHANNEL), statsB::toString);
        assertEquals(0, statsB.messagesOpened(), "nothing reached a session");
    }

    @Test
    void dataSealedForOnePeerOnAnotherRelayedPeersChannelIsNotOpened() {
        install(Suite.AES256GCM);
        try (PeerEndpoint ofC = new PeerEndpoint()) {
            ofC.setRelayed(new InetSocketAddress("203.0.113.20", 50003), TURN_B, 0x4002);
            tableB = new PeerTable.Builder(tableB).put(Peer.create(1, "c", List.of(), ofC)).build();
            send(Packets.udp4("192.0.2.1", "192.0.2.2", random(100, 10)), VirtioNetHeader.GSO_NONE, 0);
            byte[] datagram = wire.buffer(0).asSlice(0, wire.length(0)).toArray(ValueLayout.JAVA_BYTE);
            wireSlots = 0;
            // A's datagram (A's session, slot 0) arrives on C's channel (slot 1).
            ByteBuffer.wrap(datagram).putShort(0, (short) 0x4002);
            arrive(datagram, TURN_B);
            receive();
            assertEquals(1, statsB.drops(DropReason.UNKNOWN_CHANNEL), statsB::toString);
            assertEquals(0, statsB.messagesOpened(), statsB::toString);
            // The same datagram on A's channel still opens: its counter was not consumed by the refusal.
            ByteBuffer.wrap(datagram).putShort(0, (short) CHANNEL_B);
            arrive(datagram, TURN_B);
            receive();
            assertEquals(1, toTunB.size(), statsB::toString);
        }
    }

    @Test
    void malformedChannelDataIsCountedAsMalformed() {
        install(Suite.AES256GCM);
        byte[] inner = random(60, 5);
        inner[0] = 4; // a WireGuard data type, so only the framing is wrong
        arrive(channelData(CHANNEL_B, inner.length + 1, inner), TURN_B); // claims more than the datagram holds
        arrive(channelData(0x5000, inner.length, inner), TURN_B);        // a reserved channel number
        arrive(new byte[] {0x40, 0x01, 0x00}, TURN_B);                   // shorter than the header
        arrive(channelData(CHANNEL_B, 0, new byte[0]), TURN_B);         // nothing inside
        arrive(channelData(CHANNEL_B, 3, new byte[] {4, 0, 0}), TURN_B); // too short for a type
        arrive(channelData(CHANNEL_B, 8, random(8, 6)), TURN_B);        // neither data, handshake nor STUN
        receive();
        assertEquals(6, statsB.drops(DropReason.MALFORMED), statsB::toString);
        assertEquals(6, statsB.totalDrops(), statsB::toString);
        assertEquals(0, punted.size());
    }

    @Test
    void paddedChannelDataIsAccepted() {
        install(Suite.AES256GCM);
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.2", random(100, 7));
        send(v4, VirtioNetHeader.GSO_NONE, 0);
        // RFC 8656 section 12.5: over UDP a sender MAY pad to a multiple of 4; the Length field says the data.
        int length = wire.length(0);
        wire.setLength(0, length + 3);
        receive();
        assertEquals(1, toTunB.size(), statsB::toString);
        assertArrayEquals(v4, toTunB.get(0));
    }

    @Test
    void stunAndHandshakesInsideChannelDataArePuntedWhole() {
        install(Suite.AES256GCM);
        byte[] stun = channelData(CHANNEL_B, 20, stunBindingRequest());
        // On a channel the data plane does not know, from a server it does not know: ICE checks over a relay
        // come before the selected pair names its server.
        InetSocketAddress otherServer = new InetSocketAddress("198.51.100.77", 3478);
        byte[] stunElsewhere = channelData(0x4123, 20, stunBindingRequest());
        byte[] initiation = new byte[148];
        initiation[0] = 1; // WireGuard handshake initiation
        byte[] handshake = channelData(CHANNEL_B, initiation.length, initiation);
        byte[] paddedStun = new byte[stun.length + 2];
        System.arraycopy(stun, 0, paddedStun, 0, stun.length);
        arrive(stun, TURN_B);
        arrive(stunElsewhere, otherServer);
        arrive(handshake, TURN_B);
        arrive(paddedStun, TURN_B);
        receive();
        assertEquals(4, punted.size(), statsB::toString);
        assertArrayEquals(stun, punted.get(0));
        assertArrayEquals(stunElsewhere, punted.get(1));
        assertArrayEquals(handshake, punted.get(2));
        assertArrayEquals(paddedStun, punted.get(3), "the whole datagram, as it arrived");
        assertEquals(List.of(TURN_B, otherServer, TURN_B, TURN_B), puntSources);
        assertEquals(4, statsB.punted());
        assertEquals(0, statsB.totalDrops());
    }

    @Test
    void aDirectPacketFromARelayedPeerIsDeliveredButDoesNotMoveItsEndpoint() {
        install(Suite.AES256GCM);
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.2", random(100, 8));
        send(v4, VirtioNetHeader.GSO_NONE, 0);
        // Strip the header: the same sealed datagram arriving as plain UDP from somewhere else.
        MemorySegment slot = wire.buffer(0);
        int length = wire.length(0) - ChannelData.HEADER_LENGTH;
        MemorySegment.copy(slot, ChannelData.HEADER_LENGTH, slot, 0, length);
        wire.setLength(0, length);
        InetSocketAddress elsewhere = new InetSocketAddress("198.51.100.9", 40000);
        wire.remote(0).set(elsewhere);
        receive();
        assertEquals(1, toTunB.size(), statsB::toString);
        assertEquals(0, statsB.roams());
        assertEquals(RELAYED_A, endpointOfA.address().toInetSocketAddress());
        assertNotEquals(elsewhere, endpointOfA.destination().toInetSocketAddress());
    }

    @Test
    void keepalivesToARelayedPeerAreFramedToo() {
        install(Suite.AES256GCM);
        try (Keepalives keepalives = new Keepalives(statsA, outA.batcher(), scratchA)) {
            // A passive keepalive is due once data arrived and nothing went back for a while.
            long start = System.nanoTime();
            tableA.peer(0).liveness().received(start, true, true);
            int sent = 0;
            for (long now = start; sent == 0 && now - start < 60_000_000_000L; now += 1_000_000_000L) {
                sent = keepalives.run(tableA, now);
            }
            assertEquals(1, sent);
            outA.flush();
        }
        assertEquals(1, wireSlots);
        assertEquals(ChannelData.HEADER_LENGTH + 32, wire.length(0));
        receive();
        assertEquals(1, statsB.keepalives(), statsB::toString);
    }
}
