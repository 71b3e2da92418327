package net.ipop.control.status;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.ipop.ipc.counters.CountersFileReader;
import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.PeerTotals;
import net.ipop.ipc.counters.WriterStatus;

/**
 * Answers the status socket's requests: one JSON object per line in, one per line out. The request
 * {@code {"request":"status"}} gets the node's last {@link NodeSnapshot} joined with its data plane's counters
 * file (traffic per peer, by peer id), ages computed now; anything else gets {@code {"error":"..."}}.
 *
 * <p>The document, version {@value #VERSION} (docs/cli.md describes every field): {@code version}, {@code time},
 * {@code node} {name, interface, addresses, publicKey, listen, pid, dataPlane {pid, liveness} or null}, and
 * {@code peers}, each {id, name, publicKey, allowedAddresses, endpoint, path, via, lastHandshake, lastHandshakeAgeMs,
 * rttMs, sessionAgeMs, txBytes, txPackets, rxBytes, rxPackets}; a value not known is {@code null}.
 *
 * <p>Not thread-safe: the status server's one thread calls it.
 */
public final class StatusService {
    /** The document's version; a reader refuses others. */
    public static final int VERSION = 1;

    private final StatusBoard board;
    private final Path countersFile;
    private CountersFileReader counters;

    /** Reads snapshots from {@code board} and traffic from the data plane's {@code countersFile}. */
    public StatusService(StatusBoard board, Path countersFile) {
        this.board = board;
        this.countersFile = countersFile;
    }

    /** The answer line (without its newline) to one request line. Never throws for a bad request. */
    public String answer(String request, long nowMs) {
        Object parsed;
        try {
            parsed = JsonText.parse(request);
        } catch (IllegalArgumentException e) {
            return error("the request is " + e.getMessage() + "; send {\"request\":\"status\"}");
        }
        if (!(parsed instanceof Map<?, ?> m) || !"status".equals(m.get("request"))) {
            return error("unknown request; send {\"request\":\"status\"}");
        }
        NodeSnapshot node = board.current();
        if (node == null) {
            return error("the node is starting: its data plane is not connected yet; try again in a moment");
        }
        return JsonText.write(document(node, traffic(nowMs), nowMs));
    }

    private static String error(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("error", message);
        return JsonText.write(m);
    }

    private static Map<String, Object> document(NodeSnapshot node, CountersSnapshot traffic, long nowMs) {
        Map<Long, PeerTotals> byId = new HashMap<>();
        if (traffic != null) {
            for (PeerTotals t : traffic.peers()) {
                byId.put(t.peerId(), t);
            }
        }
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("name", node.name());
        n.put("interface", node.iface());
        n.put("addresses", node.addresses());
        n.put("publicKey", node.publicKey());
        n.put("listen", node.listen());
        n.put("pid", ProcessHandle.current().pid());
        if (traffic == null) {
            n.put("dataPlane", null);
        } else {
            WriterStatus w = traffic.writer();
            Map<String, Object> dp = new LinkedHashMap<>();
            dp.put("pid", w.pid());
            dp.put("liveness", w.liveness().key());
            n.put("dataPlane", dp);
        }
        List<Object> peers = new ArrayList<>();
        for (PeerSnapshot p : node.peers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", p.id());
            m.put("name", p.name());
            m.put("publicKey", p.publicKey());
            m.put("allowedAddresses", p.allowedAddresses());
            m.put("endpoint", p.endpoint());
            m.put("path", p.path().key());
            m.put("via", p.via());
            boolean handshaken = p.lastHandshakeMs() != PeerSnapshot.NEVER;
            m.put("lastHandshake", handshaken ? Instant.ofEpochMilli(p.lastHandshakeMs()).toString() : null);
            m.put("lastHandshakeAgeMs", handshaken ? Math.max(0, nowMs - p.lastHandshakeMs()) : null);
            m.put("rttMs", p.rttMicros() == PeerSnapshot.NOT_MEASURED ? null : p.rttMicros() / 1000.0);
            m.put("sessionAgeMs", p.sessionStartMs() == PeerSnapshot.NEVER ? null
                    : Math.max(0, nowMs - p.sessionStartMs()));
            PeerTotals t = byId.get(p.id());
            m.put("txBytes", t == null ? null : t.txBytes());
            m.put("txPackets", t == null ? null : t.txPackets());
            m.put("rxBytes", t == null ? null : t.rxBytes());
            m.put("rxPackets", t == null ? null : t.rxPackets());
            peers.add(m);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("version", VERSION);
        doc.put("time", Instant.ofEpochMilli(nowMs).toString());
        doc.put("node", n);
        doc.put("peers", peers);
        return doc;
    }

    /**
     * The data plane's counters now, or {@code null} while there is no readable counters file (the data plane is
     * restarting). A file replaced by a restarted data plane is opened afresh.
     */
    private CountersSnapshot traffic(long nowMs) {
        try {
            if (counters == null || counters.isReplaced()) {
                counters = CountersFileReader.open(countersFile);
            }
            return counters.snapshot(nowMs);
        } catch (IOException | RuntimeException e) {
            counters = null;
            return null;
        }
    }
}
