package net.ipop.dataplane.conductor;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import net.ipop.dataplane.ipc.CommandListener;
import net.ipop.dataplane.ipc.EventProxy;
import net.ipop.dataplane.packet.ChannelData;
import net.ipop.dataplane.ipc.SessionState;
import net.ipop.dataplane.route.Prefix;
import net.ipop.dataplane.route.RouteTable;
import net.ipop.dataplane.route.RouteTraffic;
import net.ipop.dataplane.session.Peer;
import net.ipop.dataplane.session.LocalAddresses;
import net.ipop.dataplane.session.PeerEndpoint;
import net.ipop.dataplane.session.PeerLiveness;
import net.ipop.dataplane.session.PeerTable;
import net.ipop.dataplane.session.PeerTableHolder;
import net.ipop.dataplane.session.Session;
import net.ipop.dataplane.stats.CountersFileWriter;
import net.ipop.ffm.netlink.IpPrefix;
import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.BooleanType;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.EndpointDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.PathKind;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.Result;
import net.ipop.ipc.sbe.RouteKind;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SessionEventKind;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.SetTrafficReportDecoder;
import net.ipop.ipc.sbe.Suite;

/**
 * The data plane's slow path and the single writer of its tables: applies each command from the control plane
 * to its own records, builds the next immutable {@link PeerTable} and publishes it through the
 * {@link PeerTableHolder} (a release store; pipelines load it with an acquire per batch), and answers every
 * command with one CommandResult (errors carry a detail text naming what was wrong).
 *
 * <p>Lifetimes: a session or endpoint that leaves the table may still be in use by a pipeline holding the
 * previous snapshot, so it is closed only {@link #RETIRE_GRACE_NANOS} later (many pipeline batches); a removed
 * peer's slot is reused only after the same grace, so late counting of its old snapshot never lands on a new
 * peer. Peer counters are allocated in the counters file on AddPeer and freed on RemovePeer.
 *
 * <p>Liveness: each peer has a {@link PeerLiveness} (its AddPeer keepalive interval, timestamps the pipeline
 * keeps); the conductor's {@link LivenessMonitor} is the only writer of its down flag, which makes the peer's
 * routes count NO_ROUTE without a new snapshot, and asks the control plane for a new handshake with a REKEY_DUE
 * session event. An installed session counts as fresh contact.
 *
 * <p>Routes and sources: a peer's allowed inner sources (its snapshot's source table) are the prefixes routed to
 * it with {@code ROUTE_AND_SOURCE} (WireGuard's allowed IPs, AddRoute's default) plus its {@code SOURCE_ONLY}
 * entries; a {@code ROUTE_ONLY} route accepts nothing. With hop-by-hop routing the path from a node need not be
 * the reverse of the path to it, so a prefix may be accepted from several peers while routed to one.
 *
 * <p>Threading: every method runs on the conductor thread: {@link CommandListener} calls come from a
 * {@link net.ipop.dataplane.ipc.CommandAgent} composed onto the same thread, and {@link #doWork()} does the
 * housekeeping (counters heartbeat, deferred closes, session events and expiry through a {@link SessionWatch}).
 * Slow path: allocates freely.
 */
public final class Conductor implements Agent, CommandListener {
    /** How long a retired session or endpoint stays open after leaving the table. */
    static final long RETIRE_GRACE_NANOS = 1_000_000_000L;
    private static final int KEY_LENGTH = 32;

    private final DataPath dataPath;
    private final PeerTableHolder tables;
    private final CountersFileWriter counters;
    private final EventProxy events;
    private final NanoClock clock;
    private final Consumer<String> log;
    private final int maxPeers;
    private final Map<Long, PeerEntry> peers = new HashMap<>();
    private final Map<Prefix, Long> routes = new LinkedHashMap<>();
    /** Routes added as ROUTE_ONLY: their peer does not accept the prefix as a source. */
    private final Set<Prefix> routeOnly = new HashSet<>();
    /** Each routed prefix's sent bytes, per pipeline; kept while the prefix stays routed. */
    private final Map<Prefix, RouteTraffic> routeTraffic = new HashMap<>();
    /** SOURCE_ONLY entries by peer id. */
    private final Map<Long, Set<Prefix>> sources = new HashMap<>();
    private final boolean[] slotBusy;
    private final ArrayDeque<Retired> retired = new ArrayDeque<>();
    private final UnsafeBuffer injectBuffer = new UnsafeBuffer(new byte[65536]);
    private final byte[] address = new byte[16];
    private final SessionWatch sessionWatch;
    private final LivenessMonitor liveness;
    private final TrafficWatch trafficWatch;
    /** The interface's first IPv4 and IPv6 address: where a relay's ICMP errors come from. */
    private LocalAddresses local = LocalAddresses.NONE;

    /**
     * @param maxPeers the number of peer slots (the counters file must have room for as many)
     * @param log      receives one line per state change (never per packet)
     */
    public Conductor(DataPath dataPath, PeerTableHolder tables, CountersFileWriter counters, EventProxy events,
            NanoClock clock, int maxPeers, Consumer<String> log) {
        this(dataPath, tables, counters, events, clock, maxPeers, LivenessMonitor.DEFAULT_DEAD_AFTER_NANOS, log);
    }

    /**
     * @param deadPeerAfterNanos how long data sent to a peer may go unanswered before it is declared down
     *                           (its routes count NO_ROUTE until it answers); see {@link LivenessMonitor}
     */
    public Conductor(DataPath dataPath, PeerTableHolder tables, CountersFileWriter counters, EventProxy events,
            NanoClock clock, int maxPeers, long deadPeerAfterNanos, Consumer<String> log) {
        this.liveness = new LivenessMonitor(deadPeerAfterNanos, this::peerDown, this::peerUp, log);
        this.dataPath = dataPath;
        this.tables = tables;
        this.counters = counters;
        this.events = events;
        this.clock = clock;
        this.maxPeers = maxPeers;
        this.slotBusy = new boolean[maxPeers];
        this.log = log;
        this.sessionWatch = new SessionWatch(peers, events, this::expire);
        this.trafficWatch = new TrafficWatch(routes, routeTraffic, events);
    }

    private record Retired(long dueNanos, AutoCloseable resource, int slot) {
    }

    @Override
    public int doWork() {
        int work = counters.doWork();
        long now = clock.nanoTime();
        work += sessionWatch.poll(now);
        work += liveness.check(peers.values(), now);
        work += trafficWatch.poll(now);
        while (!retired.isEmpty() && now - retired.peekFirst().dueNanos() >= 0) {
            Retired r = retired.pollFirst();
            if (r.resource() != null) {
                try {
                    r.resource().close();
                } catch (Exception e) {
                    log.accept("closing a retired " + r.resource() + " failed: " + e);
                }
            }
            if (r.slot() >= 0) {
                slotBusy[r.slot()] = false;
            }
            work++;
        }
        return work;
    }

    @Override
    public void onConfigureInterface(ConfigureInterfaceDecoder command) {
        long id = command.correlationId();
        int mtu = command.mtu();
        List<IpPrefix> addresses = new ArrayList<>();
        for (ConfigureInterfaceDecoder.AddressesDecoder a : command.addresses()) {
            int length = a.prefixLength();
            InetAddress ip = address(a.family(), a::getAddress);
            if (ip == null || length > (a.family() == AddressFamily.IPV4 ? 32 : 128)) {
                events.commandResult(id, Result.BAD_ARGUMENT, "address " + addresses.size() + ": family "
                        + a.family() + " with prefix length " + length + " is not an IPv4 (/0-32) or IPv6 (/0-128)"
                        + " prefix");
                return;
            }
            addresses.add(new IpPrefix(ip, length));
        }
        if (mtu < 1280 || mtu > 65535 - 80) {
            events.commandResult(id, Result.BAD_ARGUMENT, "mtu " + mtu + " outside 1280..65455");
            return;
        }
        try {
            dataPath.configure(mtu, addresses);
        } catch (IllegalArgumentException e) {
            events.commandResult(id, Result.BAD_ARGUMENT, e.getMessage());
            return;
        } catch (Exception e) {
            events.commandResult(id, Result.FAILED, "configuring the interface failed: " + e);
            return;
        }
        local = localAddresses(addresses);
        publish(build());
        log.accept("interface configured: mtu " + mtu + ", addresses " + addresses);
        events.commandResult(id, Result.OK);
    }

    @Override
    public void onAddPeer(AddPeerDecoder command) {
        long id = command.correlationId();
        long peerId = command.peerId();
        net.ipop.crypto.Suite suite = suite(command.suite());
        String name = command.name();
        if (suite == null) {
            events.commandResult(id, Result.BAD_ARGUMENT, "peer " + peerId + ": unknown suite " + command.suiteRaw());
            return;
        }
        int keepaliveMs = (int) Math.min(Integer.MAX_VALUE, command.keepaliveIntervalMs());
        byte[] staticKey = new byte[KEY_LENGTH];
        command.getStaticPublicKey(staticKey, 0, KEY_LENGTH);
        PeerEntry existing = peers.get(peerId);
        if (existing != null) {
            existing.name = name;
            existing.staticKey = staticKey;
            if (existing.keepaliveMs != keepaliveMs) {
                existing.keepaliveMs = keepaliveMs;
                existing.liveness = newLiveness(keepaliveMs);
                publish(build());
            }
            events.commandResult(id, Result.OK, "updated");
            return;
        }
        int slot = freeSlot();
        if (slot < 0) {
            events.commandResult(id, Result.TABLE_FULL, "all " + maxPeers + " peer slots are in use");
            return;
        }
        PeerEntry entry = new PeerEntry(peerId, slot, name, new PeerEndpoint(), newLiveness(keepaliveMs), keepaliveMs,
                clock.nanoTime());
        entry.staticKey = staticKey;
        slotBusy[slot] = true;
        peers.put(peerId, entry);
        if (!counters.addPeer(slot, peerId, name)) {
            log.accept("counters file full: peer " + peerId + " goes uncounted");
        }
        publish(build());
        log.accept("peer added: " + peerId + " '" + name + "' in slot " + slot
                + (keepaliveMs > 0 ? ", persistent keepalive every " + keepaliveMs + " ms" : ""));
        events.commandResult(id, Result.OK);
    }

    /** The peer a command names, or null after answering the command UNKNOWN_PEER (slow path). */
    private PeerEntry peerOrRefuse(long correlationId, long peerId, String context) {
        PeerEntry entry = peers.get(peerId);
        if (entry == null) {
            events.commandResult(correlationId, Result.UNKNOWN_PEER, context + "no peer " + peerId);
        }
        return entry;
    }

    @Override
    public void onRemovePeer(RemovePeerDecoder command) {
        long id = command.correlationId();
        PeerEntry entry = peers.remove(command.peerId());
        if (entry == null) {
            events.commandResult(id, Result.UNKNOWN_PEER, "no peer " + command.peerId());
            return;
        }
        List<Prefix> gone = new ArrayList<>();
        routes.forEach((prefix, peer) -> {
            if (peer == entry.id) {
                gone.add(prefix);
            }
        });
        gone.forEach(routes::remove);
        gone.forEach(routeOnly::remove);
        gone.forEach(routeTraffic::remove);
        sources.remove(entry.id);
        publish(build());
        for (Prefix p : gone) {
            try {
                dataPath.removeRoute(ipPrefix(p));
            } catch (Exception e) {
                log.accept("route " + p + " left in the kernel: " + e);
            }
        }
        counters.removePeer(entry.slot);
        retire(entry.current);
        retire(entry.previous);
        retire(entry.endpoint);
        retired.addLast(new Retired(clock.nanoTime() + RETIRE_GRACE_NANOS, null, entry.slot));
        log.accept("peer removed: " + entry.id + " '" + entry.name + "'");
        events.commandResult(id, Result.OK);
    }

    @Override
    public void onSetEndpoint(SetEndpointDecoder command) {
        long id = command.correlationId();
        PeerEntry entry = peerOrRefuse(id, command.peerId(), "");
        if (entry == null) {
            return;
        }
        EndpointDecoder e = command.endpoint();
        InetAddress ip = address(e.family(), e::getAddress);
        if (ip == null || e.port() == 0 || command.path() == PathKind.NULL_VAL) {
            events.commandResult(id, Result.BAD_ARGUMENT, "peer " + entry.id + ": endpoint family " + e.family()
                    + " port " + e.port() + " path " + command.path() + " is not an IPv4/IPv6 address, port and path");
            return;
        }
        // Version 1 senders have no relay fields: channel reads as its null value, i.e. not relayed.
        int channel = command.channel();
        boolean relayed = channel != 0 && channel != SetEndpointDecoder.channelNullValue();
        InetAddress relayIp = null;
        int relayPort = 0;
        if (relayed) {
            EndpointDecoder r = command.relayServer();
            relayIp = r == null ? null : address(r.family(), r::getAddress);
            relayPort = r == null ? 0 : r.port();
            if (!ChannelData.validChannel(channel) || relayIp == null || relayPort == 0) {
                events.commandResult(id, Result.BAD_ARGUMENT, "peer " + entry.id + ": TURN channel " + channel
                        + " via relay server " + (relayIp == null ? "(none)" : relayIp.getHostAddress()) + " port "
                        + relayPort
                        + " needs a channel in 0x4000-0x4FFF and an IPv4/IPv6 address and port");
                return;
            }
        }
        // The old endpoint may be read by a pipeline right now: a fresh one is set up before it is published.
        PeerEndpoint old = entry.endpoint;
        InetSocketAddress peerAddress = new InetSocketAddress(ip, e.port());
        entry.endpoint = relayed
                ? new PeerEndpoint().setRelayed(peerAddress, new InetSocketAddress(relayIp, relayPort), channel)
                : new PeerEndpoint().set(peerAddress);
        entry.path = command.path();
        publish(build());
        retire(old);
        log.accept("endpoint of peer " + entry.id + ": " + ip.getHostAddress() + " port " + e.port() + " "
                + entry.path + (relayed ? " through TURN server " + relayIp.getHostAddress() + " port " + relayPort
                + " channel 0x" + Integer.toHexString(channel) : ""));
        events.commandResult(id, Result.OK);
    }

    @Override
    public void onInstallSession(InstallSessionDecoder command) {
        long id = command.correlationId();
        PeerEntry entry = peerOrRefuse(id, command.peerId(), "");
        if (entry == null) {
            return;
        }
        int localIndex = (int) command.localIndex();
        int remoteIndex = (int) command.remoteIndex();
        net.ipop.crypto.Suite suite = suite(command.suite());
        if (suite == null || localIndex == 0) {
            events.commandResult(id, Result.BAD_ARGUMENT, "peer " + entry.id + ": suite " + command.suiteRaw()
                    + " and local index " + Integer.toUnsignedString(localIndex) + " must be a known suite and non-zero");
            return;
        }
        if (!dataPath.configured()) {
            events.commandResult(id, Result.FAILED, "no pipeline yet: send ConfigureInterface first");
            return;
        }
        byte[] sendKey = new byte[KEY_LENGTH];
        byte[] receiveKey = new byte[KEY_LENGTH];
        command.getSendKey(sendKey, 0, KEY_LENGTH);
        command.getReceiveKey(receiveKey, 0, KEY_LENGTH);
        Session session = new Session(localIndex, remoteIndex, suite, sendKey, receiveKey,
                dataPath.scratch(entry.slot), dataPath.sealScratches(entry.slot), command.createdAtNanos());
        Arrays.fill(sendKey, (byte) 0);
        Arrays.fill(receiveKey, (byte) 0);
        if (command.initiator() != BooleanType.TRUE) {
            session.awaitingConfirmation();
        } else {
            session.announcing();
        }
        Session oldCurrent = entry.current;
        Session oldPrevious = entry.previous;
        boolean oldCurrentInitiator = entry.currentInitiator;
        entry.previous = oldCurrent;
        entry.current = session;
        entry.previousInitiator = oldCurrentInitiator;
        entry.currentInitiator = command.initiator() == BooleanType.TRUE;
        PeerTable next;
        try {
            next = build();
        } catch (IllegalArgumentException e) {
            entry.current = oldCurrent;
            entry.previous = oldPrevious;
            entry.currentInitiator = oldCurrentInitiator;
            session.close();
            events.commandResult(id, Result.BAD_ARGUMENT, "peer " + entry.id + ": " + e.getMessage());
            return;
        }
        publish(next);
        retire(oldPrevious);
        sessionWatch.installed(entry, session, command.initiator() == BooleanType.TRUE, clock.nanoTime());
        liveness.contact(entry, clock.nanoTime());
        log.accept("session installed: peer " + entry.id + " local index " + Integer.toUnsignedString(localIndex)
                + " remote index " + Integer.toUnsignedString(remoteIndex) + " " + suite);
        events.commandResult(id, Result.OK);
    }

    /**
     * Retiring the previous session drops only it. Retiring the current one drops the previous as well: a
     * {@link Peer} has no receive-only slot, and promoting the older key to sending would be worse.
     */
    @Override
    public void onRetireSession(RetireSessionDecoder command) {
        long id = command.correlationId();
        PeerEntry entry = peerOrRefuse(id, command.peerId(), "");
        if (entry == null) {
            return;
        }
        int localIndex = (int) command.localIndex();
        if (!drop(entry, localIndex)) {
            events.commandResult(id, Result.BAD_ARGUMENT, "peer " + entry.id + " has no session with local index "
                    + Integer.toUnsignedString(localIndex));
            return;
        }
        log.accept("session retired: peer " + entry.id + " local index " + Integer.toUnsignedString(localIndex));
        events.commandResult(id, Result.OK);
    }

    /**
     * Drops the session with {@code localIndex} from the peer (the current one takes the previous with it, see
     * {@link #onRetireSession}), publishes the table and retires what left it; false if there is no such session.
     */
    private boolean drop(PeerEntry entry, int localIndex) {
        if (entry.previous != null && entry.previous.localIndex() == localIndex) {
            Session s = entry.previous;
            entry.previous = null;
            entry.previousInitiator = false;
            publish(build());
            retire(s);
        } else if (entry.current != null && entry.current.localIndex() == localIndex) {
            Session c = entry.current;
            Session p = entry.previous;
            entry.currentInitiator = false;
            entry.previousInitiator = false;
            entry.current = null;
            entry.previous = null;
            publish(build());
            retire(c);
            retire(p);
        } else {
            return false;
        }
        return true;
    }

    /** The {@link SessionWatch}'s expiry: a session too old or worn out to use leaves the table. */
    private void expire(PeerEntry entry, Session session) {
        if (drop(entry, session.localIndex())) {
            log.accept("session expired: peer " + entry.id + " local index "
                    + Integer.toUnsignedString(session.localIndex()));
        }
    }

    @Override
    public void onAddRoute(AddRouteDecoder command) {
        long id = command.correlationId();
        Prefix prefix = prefix(command.family(), command::getAddress, command.prefixLength());
        if (prefix == null) {
            events.commandResult(id, Result.BAD_ARGUMENT, "route: family " + command.family() + " prefix length "
                    + command.prefixLength() + " is not an IPv4 (/0-32) or IPv6 (/0-128) prefix");
            return;
        }
        PeerEntry entry = peerOrRefuse(id, command.peerId(), "route " + prefix + ": ");
        if (entry == null) {
            return;
        }
        RouteKind kind = command.kind();
        if (kind == RouteKind.SOURCE_ONLY) {
            // No kernel route: the prefix is reached through some other peer (or not at all from here).
            sources.computeIfAbsent(entry.id, k -> new LinkedHashSet<>()).add(prefix);
            publish(build());
            log.accept("source added: " + prefix + " from peer " + entry.id);
            events.commandResult(id, Result.OK);
            return;
        }
        if (kind == RouteKind.SBE_UNKNOWN) {
            events.commandResult(id, Result.BAD_ARGUMENT, "route " + prefix + ": unknown kind " + command.kindRaw());
            return;
        }
        try {
            dataPath.addRoute(ipPrefix(prefix));
        } catch (Exception e) {
            events.commandResult(id, Result.FAILED, "route " + prefix + ": the kernel refused it: " + e);
            return;
        }
        routes.put(prefix, entry.id);
        routeTraffic.computeIfAbsent(prefix, k -> new RouteTraffic(counters.queues()));
        // NULL_VAL: a version 1 sender, whose routes were always sources too.
        if (kind == RouteKind.ROUTE_ONLY) {
            routeOnly.add(prefix);
        } else {
            routeOnly.remove(prefix);
        }
        publish(build());
        log.accept("route added: " + prefix + " via peer " + entry.id + (kind == RouteKind.ROUTE_ONLY ? " (route only)" : ""));
        events.commandResult(id, Result.OK);
    }

    @Override
    public void onRemoveRoute(RemoveRouteDecoder command) {
        long id = command.correlationId();
        Prefix prefix = prefix(command.family(), command::getAddress, command.prefixLength());
        if (prefix != null && command.kind() == RouteKind.SOURCE_ONLY) {
            Set<Prefix> from = sources.get(command.peerId());
            if (from == null || !from.remove(prefix)) {
                events.commandResult(id, Result.BAD_ARGUMENT, "no source " + prefix + " from peer " + command.peerId());
                return;
            }
            if (from.isEmpty()) {
                sources.remove(command.peerId());
            }
            publish(build());
            log.accept("source removed: " + prefix + " from peer " + command.peerId());
            events.commandResult(id, Result.OK);
            return;
        }
        if (prefix == null || routes.remove(prefix) == null) {
            events.commandResult(id, Result.BAD_ARGUMENT, "no route " + (prefix == null ? "(malformed prefix)" : prefix));
            return;
        }
        routeOnly.remove(prefix);
        routeTraffic.remove(prefix);
        publish(build());
        try {
            dataPath.removeRoute(ipPrefix(prefix));
        } catch (Exception e) {
            log.accept("route " + prefix + " left in the kernel: " + e);
        }
        log.accept("route removed: " + prefix);
        events.commandResult(id, Result.OK);
    }

    /**
     * From now on, every {@code intervalMs} a TrafficReport for each route that carried {@code thresholdBytes} or
     * more from the TUN device in that interval; 0 for either stops the reports. Intervals from 10 ms to an hour.
     */
    @Override
    public void onSetTrafficReport(SetTrafficReportDecoder command) {
        long id = command.correlationId();
        long threshold = command.thresholdBytes();
        long intervalMs = command.intervalMs();
        boolean off = threshold == 0 || intervalMs == 0;
        if (!off && (threshold < 0 || intervalMs < 10 || intervalMs > 3_600_000)) {
            events.commandResult(id, Result.BAD_ARGUMENT, "traffic report: threshold " + Long.toUnsignedString(
                    threshold) + " bytes per " + intervalMs + " ms: use an interval of 10 to 3600000 ms and a"
                    + " threshold below 2^63, or 0 to turn reports off");
            return;
        }
        trafficWatch.configure(off ? 0 : threshold, off ? 0 : intervalMs, clock.nanoTime());
        log.accept(off ? "traffic reports off" : "traffic reports: routes with " + threshold + " bytes or more per "
                + intervalMs + " ms");
        events.commandResult(id, Result.OK);
    }

    @Override
    public void onInjectPacket(InjectPacketDecoder command) {
        long id = command.correlationId();
        EndpointDecoder e = command.endpoint();
        InetAddress ip = address(e.family(), e::getAddress);
        int port = e.port();
        int length = command.getPayload(injectBuffer, 0, command.payloadLength());
        if (ip == null || port == 0 || length == 0) {
            events.commandResult(id, Result.BAD_ARGUMENT, "inject: endpoint family " + e.family() + " port " + port
                    + " with " + length + " payload bytes needs an address, a port and a payload");
            return;
        }
        if (!dataPath.configured()) {
            events.commandResult(id, Result.FAILED, "no socket yet: send ConfigureInterface first");
            return;
        }
        try {
            dataPath.inject(new InetSocketAddress(ip, port), injectBuffer, 0, length);
        } catch (Exception ex) {
            events.commandResult(id, Result.FAILED, "inject to " + ip.getHostAddress() + " port " + port + ": " + ex);
            return;
        }
        events.commandResult(id, Result.OK);
    }

    @Override
    public void onQueryState(QueryStateDecoder command) {
        long id = command.correlationId();
        List<PeerEntry> sorted = new ArrayList<>(peers.values());
        sorted.sort((a, b) -> Integer.compare(a.slot, b.slot));
        UnsafeBuffer addressBuffer = new UnsafeBuffer(new byte[16]);
        for (PeerEntry p : sorted) {
            // Read racily with a roaming pipeline: a torn address here only misinforms one status answer.
            InetSocketAddress ep = p.endpoint.known() ? p.endpoint.address().toInetSocketAddress() : null;
            AddressFamily family = AddressFamily.NONE;
            int port = 0;
            if (ep != null) {
                byte[] raw = ep.getAddress().getAddress();
                addressBuffer.putBytes(0, raw);
                family = raw.length == 4 ? AddressFamily.IPV4 : AddressFamily.IPV6;
                port = ep.getPort();
            }
            long[] totals = counters.peerTotals(p.slot);
            events.peerState(id, p.id, family, addressBuffer, 0, port, p.path, totals[0], totals[2], totals[1],
                    totals[3], p.liveness.lastReceivedNanos(), p.staticKey, sessionState(p.current, p.currentInitiator),
                    sessionState(p.previous, p.previousInitiator));
        }
        events.stateDone(id, sorted.size());
        events.commandResult(id, Result.OK);
    }

    private static SessionState sessionState(Session s, boolean initiator) {
        return s == null ? SessionState.NONE : new SessionState(Integer.toUnsignedLong(s.localIndex()),
                Integer.toUnsignedLong(s.remoteIndex()), s.createdNanos(), initiator);
    }

    /** Closes the data path, every session and endpoint at once: the pipelines have stopped by then. */
    @Override
    public void onClose() {
        dataPath.close();
        for (PeerEntry p : peers.values()) {
            closeQuietly(p.current);
            closeQuietly(p.previous);
            closeQuietly(p.endpoint);
        }
        peers.clear();
        while (!retired.isEmpty()) {
            closeQuietly(retired.pollFirst().resource());
        }
    }

    @Override
    public String roleName() {
        return "ipop-conductor";
    }

    private void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                log.accept("closing " + c + " failed: " + e);
            }
        }
    }

    private PeerTable build() {
        PeerTable.Builder b = new PeerTable.Builder(PeerTable.empty());
        RouteTable.Builder r = new RouteTable.Builder();
        Map<Long, List<Prefix>> allowed = new HashMap<>();
        for (Map.Entry<Prefix, Long> route : routes.entrySet()) {
            PeerEntry p = peers.get(route.getValue());
            r.add(route.getKey(), p.slot, routeTraffic.get(route.getKey()));
            if (!routeOnly.contains(route.getKey())) {
                allowed.computeIfAbsent(p.id, k -> new ArrayList<>()).add(route.getKey());
            }
        }
        sources.forEach((peerId, prefixes) -> allowed.computeIfAbsent(peerId, k -> new ArrayList<>()).addAll(prefixes));
        for (PeerEntry p : peers.values()) {
            // A peer may send from the prefixes routed to it as sources (WireGuard's allowed IPs) and its source entries.
            Peer peer = Peer.create(p.slot, p.name, allowed.getOrDefault(p.id, List.of()), p.endpoint, p.liveness);
            if (p.previous != null) {
                peer = peer.withSession(p.previous);
            }
            if (p.current != null) {
                peer = peer.withSession(p.current);
            }
            b.put(peer);
        }
        return b.routes(r.build()).local(local).build();
    }

    private static LocalAddresses localAddresses(List<IpPrefix> addresses) {
        int v4 = 0;
        boolean hasV4 = false;
        long hi = 0;
        long lo = 0;
        boolean hasV6 = false;
        for (IpPrefix p : addresses) {
            byte[] a = p.address().getAddress();
            if (a.length == 4 && !hasV4) {
                v4 = java.nio.ByteBuffer.wrap(a).getInt();
                hasV4 = true;
            } else if (a.length == 16 && !hasV6 && !p.address().isLinkLocalAddress()) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(a);
                hi = b.getLong();
                lo = b.getLong();
                hasV6 = true;
            }
        }
        return new LocalAddresses(hasV4, v4, hasV6, hi, lo);
    }

    /**
     * A peer just declared down: as WireGuard does after KEEPALIVE + REKEY_TIMEOUT without an answer, a new
     * handshake is wanted; REKEY_DUE for its current session tells the control plane so. If the peer is alive
     * after all (a healed partition), the handshake's session brings it up at once, even without keepalives.
     * PEER_DOWN (schema version 3) follows, so a control plane that can look for another path (an ICE restart)
     * does; a version 2 control plane reads it as an unknown kind and counts it.
     */
    private void peerDown(PeerEntry p) {
        long index = p.current == null ? 0 : Integer.toUnsignedLong(p.current.localIndex());
        if (p.current != null) {
            events.sessionEvent(p.id, index, SessionEventKind.REKEY_DUE);
        }
        events.sessionEvent(p.id, index, SessionEventKind.PEER_DOWN);
    }

    /** A peer declared down answered again (authenticated data or a new session): PEER_UP. */
    private void peerUp(PeerEntry p) {
        events.sessionEvent(p.id, p.current == null ? 0 : Integer.toUnsignedLong(p.current.localIndex()),
                SessionEventKind.PEER_UP);
    }

    private PeerLiveness newLiveness(int keepaliveMs) {
        return new PeerLiveness(keepaliveMs * 1_000_000L, liveness.passiveKeepaliveNanos(), clock.nanoTime());
    }

    private void publish(PeerTable next) {
        tables.publish(next);
    }

    private void retire(AutoCloseable resource) {
        if (resource != null) {
            retired.addLast(new Retired(clock.nanoTime() + RETIRE_GRACE_NANOS, resource, -1));
        }
    }

    private int freeSlot() {
        for (int i = 0; i < slotBusy.length; i++) {
            if (!slotBusy[i]) {
                return i;
            }
        }
        return -1;
    }

    private interface AddressReader {
        int get(byte[] dst, int offset, int length);
    }

    /** The address of {@code family} read into a fresh InetAddress, or null for NONE/unknown. */
    private InetAddress address(AddressFamily family, AddressReader reader) {
        int length = family == AddressFamily.IPV4 ? 4 : family == AddressFamily.IPV6 ? 16 : 0;
        if (length == 0) {
            return null;
        }
        reader.get(address, 0, 16);
        try {
            // Inet6Address directly: InetAddress.getByAddress turns an IPv4-mapped IPv6 address into an
            // Inet4Address, whose prefix check (<= 32) then failed after the IPv6 one (<= 128) passed.
            return length == 16 ? Inet6Address.getByAddress(null, Arrays.copyOf(address, 16), -1)
                    : InetAddress.getByAddress(Arrays.copyOf(address, length));
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private Prefix prefix(AddressFamily family, AddressReader reader, int length) {
        InetAddress ip = address(family, reader);
        if (ip == null || length > (family == AddressFamily.IPV4 ? 32 : 128)) {
            return null;
        }
        return Prefix.of(ip, length);
    }

    /** The kernel's form of a route prefix (host bits already zero). */
    private static IpPrefix ipPrefix(Prefix prefix) {
        return IpPrefix.parse(prefix.toString());
    }

    private static net.ipop.crypto.Suite suite(Suite suite) {
        return switch (suite) {
            case AES256GCM -> net.ipop.crypto.Suite.AES256GCM;
            case CHACHA20POLY1305 -> net.ipop.crypto.Suite.CHACHA20POLY1305;
            case NULL_VAL, SBE_UNKNOWN -> null;
        };
    }
}
