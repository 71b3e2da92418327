package net.ipop.dataplane.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;

import com.code_intelligence.jazzer.junit.FuzzTest;

import net.ipop.crypto.Suite;
import net.ipop.crypto.aead.AeadScratch;
import net.ipop.crypto.aead.TransportHeader;
import net.ipop.dataplane.ipc.CommandAdapter;
import net.ipop.dataplane.ipc.CommandListener;
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.packet.InternetChecksum;
import net.ipop.dataplane.packet.Ipv4;
import net.ipop.dataplane.packet.Ipv6;
import net.ipop.dataplane.packet.Segmenter;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.ffm.tun.VirtioNetHeader;
import net.ipop.ffm.udp.MessageBatch;
import net.ipop.ffm.udp.SockAddr;
import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;

/**
 * Fuzz targets for everything in the data plane that reads bytes from the network, from the TUN
 * device or from the control plane: the IP header flyweights, the {@link Segmenter} with
 * virtio-net header fields, the whole inbound path (with a real session installed, so inputs the
 * harness seals decrypt and reach the inner-packet checks, the STUN/handshake classification and
 * the {@link TunCoalescer}), the whole outbound path (TUN reads with any virtio-net header) and
 * the command decoders of the {@link CommandAdapter}, alone and in front of the real conductor.
 *
 * <p>Properties: no exception escapes (the paths count and drop), no read outside the input (the
 * memory handed over is exactly the input's size), frames and datagrams written stay within their
 * limits, and the counters add up. Without {@code JAZZER_FUZZ} each target replays the inputs
 * kept under {@code DataplaneFuzzTestInputs/}; {@code fuzzAll} is what the build fuzzes for a few
 * seconds. See docs/reliability.md, "Fuzzing".
 */
class DataplaneFuzzTest {
    private static final int STRIDE = 1500;
    private static final int MAX_SEGMENTS = 64;
    private static final int MTU = 1420;
    private static final InetSocketAddress UNDERLAY_A = new InetSocketAddress("198.51.100.1", 51820);
    private static final InetSocketAddress UNDERLAY_B = new InetSocketAddress("198.51.100.2", 51820);
    /** Wide enough that random sources pass sometimes, narrow enough that some are refused. */
    private static final List<String> ALLOWED = List.of("192.0.2.0/24", "128.0.0.0/1", "2001:db8::/32");
    private static final List<String> EVERYWHERE = List.of("0.0.0.0/0", "::/0");

    private static final Arena ARENA = Arena.ofShared();
    private static final MemorySegment OUT = ARENA.allocate((long) STRIDE * MAX_SEGMENTS);
    private static final int[] LENGTHS = new int[MAX_SEGMENTS];
    private static final MessageBatch WIRE = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private static final MessageBatch SEND = new MessageBatch(4, MessageBatch.MAX_BUFFER_SIZE);
    private static final PeerEndpoint ENDPOINT_OF_A = new PeerEndpoint();
    private static final PeerEndpoint ENDPOINT_OF_B = new PeerEndpoint();
    private static final PeerEndpoint ENDPOINT_OF_B2 = new PeerEndpoint();
    private static final PeerEndpoint ENDPOINT_OF_A2 = new PeerEndpoint();
    /** Per suite: A's table (the sender, routing everything to B) and B's (the receiver). */
    private static final PeerTable[] SENDERS = new PeerTable[2];
    private static final PeerTable[] RECEIVERS = new PeerTable[2];
    /** The same sessions over TURN relays: A reaches B on channel {@link #CHANNEL} and B reaches A on it too. */
    private static final InetSocketAddress TURN = new InetSocketAddress("203.0.113.3", 3478);
    private static final int CHANNEL = 0x4321;
    private static final PeerEndpoint[] RELAYED_ENDPOINTS = new PeerEndpoint[4];
    private static final PeerTable[] RELAYED_SENDERS = new PeerTable[2];
    private static final PeerTable[] RELAYED_RECEIVERS = new PeerTable[2];
    private static final SockAddr RELAYED_TURN = new SockAddr(ARENA.allocate(SockAddr.MAX_SIZE, 8), 0).set(TURN);
    private static final FrameCheck FRAMES = new FrameCheck();
    private static final PathStats IN_STATS = new PathStats();
    private static final TunCoalescer COALESCER = new TunCoalescer(FRAMES, IN_STATS, true);
    private static final InboundPath INBOUND = new InboundPath(IN_STATS, COALESCER, DataplaneFuzzTest::punted);
    private static final PathStats OUT_STATS = new PathStats();
    private static final OutboundPath OUTBOUND =
            new OutboundPath(OUT_STATS, MTU, true, DataplaneFuzzTest::icmpToTun, DataplaneFuzzTest::sent, SEND);
    private static final CommandAdapter COMMANDS = new CommandAdapter(new ReadEverything());
    private static final ConductorUnderFuzz CONDUCTOR;

    static {
        Suite[] suites = Suite.values();
        PeerEndpoint[] ofB = {ENDPOINT_OF_B, ENDPOINT_OF_B2};
        PeerEndpoint[] ofA = {ENDPOINT_OF_A, ENDPOINT_OF_A2};
        for (int i = 0; i < 2; i++) {
            SENDERS[i] = StaticSessions.side(true, suites[i], new AeadScratch(), ofB[i], UNDERLAY_B, EVERYWHERE,
                    EVERYWHERE);
            RECEIVERS[i] = StaticSessions.side(false, suites[i], new AeadScratch(), ofA[i], UNDERLAY_A, ALLOWED,
                    ALLOWED);
            RELAYED_ENDPOINTS[2 * i] = new PeerEndpoint();
            RELAYED_ENDPOINTS[2 * i + 1] = new PeerEndpoint();
            PeerTable sender = StaticSessions.side(true, suites[i], new AeadScratch(), RELAYED_ENDPOINTS[2 * i],
                    UNDERLAY_B, EVERYWHERE, EVERYWHERE);
            PeerTable receiver = StaticSessions.side(false, suites[i], new AeadScratch(), RELAYED_ENDPOINTS[2 * i + 1],
                    UNDERLAY_A, ALLOWED, ALLOWED);
            RELAYED_ENDPOINTS[2 * i].setRelayed(UNDERLAY_B, TURN, CHANNEL);
            RELAYED_ENDPOINTS[2 * i + 1].setRelayed(UNDERLAY_A, TURN, CHANNEL);
            RELAYED_SENDERS[i] = new PeerTable.Builder(sender).build();
            RELAYED_RECEIVERS[i] = new PeerTable.Builder(receiver).build();
        }
        try {
            CONDUCTOR = new ConductorUnderFuzz();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @AfterAll
    static void free() throws IOException {
        CONDUCTOR.close();
        OUTBOUND.close();
        COALESCER.close();
        WIRE.close();
        SEND.close();
        ENDPOINT_OF_A.close();
        ENDPOINT_OF_B.close();
        ENDPOINT_OF_A2.close();
        ENDPOINT_OF_B2.close();
        for (PeerEndpoint e : RELAYED_ENDPOINTS) {
            e.close();
        }
        ARENA.close();
    }

    @FuzzTest
    void ipv4(byte[] data) {
        MemorySegment s = MemorySegment.ofArray(data.clone());
        if (!Ipv4.valid(s, 0, data.length)) {
            return;
        }
        int ihl = Ipv4.headerLength(s, 0);
        int total = Ipv4.totalLength(s, 0);
        assertTrue(ihl >= Ipv4.MIN_HEADER && ihl <= total && total <= data.length);
        Ipv4.protocol(s, 0);
        Ipv4.src(s, 0);
        Ipv4.dst(s, 0);
        Ipv4.dontFragment(s, 0);
        Ipv4.laterFragment(s, 0);
        Ipv4.fixHeaderChecksum(s, 0);
        assertEquals(0, InternetChecksum.of(s, 0, ihl), "a fixed header checksum verifies");
    }

    @FuzzTest
    void ipv6(byte[] data) {
        MemorySegment s = MemorySegment.ofArray(data.clone());
        if (!Ipv6.valid(s, 0, data.length)) {
            return;
        }
        assertTrue(Ipv6.HEADER + Ipv6.payloadLength(s, 0) <= data.length);
        Ipv6.nextHeader(s, 0);
        Ipv6.srcHi(s, 0);
        Ipv6.srcLo(s, 0);
        Ipv6.dstHi(s, 0);
        Ipv6.dstLo(s, 0);
    }

    /** Input: the 10 bytes of a {@code struct virtio_net_hdr} (any values), then the packet. */
    @FuzzTest
    void segmenter(byte[] data) {
        if (data.length < VirtioNetHeader.SIZE) {
            return;
        }
        MemorySegment whole = MemorySegment.ofArray(data.clone());
        VirtioNetHeader h = new VirtioNetHeader().wrap(whole, 0);
        MemorySegment in = whole.asSlice(VirtioNetHeader.SIZE);
        int n = Segmenter.segment(in, 0, (int) in.byteSize(), h.gsoType(), h.gsoSize(),
                (h.flags() & VirtioNetHeader.F_NEEDS_CSUM) != 0, h.csumStart(), h.csumOffset(),
                OUT, 0, STRIDE, LENGTHS);
        if (n == Segmenter.MALFORMED) {
            return;
        }
        assertTrue(n >= 1 && n <= MAX_SEGMENTS, "segment count " + n);
        for (int i = 0; i < n; i++) {
            assertTrue(LENGTHS[i] >= 0 && LENGTHS[i] <= STRIDE, "segment length " + LENGTHS[i]);
        }
    }

    /**
     * Input: a flags byte (bit 0: suite; bit 1: seal every datagram with the peer's real session so
     * it decrypts; bit 2: arrive from a new source port, a roam; bit 3: the peer is relayed and the
     * datagrams come from its TURN server, sealed ones framed as ChannelData on its channel), then up to
     * four slots, each a 2-byte length, a 2-byte GRO segment size and the bytes (plaintext when sealing).
     */
    @FuzzTest
    void inbound(byte[] data) {
        if (data.length < 1) {
            return;
        }
        int flags = data[0];
        int suite = flags & 1;
        boolean seal = (flags & 2) != 0;
        boolean relayed = (flags & 8) != 0;
        int framing = relayed ? ChannelData.HEADER_LENGTH : 0;
        ByteBuffer in = ByteBuffer.wrap(data, 1, data.length - 1);
        int slots = 0;
        while (slots < WIRE.capacity() && in.remaining() >= 4) {
            int wanted = in.getShort() & 0xFFFF;
            int segment = in.getShort() & 0xFFFF;
            int length = Math.min(wanted, in.remaining());
            MemorySegment buffer = WIRE.buffer(slots);
            if (seal) {
                length = Math.min(length, MessageBatch.MAX_BUFFER_SIZE - TransportHeader.OVERHEAD - framing);
                MemorySegment.copy(data, in.position(), buffer, ValueLayout.JAVA_BYTE,
                        framing + TransportHeader.LENGTH, length);
                int sealed = SENDERS[suite].peer(0).current().sealer().seal(buffer, framing, length);
                if (relayed) {
                    ChannelData.writeHeader(buffer, 0, CHANNEL, sealed);
                }
                WIRE.setLength(slots, framing + sealed);
                WIRE.setSegmentSize(slots, 0);
            } else {
                MemorySegment.copy(data, in.position(), buffer, ValueLayout.JAVA_BYTE, 0, length);
                WIRE.setLength(slots, length);
                WIRE.setSegmentSize(slots, segment);
            }
            in.position(in.position() + length);
            WIRE.remote(slots).set(relayed ? TURN
                    : (flags & 4) == 0 ? UNDERLAY_A : new InetSocketAddress("198.51.100.1", 4242));
            slots++;
        }
        long before = IN_STATS.datagramsReceived();
        long droppedBefore = IN_STATS.totalDrops();
        long handledBefore = IN_STATS.messagesOpened() + IN_STATS.punted();
        INBOUND.process(relayed ? RELAYED_RECEIVERS[suite] : RECEIVERS[suite], WIRE, slots);
        long received = IN_STATS.datagramsReceived() - before;
        long accounted = IN_STATS.totalDrops() - droppedBefore + IN_STATS.messagesOpened() + IN_STATS.punted()
                - handledBefore;
        // A coalesced write that fails later counts extra drops, so ">=": every datagram is accounted for.
        assertTrue(accounted >= received, "datagrams " + received + " but accounted " + accounted);
    }

    /**
     * Input: one TUN read, virtio-net header first (any gso type, size and checksum offsets); every
     * destination routes to a peer with a session, so a packet that parses is segmented and sealed.
     * The first byte picks the suite (bit 0) and whether the peer is reached through a TURN relay (bit 1).
     */
    @FuzzTest
    void outbound(byte[] data) {
        if (data.length < 1) {
            return;
        }
        MemorySegment read = MemorySegment.ofArray(Arrays.copyOfRange(data, 1, data.length));
        OUTBOUND.begin(((data[0] & 2) != 0 ? RELAYED_SENDERS : SENDERS)[data[0] & 1]);
        OUTBOUND.process(read, data.length - 1);
        OUTBOUND.flush();
    }

    /**
     * Input: a flags byte, then packets as 2-byte length + bytes; only packets the inbound path would
     * hand on (a valid IPv4/IPv6 header, written with its own total length) reach the coalescer. With
     * flag bit 0 the first TCP or UDP packet is repeated as a train of in-order segments, payload sizes from
     * the following bytes, so the merge logic gets exercised and not only its refusals.
     */
    @FuzzTest
    void coalescer(byte[] data) {
        if (data.length < 1) {
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(data, 1, data.length - 1);
        byte[] first = null;
        while (in.remaining() >= 2) {
            int length = Math.min(in.getShort() & 0xFFFF, in.remaining());
            byte[] packet = new byte[length];
            in.get(packet);
            if (writeIfValid(packet) && first == null) {
                first = packet;
            }
            if ((data[0] & 1) != 0 && first != null) {
                train(first, in);
                break;
            }
        }
        COALESCER.flush();
    }

    /**
     * Repeats {@code template} with advancing sequence numbers (TCP) or as more datagrams of its flow
     * (UDP, the length field following the size); sizes and flags from {@code in}.
     */
    private static void train(byte[] template, ByteBuffer in) {
        MemorySegment t = MemorySegment.ofArray(template);
        int version = (template[0] & 0xFF) >>> 4;
        int ipHeader = version == 4 ? Ipv4.headerLength(t, 0) : Ipv6.HEADER;
        int proto = version == 4 ? Ipv4.protocol(t, 0) : Ipv6.nextHeader(t, 0);
        int ipTotal = version == 4 ? Ipv4.totalLength(t, 0) : Ipv6.HEADER + Ipv6.payloadLength(t, 0);
        boolean udp = proto == Ipv4.PROTO_UDP;
        if ((proto != Ipv4.PROTO_TCP || ipTotal < ipHeader + 20) && (!udp || ipTotal < ipHeader + 8)) {
            return;
        }
        int transportHeader = udp ? 8 : (template[ipHeader + 12] & 0xF0) >>> 2;
        int headers = ipHeader + transportHeader;
        if (transportHeader < (udp ? 8 : 20) || headers > ipTotal) {
            return;
        }
        ValueLayout.OfShort u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        int seq = t.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), ipHeader + 4);
        seq += ipTotal - headers;
        while (in.remaining() >= 2) {
            int payload = in.get() & 0xFF;
            int flags = in.get();
            byte[] p = Arrays.copyOf(template, headers + payload * 8);
            MemorySegment s = MemorySegment.ofArray(p);
            if (version == 4) {
                s.set(u16, 2, (short) p.length);
                Ipv4.fixHeaderChecksum(s, 0);
            } else {
                s.set(u16, 4, (short) (p.length - Ipv6.HEADER));
            }
            if (udp) {
                s.set(u16, ipHeader + 4, (short) (p.length - ipHeader));
            } else {
                s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), ipHeader + 4, seq);
                if (flags < 0) {
                    p[ipHeader + 13] = (byte) (flags & 0x3F);
                }
                seq += payload * 8;
            }
            writeIfValid(p);
        }
    }

    private static boolean writeIfValid(byte[] packet) {
        MemorySegment s = MemorySegment.ofArray(packet);
        int version = packet.length == 0 ? 0 : (packet[0] & 0xFF) >>> 4;
        if (version == 4 && Ipv4.valid(s, 0, packet.length)) {
            COALESCER.write(s, 0, Ipv4.totalLength(s, 0));
            return true;
        }
        if (version == 6 && Ipv6.valid(s, 0, packet.length)) {
            COALESCER.write(s, 0, Ipv6.HEADER + Ipv6.payloadLength(s, 0));
            return true;
        }
        return false;
    }

    /**
     * Input: one message as the command subscription would deliver it. First a listener that reads
     * every field, variable-length data and groups included: a message must be dispatched or
     * skipped, and reading it must stay inside it. Then the real conductor: a message it is handed
     * must be answered with a CommandResult (OK or an error), never with an exception.
     */
    @FuzzTest
    void commands(byte[] data) {
        UnsafeBuffer buffer = new UnsafeBuffer(data);
        long before = COMMANDS.dispatched() + COMMANDS.skipped();
        COMMANDS.onFragment(buffer, 0, data.length, null);
        assertEquals(before + 1, COMMANDS.dispatched() + COMMANDS.skipped(), "neither dispatched nor skipped");
        assertTrue(CONDUCTOR.command(buffer, 0, data.length), "a dispatched command got no CommandResult");
    }

    /** Every target above on one input (the first byte picks), for the bounded run in the build. */
    @FuzzTest
    void fuzzAll(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        switch (Byte.toUnsignedInt(data[0]) % 7) {
            case 0 -> ipv4(rest);
            case 1 -> ipv6(rest);
            case 2 -> segmenter(rest);
            case 3 -> inbound(rest);
            case 4 -> outbound(rest);
            case 5 -> coalescer(rest);
            default -> commands(rest);
        }
    }

    private static void punted(MemorySegment buffer, long offset, int length, SockAddr source) {
        assertTrue(length >= 4 && offset + length <= buffer.byteSize(), "punted " + length + " bytes");
    }

    private static boolean icmpToTun(MemorySegment buffer, long offset, int length) {
        assertTrue(length > 0 && length <= Ipv6.MIN_MTU && offset + length <= buffer.byteSize(), "ICMP " + length);
        return true;
    }

    private static int sent(MessageBatch batch, int count) {
        for (int i = 0; i < count; i++) {
            int length = batch.length(i);
            assertTrue(length >= TransportHeader.OVERHEAD && length <= batch.bufferSize(), "datagram " + length);
            assertTrue(batch.segmentSize(i) <= MTU + TransportHeader.OVERHEAD + ChannelData.HEADER_LENGTH,
                    "gso size " + batch.segmentSize(i));
            if (batch.remote(i).sameEndpoint(RELAYED_TURN)) {
                MemorySegment sent = batch.sendSegment(i);
                long at = batch.sendOffset(i);
                int segment = batch.segmentSize(i) == 0 ? length : batch.segmentSize(i);
                for (int off = 0; off < length; off += segment) {
                    int datagram = Math.min(segment, length - off);
                    assertEquals(CHANNEL, ChannelData.channel(sent, at + off), "channel");
                    assertEquals(datagram - ChannelData.HEADER_LENGTH, ChannelData.length(sent, at + off), "length");
                }
            }
        }
        return 0;
    }

    /** Checks each TUN frame: a virtio-net header and a packet whose IP length is the frame's. */
    private static final class FrameCheck implements TunFrameSink {
        private final VirtioNetHeader header = new VirtioNetHeader();

        @Override
        public boolean writeFrame(MemorySegment frame, int length) {
            assertTrue(length > VirtioNetHeader.SIZE && length <= VirtioNetHeader.SIZE + 65535, "frame " + length);
            header.wrap(frame, 0);
            if (header.gsoType() != VirtioNetHeader.GSO_NONE) {
                long ip = VirtioNetHeader.SIZE;
                int version = (frame.get(ValueLayout.JAVA_BYTE, ip) & 0xFF) >>> 4;
                int ipLength = version == 4 ? Ipv4.totalLength(frame, ip) : Ipv6.HEADER + Ipv6.payloadLength(frame, ip);
                assertEquals(length - VirtioNetHeader.SIZE, ipLength, "super-packet IP length");
                assertTrue(header.gsoSize() > 0 && header.csumStart() + header.csumOffset() + 2 <= ipLength,
                        "gso header");
                if (header.gsoType() == VirtioNetHeader.GSO_UDP_L4) {
                    int udpLength = frame.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN),
                            ip + header.csumStart() + 4) & 0xFFFF;
                    assertEquals(ipLength - header.csumStart(), udpLength, "UDP length of a UDP super-packet");
                }
            }
            return true;
        }
    }

    /** Reads every field of every command, the way a listener that uses them all would. */
    private static final class ReadEverything implements CommandListener {
        private final StringBuilder sink = new StringBuilder();

        private void read(Object decoder) {
            sink.setLength(0);
            sink.append(decoder); // the generated toString decodes each field and all variable data
        }

        @Override
        public void onConfigureInterface(ConfigureInterfaceDecoder command) {
            read(command);
        }

        @Override
        public void onAddPeer(AddPeerDecoder command) {
            read(command);
        }

        @Override
        public void onRemovePeer(RemovePeerDecoder command) {
            read(command);
        }

        @Override
        public void onSetEndpoint(SetEndpointDecoder command) {
            read(command);
        }

        @Override
        public void onInstallSession(InstallSessionDecoder command) {
            read(command);
        }

        @Override
        public void onRetireSession(RetireSessionDecoder command) {
            read(command);
        }

        @Override
        public void onAddRoute(AddRouteDecoder command) {
            read(command);
        }

        @Override
        public void onRemoveRoute(RemoveRouteDecoder command) {
            read(command);
        }

        @Override
        public void onInjectPacket(InjectPacketDecoder command) {
            read(command);
        }

        @Override
        public void onQueryState(QueryStateDecoder command) {
            read(command);
        }
    }
}
