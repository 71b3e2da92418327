package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.packet.InternetChecksum;
import net.ipop.dataplane.packet.PartialChecksum;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.route.RouteTraffic;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Outbound on side A and inbound on side B in one JVM, joined by a batch that plays the wire (a
 * GSO send slot is exactly what GRO hands the receiver), with static keys and no kernel objects.
 */
class PathTest {
    private static final InetSocketAddress UNDERLAY_A = new InetSocketAddress("198.51.100.1", 51820);
    private static final InetSocketAddress UNDERLAY_B = new InetSocketAddress("198.51.100.2", 51820);
    private static final List<String> A_NETS = List.of("192.0.2.1/32", "2001:db8::1/128");
    private static final List<String> B_NETS = List.of("192.0.2.2/32", "2001:db8::2/128");
    private static final int MTU = 1420;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment tunRead = arena.allocate(VirtioNetHeader.SIZE + 65535);
    private final MessageBatch sendBatch = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private final MessageBatch wire = new MessageBatch(8, MessageBatch.MAX_BUFFER_SIZE);
    private int wireSlots;
    private final PathStats statsA = new PathStats();
    private final PathStats statsB = new PathStats();
    private final List<byte[]> toTunA = new ArrayList<>();
    private final List<byte[]> toTunB = new ArrayList<>();
    /** What reached B's TUN through {@link TunSink#writePartial}, as it came (toTunB has it completed). */
    private final List<byte[]> partialToTunB = new ArrayList<>();
    private final List<byte[]> punted = new ArrayList<>();
    private final AeadScratch scratchA = new AeadScratch();
    private final AeadScratch scratchB = new AeadScratch();
    private final PeerEndpoint endpointOfB = new PeerEndpoint();
    private final PeerEndpoint endpointOfA = new PeerEndpoint();
    private PeerTable tableA;
    private PeerTable tableB;

    private final OutboundPath outA = new OutboundPath(statsA, MTU, true, collect(toTunA), this::toWire, sendBatch);
    private final InboundPath inB = new InboundPath(statsB, new TunSink() {
        @Override
        public boolean write(MemorySegment buf, long off, int len) {
            return toTunB.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
        }

        @Override
        public boolean writePartial(MemorySegment buf, long off, int len) {
            partialToTunB.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
            return TunSink.super.writePartial(buf, off, len); // completes, as a kernel would
        }
    },
            (buf, off, len, src) -> punted.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE)));

    private void install(Suite suite) {
        tableA = StaticSessions.side(true, suite, scratchA, endpointOfB, UNDERLAY_B, B_NETS, B_NETS);
        tableB = StaticSessions.side(false, suite, scratchB, endpointOfA, UNDERLAY_A, A_NETS, A_NETS);
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

    private static TunSink collect(List<byte[]> into) {
        return (buf, off, len) -> into.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
    }

    /** The "network": copies each sent slot as the receiver's GRO slot would look. */
    private int toWire(MessageBatch batch, int count) {
        for (int i = 0; i < count; i++) {
            MemorySegment.copy(batch.sendSegment(i), batch.sendOffset(i), wire.buffer(wireSlots), 0, batch.length(i));
            wire.setLength(wireSlots, batch.length(i));
            wire.setSegmentSize(wireSlots, batch.segmentSize(i));
            assertEquals(UNDERLAY_B, batch.remote(i).toInetSocketAddress());
            wire.remote(wireSlots).set(UNDERLAY_A);
            wireSlots++;
        }
        return 0; // nothing dropped

    }

    /** A TUN read on A: a virtio-net header (GSO as given) and the packet. */
    private void send(byte[] packet, int gsoType, int gsoSize) {
        send(packet, gsoType, gsoSize, 0, 0, 0);
    }

    /** A TUN read on A with the virtio-net header's checksum fields as given too. */
    private void send(byte[] packet, int gsoType, int gsoSize, int flags, int csumStart, int csumOffset) {
        new VirtioNetHeader().wrap(tunRead, 0).clear().gsoType(gsoType).gsoSize(gsoSize).flags(flags)
                .csumStart(csumStart).csumOffset(csumOffset);
        MemorySegment.copy(packet, 0, tunRead, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
        outA.begin(tableA);
        outA.process(tunRead, VirtioNetHeader.SIZE + packet.length);
        outA.flush();
    }

    private void send(byte[] packet) {
        send(packet, VirtioNetHeader.GSO_NONE, 0);
    }

    private void receive() {
        inB.process(tableB, wire, wireSlots);
        wireSlots = 0;
    }

    /** WireGuard pads inner packets to a multiple of 16 bytes (below the MTU). */
    private static int pad16(int length) {
        return (length + 15) & -16;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void ipv4AndIpv6PacketsArriveIdentical(Suite suite) {
        install(suite);
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.2", random(300, 1));
        byte[] v6 = Packets.udp6("2001:db8::1", "2001:db8::2", random(1000, 2));
        send(v4);
        send(v6);
        assertEquals(2, wireSlots);
        assertEquals(pad16(v4.length) + 32, wire.length(0));
        receive();
        assertEquals(2, toTunB.size(), statsB::toString);
        assertArrayEquals(v4, toTunB.get(0));
        assertArrayEquals(v6, toTunB.get(1));
        assertEquals(2, statsA.datagramsSent());
        assertEquals(2, statsB.packetsDelivered());
        assertEquals(0, statsA.totalDrops() + statsB.totalDrops(), () -> statsA + " / " + statsB);
    }

    /**
     * The checksum contract (docs/wire-protocol.md): on aes256gcm the segments of a TSO read, and a lone packet
     * whose full checksum A verified, travel with partial checksums and B writes them with writePartial; on
     * chacha20poly1305 they travel with full checksums and B writes them as they are. Either way the host gets
     * valid checksums.
     */
    @ParameterizedTest
    @EnumSource(Suite.class)
    void checksumsTravelPartialOnAesAndFullOnChacha(Suite suite) {
        install(suite);
        byte[] tso = Packets.tcp4("192.0.2.1", "192.0.2.2", random(2500, 7));
        // As the kernel hands over a TSO read: F_NEEDS_CSUM at the TCP header.
        send(tso, VirtioNetHeader.GSO_TCPV4, 1000, VirtioNetHeader.F_NEEDS_CSUM, 20, 16);
        byte[] udp = Packets.udp6("2001:db8::1", "2001:db8::2", random(200, 8));
        send(udp); // no flags: a full checksum nothing vouched for, checked by A
        receive();
        assertEquals(4, toTunB.size(), statsB::toString);
        boolean aes = suite == Suite.AES256GCM;
        assertEquals(aes ? 4 : 0, partialToTunB.size());
        for (int i = 0; i < 4; i++) {
            byte[] delivered = toTunB.get(i);
            boolean v6 = i == 3;
            int ip = v6 ? 40 : 20;
            int proto = v6 ? 17 : 6;
            MemorySegment p = MemorySegment.ofArray(delivered);
            long pseudo = InternetChecksum.pseudoHeader(p, 0, proto, delivered.length - ip);
            assertEquals(0, InternetChecksum.finish(InternetChecksum.add(pseudo, p, ip, delivered.length - ip)),
                    "the host gets a valid checksum, packet " + i);
            if (aes) {
                MemorySegment raw = MemorySegment.ofArray(partialToTunB.get(i));
                assertEquals(InternetChecksum.folded(pseudo),
                        ByteBuffer.wrap(partialToTunB.get(i)).getShort(ip + (v6 ? 6 : 16)) & 0xFFFF,
                        "it travelled with the partial checksum, packet " + i);
                assertEquals(ip, PartialChecksum.start(raw, 0, delivered.length));
            }
        }
        assertArrayEquals(udp, toTunB.get(3), "completed, the lone packet is as A's host sent it");
        assertEquals(0, statsA.totalDrops() + statsB.totalDrops(), () -> statsA + " / " + statsB);
    }

    @Test
    void aLonePacketWithAWrongChecksumIsNotMadePartial() {
        install(Suite.AES256GCM);
        byte[] udp = Packets.udp4("192.0.2.1", "192.0.2.2", random(200, 9));
        udp[40] ^= 1; // corrupted before it reached A; no DATA_VALID from A's kernel
        send(udp);
        assertEquals(0, wireSlots);
        assertEquals(1, statsA.drops(DropReason.MALFORMED), statsA::toString);
        udp[40] ^= 1;
        udp[27] ^= 1; // now the checksum itself is wrong, but A's kernel says it checked the packet
        send(udp, VirtioNetHeader.GSO_NONE, 0, VirtioNetHeader.F_DATA_VALID, 0, 0);
        assertEquals(1, wireSlots, "trusted: DATA_VALID");
    }

    @Test
    void superPacketIsSegmentedAndEverySegmentArrives() {
        install(Suite.AES256GCM);
        byte[] payload = random(4500, 3);
        send(Packets.tcp4("192.0.2.1", "192.0.2.2", payload), VirtioNetHeader.GSO_TCPV4, 1000);
        // One GSO slot: 5 datagrams of 40 + 1000 + 32 bytes, the last one 40 + 500 (padded to 544) + 32.
        assertEquals(1, wireSlots);
        assertEquals(1072, wire.segmentSize(0));
        assertEquals(4 * 1072 + 576, wire.length(0));
        receive();
        assertEquals(5, toTunB.size(), statsB::toString);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        int seq = 1000;
        for (byte[] p : toTunB) {
            ByteBuffer b = ByteBuffer.wrap(p);
            assertEquals(p.length, b.getShort(2) & 0xFFFF);
            assertEquals(seq, b.getInt(24));
            seq += p.length - 40;
            joined.write(p, 40, p.length - 40);
        }
        assertArrayEquals(payload, joined.toByteArray());
        assertEquals(1, statsA.tunReads());
        assertEquals(5, statsA.datagramsSent());
    }

    @Test
    void theBytesOfEveryPacketFromTheTunAreCountedOnItsRouteSuperPacketsWhole() {
        install(Suite.AES256GCM);
        RouteTraffic v4 = new RouteTraffic(1);
        RouteTraffic v6 = new RouteTraffic(1);
        int slot = tableA.routes().lookup4(0xC0000202);
        tableA = new PeerTable.Builder(tableA).routes(new RouteTable.Builder(tableA.routes())
                .add(Prefix.parse("192.0.2.2/32"), slot, v4).add(Prefix.parse("2001:db8::2/128"), slot, v6).build())
                .build();
        byte[] superPacket = Packets.tcp4("192.0.2.1", "192.0.2.2", random(4500, 6));
        send(superPacket, VirtioNetHeader.GSO_TCPV4, 1000);
        byte[] small = Packets.udp6("2001:db8::1", "2001:db8::2", random(100, 7));
        send(small);
        send(Packets.udp4("192.0.2.1", "192.0.2.9", random(100, 8))); // no route: counted nowhere
        assertEquals(superPacket.length, v4.sum(), "the super-packet's inner bytes");
        assertEquals(small.length, v6.sum());
        assertEquals(superPacket.length, v4.sinceLast());
        assertEquals(0, v4.sinceLast(), "bytes since the last look");
        receive();
        assertEquals(6, toTunB.size(), statsB::toString);
    }

    @Test
    void equalSizedPacketsToOnePeerShareAGsoSlot() {
        install(Suite.CHACHA20POLY1305);
        byte[] p = Packets.udp4("192.0.2.1", "192.0.2.2", random(200, 4));
        byte[] last = Packets.udp4("192.0.2.1", "192.0.2.2", random(50, 5));
        new VirtioNetHeader().wrap(tunRead, 0).clear();
        outA.begin(tableA);
        for (byte[] packet : List.of(p, p, p, last, p)) {
            MemorySegment.copy(packet, 0, tunRead, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
            outA.process(tunRead, VirtioNetHeader.SIZE + packet.length);
        }
        outA.flush();
        // Three full and one short datagram in slot 0; the short one closes it, so the fifth starts slot 1.
        assertEquals(2, wireSlots);
        assertEquals(pad16(p.length) + 32, wire.segmentSize(0));
        assertEquals(3 * (pad16(p.length) + 32) + pad16(last.length) + 32, wire.length(0));
        assertEquals(0, wire.segmentSize(1));
        receive();
        assertEquals(5, statsB.packetsDelivered(), statsB::toString);
        assertArrayEquals(last, toTunB.get(3));
    }

    @Test
    void wrongKeyIsCountedAsAuthFailed() {
        install(Suite.AES256GCM);
        Session wrong = new Session(StaticSessions.INDEX_B, StaticSessions.INDEX_A, Suite.AES256GCM,
                StaticSessions.key(7), StaticSessions.key(8), scratchB, 0);
        Peer fresh = Peer.create(0, "a", A_NETS.stream().map(Prefix::parse).toList(), endpointOfA).withSession(wrong);
        tableB = new PeerTable.Builder(tableB).put(fresh).build();
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 6)));
        receive();
        assertEquals(1, statsB.drops(DropReason.AUTH_FAILED));
        assertTrue(toTunB.isEmpty());
    }

    @Test
    void aResponderSendsOnThePreviousSessionUntilTheInitiatorUsesTheNewOne() {
        install(Suite.AES256GCM);
        // A answered B's rekey: the new session is A's current; B's control plane has not installed it yet.
        Session answered = new Session(0x0A0A0003, 0x0B0B0004, Suite.AES256GCM, StaticSessions.key(3),
                StaticSessions.key(4), scratchA, System.nanoTime()).awaitingConfirmation();
        tableA = new PeerTable.Builder(tableA).put(tableA.peer(0).withSession(answered)).build();
        byte[] first = Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 30));
        send(first);
        receive();
        assertEquals(0, statsB.drops(DropReason.NO_SESSION), statsB::toString);
        assertEquals(1, toTunB.size(), "sent under the previous session, which B holds");
        assertArrayEquals(first, toTunB.get(0));

        // B's first packet under the new keys authenticates at A (A's inbound path signals it): A moves over.
        answered.signals().onAuthenticated();
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 31)));
        receive();
        assertEquals(1, statsB.drops(DropReason.NO_SESSION), "sent under the new session, which this B lacks");
        assertEquals(1, toTunB.size());
    }

    @Test
    void aMessageUnderThePreviousSessionAnswersOnlyWhileWeSendOnIt() {
        install(Suite.AES256GCM);
        // B completed a handshake as initiator whose keys A's data plane never kept (a burst of crossed
        // handshakes): B sends data under it while A still sends under the session B now holds as previous.
        Session initiated = new Session(0x0B0B0005, 0x0A0A0006, Suite.AES256GCM, StaticSessions.key(5),
                StaticSessions.key(6), scratchB, System.nanoTime());
        tableB = new PeerTable.Builder(tableB).put(tableB.peer(0).withSession(initiated)).build();
        PeerLiveness ofA = tableB.peer(0).liveness();
        ofA.sentData(System.nanoTime());
        byte[] old = Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 40));
        send(old);
        receive();
        assertEquals(1, toTunB.size());
        assertArrayEquals(old, toTunB.get(0), "still delivered: the previous session opens");
        assertTrue(ofA.unansweredSinceNanos() != PeerLiveness.NONE,
                "A may lack the session B sends with: B's data is still unanswered");

        // A holds B's session now and sends under it: that answers.
        Session held = new Session(0x0A0A0006, 0x0B0B0005, Suite.AES256GCM, StaticSessions.key(6),
                StaticSessions.key(5), scratchA, System.nanoTime());
        tableA = new PeerTable.Builder(tableA).put(tableA.peer(0).withSession(held)).build();
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 41)));
        receive();
        assertEquals(2, toTunB.size());
        assertEquals(PeerLiveness.NONE, ofA.unansweredSinceNanos());

        // B answered a handshake (responder, unconfirmed, in its grace): it sends on the previous session, so a
        // message under the previous one answers.
        Session answered = new Session(0x0B0B0007, 0x0A0A0008, Suite.AES256GCM, StaticSessions.key(7),
                StaticSessions.key(8), scratchB, System.nanoTime()).awaitingConfirmation();
        tableB = new PeerTable.Builder(tableB).put(tableB.peer(0).withSession(answered)).build();
        ofA.sentData(System.nanoTime());
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 42)));
        receive();
        assertEquals(3, toTunB.size());
        assertEquals(PeerLiveness.NONE, ofA.unansweredSinceNanos());
    }

    @Test
    void replayedDatagramIsCounted() {
        install(Suite.CHACHA20POLY1305);
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 7)));
        byte[] copy = wire.buffer(0).asSlice(0, wire.length(0)).toArray(ValueLayout.JAVA_BYTE);
        int length = wire.length(0);
        receive();
        MemorySegment.copy(copy, 0, wire.buffer(0), ValueLayout.JAVA_BYTE, 0, length);
        wireSlots = 1;
        receive();
        assertEquals(1, toTunB.size());
        assertEquals(1, statsB.drops(DropReason.REPLAYED));
    }

    @Test
    void innerSourceOutsideAllowedPrefixesIsNotDelivered() {
        install(Suite.AES256GCM);
        send(Packets.udp4("192.0.2.99", "192.0.2.2", random(64, 8)));
        send(Packets.udp6("2001:db8::99", "2001:db8::2", random(64, 9)));
        receive();
        assertEquals(2, statsB.drops(DropReason.SOURCE_NOT_ALLOWED));
        assertTrue(toTunB.isEmpty());
        assertEquals(2, statsB.messagesOpened());
    }

    @Test
    void dropsOfAKnownPeerAreCountedForThatPeerToo() {
        install(Suite.AES256GCM);
        List<String> peerDropsA = new ArrayList<>();
        List<String> peerDropsB = new ArrayList<>();
        statsA.countPeersInto(recordDrops(peerDropsA));
        statsB.countPeersInto(recordDrops(peerDropsB));
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 20)));
        byte[] copy = wire.buffer(0).asSlice(0, wire.length(0)).toArray(ValueLayout.JAVA_BYTE);
        receive();
        MemorySegment.copy(copy, 0, wire.buffer(0), ValueLayout.JAVA_BYTE, 0, copy.length);
        wireSlots = 1;
        receive();                                                    // replayed: B knows it came from A
        send(Packets.udp4("192.0.2.99", "192.0.2.2", random(64, 21)));
        receive();                                                    // source not allowed: from A
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 22)));
        wire.buffer(0).set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0x12345678);
        receive();                                                    // unknown index: nobody's
        send(Packets.udp4("192.0.2.1", "203.0.113.5", random(64, 23))); // no route: nobody's
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(MTU, 24)));  // too big for the path to B

        assertEquals(List.of("0 " + DropReason.REPLAYED, "0 " + DropReason.SOURCE_NOT_ALLOWED), peerDropsB);
        assertEquals(List.of("0 " + DropReason.TOO_BIG), peerDropsA);
        assertEquals(1, statsB.drops(DropReason.NO_SESSION), "still counted per reason");
        assertEquals(1, statsB.drops(DropReason.REPLAYED));
        assertEquals(1, statsA.drops(DropReason.NO_ROUTE));
        assertEquals(1, statsA.drops(DropReason.TOO_BIG));
    }

    private static PathStats.PeerTraffic recordDrops(List<String> into) {
        return new PathStats.PeerTraffic() {
            @Override
            public void sent(int peerSlot, int bytes) {
            }

            @Override
            public void received(int peerSlot, int bytes) {
            }

            @Override
            public void dropped(int peerSlot, DropReason reason) {
                into.add(peerSlot + " " + reason);
            }
        };
    }

    @Test
    void unknownReceiverIndexIsNoSession() {
        install(Suite.AES256GCM);
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 10)));
        wire.buffer(0).set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0x12345678);
        receive();
        assertEquals(1, statsB.drops(DropReason.NO_SESSION));
        assertTrue(toTunB.isEmpty());
    }

    @Test
    void outboundDropsWithoutRouteOrSessionAndAnswersTooBig() {
        install(Suite.AES256GCM);
        send(Packets.udp4("192.0.2.1", "203.0.113.5", random(64, 11)));
        assertEquals(1, statsA.drops(DropReason.NO_ROUTE));
        PeerTable noSession = new PeerTable.Builder(tableA)
                .put(Peer.create(0, "b", List.of(), endpointOfB)).build();
        outA.begin(noSession);
        byte[] p = Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 12));
        MemorySegment.copy(p, 0, tunRead, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, p.length);
        outA.process(tunRead, VirtioNetHeader.SIZE + p.length);
        outA.flush();
        assertEquals(1, statsA.drops(DropReason.NO_SESSION));

        byte[] big = Packets.udp4("192.0.2.1", "192.0.2.2", random(MTU, 13));
        send(big);
        assertEquals(1, statsA.drops(DropReason.TOO_BIG));
        assertEquals(0, wireSlots);
        assertEquals(1, toTunA.size());
        ByteBuffer icmp = ByteBuffer.wrap(toTunA.get(0));
        assertEquals(1, icmp.get(9)); // ICMP
        assertEquals(3, icmp.get(20)); // destination unreachable
        assertEquals(4, icmp.get(21)); // fragmentation needed
        assertEquals(MTU, icmp.getShort(26) & 0xFFFF);
        // From the far end (the packet's destination), to the sender.
        assertArrayEquals(Packets.addr("192.0.2.2"), Arrays.copyOfRange(toTunA.get(0), 12, 16));
        assertArrayEquals(Packets.addr("192.0.2.1"), Arrays.copyOfRange(toTunA.get(0), 16, 20));
        assertEquals(3, statsA.totalDrops());
        assertEquals(0, statsA.datagramsSent());
    }

    @Test
    void keepaliveIsConsumedAndRoamingFollowsAuthenticatedSource() {
        install(Suite.CHACHA20POLY1305);
        Session a = tableA.peer(0).current();
        int n = a.sealer().seal(wire.buffer(0), 0, 0);
        assertEquals(32, n);
        wire.setLength(0, n);
        wire.setSegmentSize(0, 0);
        InetSocketAddress moved = new InetSocketAddress("198.51.100.7", 40001);
        wire.remote(0).set(moved);
        wireSlots = 1;
        receive();
        assertEquals(1, statsB.keepalives());
        assertTrue(toTunB.isEmpty());
        assertEquals(moved, endpointOfA.address().toInetSocketAddress());
        assertEquals(1, statsB.roams());

        // A forged datagram from elsewhere must not move the endpoint.
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 14)));
        wire.buffer(0).set(ValueLayout.JAVA_BYTE, 40, (byte) (wire.buffer(0).get(ValueLayout.JAVA_BYTE, 40) ^ 1));
        wire.remote(0).set(new InetSocketAddress("203.0.113.9", 1));
        receive();
        assertEquals(1, statsB.drops(DropReason.AUTH_FAILED));
        assertEquals(moved, endpointOfA.address().toInetSocketAddress());
    }

    @Test
    void handshakeAndStunArePuntedGarbageNeverThrows() {
        install(Suite.AES256GCM);
        byte[] init = new byte[148];
        init[0] = 1;
        byte[] stun = new byte[20];
        stun[1] = 1;
        ByteBuffer.wrap(stun).putInt(4, 0x2112A442);
        Random rnd = new Random(15);
        List<byte[]> datagrams = new ArrayList<>(List.of(init, stun, new byte[0], new byte[3]));
        for (int i = 0; i < 300; i++) {
            byte[] g = new byte[rnd.nextInt(200)];
            rnd.nextBytes(g);
            if (g.length >= 4 && i % 2 == 0) {
                g[0] = (byte) (i % 4 == 0 ? 4 : 0x14); // data type with garbage after it
                g[1] = 0;
                g[2] = 0;
                g[3] = 0;
                if (i % 8 == 0 && g.length >= 8) {
                    ByteBuffer.wrap(g).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, StaticSessions.INDEX_B);
                }
            }
            datagrams.add(g);
        }
        // A real datagram cut short.
        send(Packets.udp4("192.0.2.1", "192.0.2.2", random(64, 16)));
        datagrams.add(wire.buffer(0).asSlice(0, 40).toArray(ValueLayout.JAVA_BYTE));
        wireSlots = 0;
        for (byte[] d : datagrams) {
            MemorySegment.copy(d, 0, wire.buffer(0), ValueLayout.JAVA_BYTE, 0, d.length);
            wire.setLength(0, d.length);
            wire.setSegmentSize(0, d != init && d != stun && rnd.nextInt(4) == 0 ? rnd.nextInt(64) : 0);
            wire.remote(0).set(UNDERLAY_A);
            inB.process(tableB, wire, 1);
        }
        assertEquals(2, punted.size());
        assertEquals(2, statsB.punted());
        assertArrayEquals(init, punted.get(0));
        assertTrue(toTunB.isEmpty());
        assertEquals(0, statsB.messagesOpened());
        assertTrue(statsB.drops(DropReason.MALFORMED) > 0);
        assertEquals(statsB.datagramsReceived(), statsB.totalDrops() + statsB.punted());
    }
}
