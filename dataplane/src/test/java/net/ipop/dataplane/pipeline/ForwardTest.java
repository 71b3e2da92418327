package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.dataplane.packet.InternetChecksum;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.session.LocalAddresses;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.Session;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The router step at pipeline level, without kernel objects: A's outbound path seals for B, B's
 * inbound path (with its {@link Forwarder}) relays to C, C's inbound path delivers. A and C share no
 * session. Static keys per link; each "wire" is a batch copied from the sender's send batch.
 */
class ForwardTest {
    private static final InetSocketAddress UNDERLAY_A = new InetSocketAddress("198.51.100.1", 51820);
    private static final InetSocketAddress UNDERLAY_B = new InetSocketAddress("198.51.100.2", 51820);
    private static final InetSocketAddress UNDERLAY_C = new InetSocketAddress("203.0.113.3", 51820);
    private static final List<String> A_NETS = List.of("192.0.2.1/32", "2001:db8::1/128");
    private static final List<String> B_NETS = List.of("192.0.2.2/32", "2001:db8::2/128");
    private static final List<String> C_NETS = List.of("192.0.2.3/32", "2001:db8::3/128");
    private static final int MTU = 1420;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment tunRead = arena.allocate(VirtioNetHeader.SIZE + 65535);
    private final MessageBatch sendA = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private final MessageBatch sendB = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private final MessageBatch wireAB = new MessageBatch(8, MessageBatch.MAX_BUFFER_SIZE);
    private final MessageBatch wireBC = new MessageBatch(8, MessageBatch.MAX_BUFFER_SIZE);
    private int slotsAB;
    private int slotsBC;
    /** Datagrams B sent towards A (the reverse direction, C -> A). */
    private int bToAFrames;
    private final List<byte[]> toA = new ArrayList<>();
    private final PathStats statsA = new PathStats();
    private final PathStats statsB = new PathStats();
    private final PathStats statsC = new PathStats();
    private final List<byte[]> tunB = new ArrayList<>();
    private final List<byte[]> tunC = new ArrayList<>();
    private final List<PeerEndpoint> endpoints = new ArrayList<>();
    private final AeadScratch scratchA = new AeadScratch();
    private final AeadScratch scratchB = new AeadScratch();
    private final AeadScratch scratchC = new AeadScratch();
    private final PeerLiveness cAtB = PeerLiveness.standard(System.nanoTime());

    private final OutboundPath outA = new OutboundPath(statsA, MTU, true, collect(new ArrayList<>()),
            (batch, count) -> copy(batch, count, wireAB, UNDERLAY_B, UNDERLAY_A, true), sendA);
    private final OutboundPath outB = new OutboundPath(statsB, MTU, true, collect(tunB),
            this::fromB, sendB);
    private final InboundPath inB = new InboundPath(statsB, collect(tunB), (b, o, l, s) -> { },
            new Forwarder(statsB, outB.batcher()));
    private final InboundPath inC = new InboundPath(statsC, collect(tunC), (b, o, l, s) -> { });

    private final PeerTable tableA;
    private PeerTable tableB;
    private PeerTable tableC;

    ForwardTest() {
        // Link A-B: keys 1 (A->B) and 2 (B->A); link B-C: keys 3 (B->C) and 4 (C->B).
        Session aToB = new Session(0xA1, 0xB1, Suite.AES256GCM, StaticSessions.key(1), StaticSessions.key(2),
                scratchA, System.nanoTime());
        Session bToA = new Session(0xB1, 0xA1, Suite.AES256GCM, StaticSessions.key(2), StaticSessions.key(1),
                scratchB, System.nanoTime());
        Session bToC = new Session(0xB2, 0xC1, Suite.AES256GCM, StaticSessions.key(3), StaticSessions.key(4),
                scratchB, System.nanoTime());
        Session cToB = new Session(0xC1, 0xB2, Suite.AES256GCM, StaticSessions.key(4), StaticSessions.key(3),
                scratchC, System.nanoTime());
        List<String> viaBFromA = concat(B_NETS, C_NETS);
        List<String> viaBFromC = concat(B_NETS, A_NETS);
        tableA = table(peer(0, "b", viaBFromA, UNDERLAY_B, aToB, PeerLiveness.standard(System.nanoTime())), viaBFromA);
        Peer a = peer(0, "a", A_NETS, UNDERLAY_A, bToA, PeerLiveness.standard(System.nanoTime()));
        Peer c = peer(1, "c", C_NETS, UNDERLAY_C, bToC, cAtB);
        tableB = new PeerTable.Builder(tableOf(a, c))
                .local(new LocalAddresses(true, 0xC0000202, true, 0x20010DB8_00000000L, 2L)).build();
        tableC = table(peer(0, "b", viaBFromC, UNDERLAY_B, cToB, PeerLiveness.standard(System.nanoTime())), viaBFromC);
    }

    @AfterEach
    void close() {
        outA.close();
        outB.close();
        sendA.close();
        sendB.close();
        wireAB.close();
        wireBC.close();
        endpoints.forEach(PeerEndpoint::close);
        arena.close();
    }

    @Test
    void bRelaysIpv4AndIpv6FromAToCWithTheHopCountDecremented() {
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.3", "over B".getBytes());
        byte[] v6 = Packets.udp6("2001:db8::1", "2001:db8::3", "over B, v6".getBytes());
        relay(v4);
        relay(v6);

        assertEquals(2, tunC.size(), statsB + " / " + statsC);
        assertTrue(tunB.isEmpty(), "nothing of it went to B's TUN");
        assertEquals(2, statsB.forwarded(), statsB::toString);
        assertEquals(0, statsB.totalDrops(), statsB::toString);
        assertEquals(0, statsC.totalDrops(), statsC::toString);

        byte[] gotV4 = tunC.get(0);
        assertEquals(63, gotV4[8] & 0xFF, "TTL 64 - 1");
        MemorySegment header = MemorySegment.ofArray(gotV4.clone());
        assertEquals(0, InternetChecksum.of(header, 0, 20), "the IPv4 header checksum still verifies");
        byte[] expectedV4 = v4.clone();
        expectedV4[8] = 63;
        expectedV4[10] = gotV4[10];
        expectedV4[11] = gotV4[11];
        assertArrayEquals(expectedV4, gotV4);

        byte[] gotV6 = tunC.get(1);
        byte[] expectedV6 = v6.clone();
        expectedV6[7] = 63;
        assertArrayEquals(expectedV6, gotV6);
    }

    /**
     * A-B is aes256gcm (partial checksums on the wire), B-C chacha20poly1305 (C may be wireguard-go): B
     * completes the checksum before it seals for C, and C delivers a packet whose full checksum verifies, as
     * A's host sent it. And back: what C sends with its full checksum B makes partial for A, after checking it.
     */
    @Test
    void aPacketForwardedFromAesToChachaLeavesWithAFullValidChecksum() {
        Session bToC = new Session(0xB3, 0xC3, Suite.CHACHA20POLY1305, StaticSessions.key(5), StaticSessions.key(6),
                scratchB, System.nanoTime());
        Session cToB = new Session(0xC3, 0xB3, Suite.CHACHA20POLY1305, StaticSessions.key(6), StaticSessions.key(5),
                scratchC, System.nanoTime());
        tableB = new PeerTable.Builder(tableB).put(tableB.peer(1).withSession(bToC)).build();
        tableC = table(tableC.peer(0).withSession(cToB), concat(B_NETS, A_NETS));

        byte[] udp = Packets.udp4("192.0.2.1", "192.0.2.3", "a to c".getBytes());
        byte[] tcp = Packets.tcp4("192.0.2.1", "192.0.2.3", new byte[300]);
        MemorySegment t = MemorySegment.ofArray(tcp);
        t.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 36,
                (short) InternetChecksum.finish(InternetChecksum.add(
                        InternetChecksum.pseudoHeader(t, 0, 6, tcp.length - 20), t, 20, tcp.length - 20)));
        relay(udp);
        relay(tcp);
        assertEquals(2, tunC.size(), statsB + " / " + statsC);
        assertEquals(0, statsB.totalDrops() + statsC.totalDrops(), statsB::toString);
        for (int i = 0; i < 2; i++) {
            byte[] got = tunC.get(i);
            byte[] sent = (i == 0 ? udp : tcp).clone();
            sent[8] = 63;
            sent[10] = got[10];
            sent[11] = got[11];
            assertArrayEquals(sent, got, "the full checksum as A's host made it, packet " + i);
        }

        // C -> B -> A: chacha in, aes out. A's session opens it; the checksum it carries is the partial one.
        inBFromC(Packets.udp4("192.0.2.3", "192.0.2.1", new byte[100]));
        assertEquals(1, toA.size(), statsB::toString);
        MemorySegment back = MemorySegment.ofArray(openAtA(toA.get(0)));
        assertEquals(InternetChecksum.folded(InternetChecksum.pseudoHeader(back, 0, 17, (int) back.byteSize() - 20)),
                back.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 26) & 0xFFFF);
    }

    @Test
    void aPacketWithTtlOneIsDroppedAtTheRelayAndCounted() {
        byte[] v4 = Packets.udp4("192.0.2.1", "192.0.2.3", new byte[10]);
        v4[8] = 1;
        byte[] v6 = Packets.udp6("2001:db8::1", "2001:db8::3", new byte[10]);
        v6[7] = 1;
        relay(v4);
        relay(v6);
        assertEquals(2, statsB.drops(DropReason.HOP_LIMIT), statsB::toString);
        assertEquals(0, statsB.forwarded());
        assertTrue(tunC.isEmpty());

        // B answered each with a time-exceeded from its own address, sealed back to A.
        assertEquals(2, toA.size(), statsB::toString);
        assertEquals(2, statsB.icmpSent());
        byte[] icmp4 = openAtA(toA.get(0));
        assertEquals(0x45, icmp4[0] & 0xFF);
        assertEquals(1, icmp4[9], "ICMP");
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 2}, Arrays.copyOfRange(icmp4, 12, 16), "from B");
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, Arrays.copyOfRange(icmp4, 16, 20), "to A");
        assertEquals(11, icmp4[20], "time exceeded");
        assertEquals(0, icmp4[21], "in transit");
        assertEquals(0, InternetChecksum.of(MemorySegment.ofArray(icmp4), 0, 20));
        assertEquals(0, InternetChecksum.of(MemorySegment.ofArray(icmp4), 20, icmp4.length - 20));
        assertArrayEquals(v4, Arrays.copyOfRange(icmp4, 28, 28 + v4.length), "the dropped packet, quoted");
        byte[] icmp6 = openAtA(toA.get(1));
        assertEquals(58, icmp6[6], "ICMPv6");
        assertEquals(2, icmp6[23], "from 2001:db8::2");
        assertEquals(3, icmp6[40], "hop limit exceeded");
        assertEquals(0, icmp6[41]);
        assertArrayEquals(v6, Arrays.copyOfRange(icmp6, 48, 48 + v6.length));
    }

    @Test
    void anIcmpErrorWithTtlOneGetsNoIcmpBackAndFloodsAreLimited() {
        byte[] error = Packets.udp4("192.0.2.1", "192.0.2.3", new byte[10]);
        error[9] = 1; // ICMP
        error[20] = 11; // itself a time exceeded
        error[8] = 1;
        relay(error);
        assertEquals(1, statsB.drops(DropReason.HOP_LIMIT));
        assertEquals(0, statsB.icmpSent(), "never an error about an error");
        // One instant for B's inbound path: the limit is per second, and a loaded machine may take longer than that
        // to relay the flood.
        long now = System.nanoTime();
        for (int i = 0; i < Forwarder.ICMP_PER_SECOND + 20; i++) {
            byte[] p = Packets.udp4("192.0.2.1", "192.0.2.3", new byte[10]);
            p[8] = 1;
            relay(p, now);
        }
        assertEquals(Forwarder.ICMP_PER_SECOND, statsB.icmpSent(), "rate limited within one second");
    }

    /** Opens a datagram B sent to A with A's session; returns the inner packet. */
    private byte[] openAtA(byte[] datagram) {
        MemorySegment m = arena.allocate(datagram.length);
        MemorySegment.copy(datagram, 0, m, ValueLayout.JAVA_BYTE, 0, datagram.length);
        int r = tableA.peer(0).current().opener().open(m, 0, datagram.length);
        assertTrue(r > 0, "A cannot open it: " + r);
        return m.asSlice(16, r).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void aRouteBackToTheSenderIsALoopNotAForward() {
        // B routes C's address back through A (a misconfiguration): split horizon refuses to send it back.
        RouteTable.Builder routes = new RouteTable.Builder(tableB.routes());
        routes.add(Prefix.parse("192.0.2.3/32"), 0);
        tableB = new PeerTable.Builder(tableB).routes(routes.build()).build();
        relay(Packets.udp4("192.0.2.1", "192.0.2.3", new byte[10]));
        assertEquals(1, statsB.drops(DropReason.LOOP), statsB::toString);
        assertEquals(0, slotsBC);
    }

    @Test
    void aNextHopDeclaredDownCountsNoRouteAndComesBack() {
        cAtB.down(true);
        relay(Packets.udp4("192.0.2.1", "192.0.2.3", new byte[10]));
        assertEquals(1, statsB.drops(DropReason.NO_ROUTE), statsB::toString);
        assertTrue(tunC.isEmpty());
        cAtB.down(false);
        relay(Packets.udp4("192.0.2.1", "192.0.2.3", new byte[10]));
        assertEquals(1, tunC.size(), statsB::toString);
    }

    @Test
    void forwardingStampsLivenessAndCountsPerPeer() {
        long before = cAtB.lastSentNanos();
        relay(Packets.udp4("192.0.2.1", "192.0.2.3", new byte[100]));
        assertTrue(cAtB.unansweredSinceNanos() != PeerLiveness.NONE, "data to C is unanswered so far");
        assertTrue(cAtB.lastSentNanos() - before >= 0);
        // C's packets to A cross B the other way; B hears from C, which answers the data.
        inBFromC(Packets.udp4("192.0.2.3", "192.0.2.1", new byte[100]));
        assertEquals(PeerLiveness.NONE, cAtB.unansweredSinceNanos());
        assertEquals(1, bToAFrames, "C's answer was relayed towards A: " + statsB);
        assertEquals(2, statsB.forwarded());
    }

    @Test
    void theSourceCheckAtTheFarEndAcceptsOnlyPrefixesRoutedViaTheRelay() {
        // A spoofs a source that C does not route back through B: B's own check already refuses it.
        relay(Packets.udp4("192.0.2.9", "192.0.2.3", new byte[10]));
        assertEquals(1, statsB.drops(DropReason.SOURCE_NOT_ALLOWED), statsB::toString);
        assertTrue(tunC.isEmpty());
    }

    /** C sends through B's inbound (B -> A forward is not wired here: A has no inbound path). */
    private void inBFromC(byte[] packet) {
        try (MessageBatch one = new MessageBatch(1, MessageBatch.MAX_BUFFER_SIZE)) {
            // C seals for B with its own session, as C's outbound path would.
            MemorySegment.copy(packet, 0, one.buffer(0), ValueLayout.JAVA_BYTE, 16, packet.length);
            int sealed = tableC.peer(0).current().sealer().seal(one.buffer(0), 0, packet.length);
            one.setLength(0, sealed);
            one.setSegmentSize(0, 0);
            one.remote(0).set(UNDERLAY_C);
            inB.process(tableB, one, 1);
        }
    }

    private void relay(byte[] packet) {
        relay(packet, System.nanoTime());
    }

    /** A's packet out, through B (its inbound path at {@code bNowNanos}), to C. */
    private void relay(byte[] packet, long bNowNanos) {
        new VirtioNetHeader().wrap(tunRead, 0).clear();
        MemorySegment.copy(packet, 0, tunRead, ValueLayout.JAVA_BYTE, VirtioNetHeader.SIZE, packet.length);
        outA.begin(tableA);
        outA.process(tunRead, VirtioNetHeader.SIZE + packet.length);
        outA.flush();
        inB.process(tableB, wireAB, slotsAB, bNowNanos);
        slotsAB = 0;
        inC.process(tableC, wireBC, slotsBC);
        slotsBC = 0;
    }

    private int copy(MessageBatch batch, int count, MessageBatch wire, InetSocketAddress to, InetSocketAddress from,
                     boolean ab) {
        return copy(batch, 0, count, wire, to, from, ab);
    }

    private int copy(MessageBatch batch, int first, int end, MessageBatch wire, InetSocketAddress to,
                     InetSocketAddress from, boolean ab) {
        for (int i = first; i < end; i++) {
            assertEquals(to, batch.remote(i).toInetSocketAddress());
            int slot = ab ? slotsAB++ : slotsBC++;
            MemorySegment.copy(batch.sendSegment(i), batch.sendOffset(i), wire.buffer(slot), 0, batch.length(i));
            wire.setLength(slot, batch.length(i));
            wire.setSegmentSize(slot, batch.segmentSize(i));
            wire.remote(slot).set(from);
        }
        return 0;
    }

    /** B's socket: datagrams for C go on the B-C wire, those for A are counted. */
    private int fromB(MessageBatch batch, int count) {
        for (int i = 0; i < count; i++) {
            if (batch.remote(i).toInetSocketAddress().equals(UNDERLAY_A)) {
                bToAFrames++;
                int segment = batch.segmentSize(i) > 0 ? batch.segmentSize(i) : batch.length(i);
                for (int off = 0; off < batch.length(i); off += segment) {
                    toA.add(batch.sendSegment(i).asSlice(batch.sendOffset(i) + off, Math.min(segment, batch.length(i) - off))
                            .toArray(ValueLayout.JAVA_BYTE));
                }
            } else {
                copy(batch, i, i + 1, wireBC, UNDERLAY_C, UNDERLAY_B, false);
            }
        }
        return 0;
    }

    private Peer peer(int slot, String name, List<String> allowed, InetSocketAddress at, Session s,
                      PeerLiveness liveness) {
        PeerEndpoint e = new PeerEndpoint();
        endpoints.add(e);
        e.set(at);
        return Peer.create(slot, name, allowed.stream().map(Prefix::parse).toList(), e, liveness).withSession(s);
    }

    private static PeerTable table(Peer only, List<String> routes) {
        RouteTable.Builder r = new RouteTable.Builder();
        routes.forEach(p -> r.add(Prefix.parse(p), only.slot()));
        return new PeerTable.Builder().put(only).routes(r.build()).build();
    }

    private static PeerTable tableOf(Peer a, Peer c) {
        RouteTable.Builder r = new RouteTable.Builder();
        A_NETS.forEach(p -> r.add(Prefix.parse(p), a.slot()));
        C_NETS.forEach(p -> r.add(Prefix.parse(p), c.slot()));
        return new PeerTable.Builder().put(a).put(c).routes(r.build()).build();
    }

    private static List<String> concat(List<String> x, List<String> y) {
        List<String> out = new ArrayList<>(x);
        out.addAll(y);
        return out;
    }

    private static TunSink collect(List<byte[]> into) {
        return (buf, off, len) -> into.add(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
    }
}
