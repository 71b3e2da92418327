package net.ipop.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

import net.ipop.ipc.counters.CountersSnapshot;
import net.ipop.ipc.counters.DropReason;
import net.ipop.ipc.counters.GlobalCounter;
import net.ipop.ipc.counters.PeerTotals;
import net.ipop.ipc.counters.WriterStatus;
import net.ipop.control.status.JsonText;

/**
 * A counters snapshot as text tables (human units) or as one JSON object (raw numbers). Per-peer drops: a
 * DROPPED column and, for peers with drops, a line by reason; in JSON every peer has a {@code drops} object
 * with every reason (0 when none), like the node-wide {@code drops}.
 */
final class StatsReport {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final String[] BYTE_UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    private static final String[] COUNT_UNITS = {"k", "M", "G", "T", "P", "E"};

    private StatsReport() {
    }

    static String table(CountersSnapshot s) {
        WriterStatus w = s.writer();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "data plane  pid %d (%s), started %s, heartbeat %s ago, %d queue%s%n",
                w.pid(), w.liveness().key().replace('_', ' '), WHEN.format(Instant.ofEpochMilli(w.startTimeMs())),
                age(w.heartbeatAgeMs()), w.queues(), w.queues() == 1 ? "" : "s"));
        sb.append("file        ").append(s.file()).append("\n\n");

        int nameWidth = "PEER".length();
        for (PeerTotals p : s.peers()) {
            nameWidth = Math.max(nameWidth, p.name().length());
        }
        String row = "%-" + nameWidth + "s  %10s  %10s  %10s  %10s  %10s  %10s%n";
        sb.append(String.format(Locale.ROOT, row, "PEER", "ID", "SENT", "PACKETS", "RECEIVED", "PACKETS", "DROPPED"));
        if (s.peers().isEmpty()) {
            sb.append("(no peers)\n");
        }
        for (PeerTotals p : s.peers()) {
            sb.append(String.format(Locale.ROOT, row, p.name(), p.peerId(), bytes(p.txBytes()), count(p.txPackets()),
                    bytes(p.rxBytes()), count(p.rxPackets()), count(p.totalDrops())));
        }
        sb.append(String.format(Locale.ROOT, "%nDROPS (%,d)%n", s.totalDrops()));
        for (Map.Entry<DropReason, Long> e : s.drops().entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-20s %,15d%n", e.getKey().key().replace('_', ' '), e.getValue()));
        }
        boolean any = false;
        for (PeerTotals p : s.peers()) {
            if (p.drops().isEmpty()) {
                continue;
            }
            if (!any) {
                sb.append(String.format(Locale.ROOT, "%nDROPS BY PEER (where the peer was known)%n"));
                any = true;
            }
            sb.append("  ").append(p.name()).append(" (id ").append(p.peerId()).append("):");
            String sep = " ";
            for (Map.Entry<DropReason, Long> e : p.drops().entrySet()) {
                sb.append(String.format(Locale.ROOT, "%s%s %,d", sep, e.getKey().key().replace('_', ' '), e.getValue()));
                sep = ", ";
            }
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%nTOTALS%n"));
        for (Map.Entry<GlobalCounter, Long> e : s.globals().entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-20s %,15d%n", e.getKey().key().replace('_', ' '), e.getValue()));
        }
        return sb.toString();
    }

    static String json(CountersSnapshot s) {
        WriterStatus w = s.writer();
        StringBuilder sb = new StringBuilder("{\"file\":").append(JsonText.write(s.file().toString()));
        sb.append(",\"writer\":{\"pid\":").append(w.pid())
                .append(",\"liveness\":").append(JsonText.write(w.liveness().key()))
                .append(",\"startTime\":").append(JsonText.write(Instant.ofEpochMilli(w.startTimeMs()).toString()))
                .append(",\"heartbeatAgeMs\":").append(w.heartbeatAgeMs())
                .append(",\"queues\":").append(w.queues()).append('}');
        sb.append(",\"peers\":[");
        for (int i = 0; i < s.peers().size(); i++) {
            PeerTotals p = s.peers().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"id\":").append(p.peerId())
                    .append(",\"name\":").append(JsonText.write(p.name()))
                    .append(",\"txBytes\":").append(p.txBytes()).append(",\"txPackets\":").append(p.txPackets())
                    .append(",\"rxBytes\":").append(p.rxBytes()).append(",\"rxPackets\":").append(p.rxPackets())
                    .append(",\"drops\":{");
            String sep = "";
            for (DropReason r : DropReason.values()) {
                sb.append(sep).append(JsonText.write(r.key())).append(':').append(p.drops(r));
                sep = ",";
            }
            sb.append("}}");
        }
        sb.append("],\"drops\":{");
        String sep = "";
        for (Map.Entry<DropReason, Long> e : s.drops().entrySet()) {
            sb.append(sep).append(JsonText.write(e.getKey().key())).append(':').append(e.getValue());
            sep = ",";
        }
        sb.append("},\"globals\":{");
        sep = "";
        for (Map.Entry<GlobalCounter, Long> e : s.globals().entrySet()) {
            sb.append(sep).append(JsonText.write(e.getKey().key())).append(':').append(e.getValue());
            sep = ",";
        }
        return sb.append("}}").toString();
    }

    /** 1536 -> "1.5 KiB": binary units, one decimal. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        return scaled(n, 1024, BYTE_UNITS, " ");
    }

    /** 1234567 -> "1.2M": decimal units, one decimal, exact below 10,000. */
    static String count(long n) {
        if (n < 10_000) {
            return Long.toString(n);
        }
        return scaled(n, 1000, COUNT_UNITS, "");
    }

    private static String scaled(long n, int base, String[] units, String space) {
        double v = n;
        int unit = -1;
        while (v >= base && unit < units.length - 1) {
            v /= base;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f%s%s", v, space, units[unit]);
    }

    /** 400 -> "0.4 s", 7_200_000 -> "2.0 h". */
    static String age(long ms) {
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        if (ms < 3_600_000) {
            return String.format(Locale.ROOT, "%.1f min", ms / 60_000.0);
        }
        return String.format(Locale.ROOT, "%.1f h", ms / 3_600_000.0);
    }
}
