package net.ipop.dataplane.route;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable longest-prefix-match table from overlay prefixes (IPv4 and IPv6) to a next-hop
 * value (a peer slot index).
 *
 * <p>Shape: one open-addressing hash table per prefix length present, probed from the longest
 * length down. A lookup costs one probe per distinct length in the table (an overlay typically has
 * two or three: host routes and the overlay prefix), independent of the number of routes.
 *
 * <p>Entries: the hash tables hold an entry index (the route's place in {@link #routes()}), which
 * {@link #entry4}/{@link #entry6} return; {@link #nextHop} and {@link #traffic} read the entry. The
 * outbound path looks up the entry once and both routes by it and counts the packet's bytes into the
 * route's {@link RouteTraffic}, for on-demand links. An entry is valid only for its table.
 *
 * <p>Threading: built by the single writer ({@link Builder}), then published whole (a release
 * store of the reference); any number of packet threads read it without locks. Lookups allocate
 * nothing.
 */
public final class RouteTable {
    /** Returned by lookups when no prefix matches. */
    public static final int NO_ROUTE = -1;

    private static final RouteTable EMPTY = new Builder().build();

    private final LengthTable[] v4; // longest length first
    private final LengthTable[] v6;
    private final List<Route> routes;
    /** By entry (the index in {@link #routes}): the next hop and the traffic counters (null: not counted). */
    private final int[] nextHops;
    private final RouteTraffic[] traffic;

    private RouteTable(List<Route> routes) {
        this.routes = routes;
        this.nextHops = new int[routes.size()];
        this.traffic = new RouteTraffic[routes.size()];
        for (int i = 0; i < routes.size(); i++) {
            nextHops[i] = routes.get(i).nextHop();
            traffic[i] = routes.get(i).traffic();
        }
        this.v4 = tables(routes, false, 32);
        this.v6 = tables(routes, true, 128);
    }

    public static RouteTable empty() {
        return EMPTY;
    }

    /** Next hop for an IPv4 destination given as an unsigned 32-bit value, or {@link #NO_ROUTE}. */
    public int lookup4(int address) {
        int e = entry4(address);
        return e == NO_ROUTE ? NO_ROUTE : nextHops[e];
    }

    /** Next hop for an IPv6 destination given as its high and low 64 bits, or {@link #NO_ROUTE}. */
    public int lookup6(long hi, long lo) {
        int e = entry6(hi, lo);
        return e == NO_ROUTE ? NO_ROUTE : nextHops[e];
    }

    /**
     * The entry of the longest prefix holding an IPv4 destination (for {@link #nextHop} and {@link #traffic}), or
     * {@link #NO_ROUTE}. Entries are valid for this table only.
     */
    public int entry4(int address) {
        long a = address & 0xFFFF_FFFFL;
        for (LengthTable t : v4) {
            int v = t.get(0, a & Prefix.mask4(t.length));
            if (v != NO_ROUTE) {
                return v;
            }
        }
        return NO_ROUTE;
    }

    /** As {@link #entry4}, for an IPv6 destination given as its high and low 64 bits. */
    public int entry6(long hi, long lo) {
        for (LengthTable t : v6) {
            int v = t.get(hi & Prefix.mask6Hi(t.length), lo & Prefix.mask6Lo(t.length));
            if (v != NO_ROUTE) {
                return v;
            }
        }
        return NO_ROUTE;
    }

    /** The next hop of an entry {@link #entry4}/{@link #entry6} returned. */
    public int nextHop(int entry) {
        return nextHops[entry];
    }

    /** Where an entry's sent bytes are counted, or {@code null} if they are not. */
    public RouteTraffic traffic(int entry) {
        return traffic[entry];
    }

    /** The routes this table holds, for status and dumps (setup path). */
    public List<Route> routes() {
        return routes;
    }

    /** A prefix, its next hop and where the bytes sent on it are counted ({@code null}: nowhere). */
    public record Route(Prefix prefix, int nextHop, RouteTraffic traffic) {
        public Route(Prefix prefix, int nextHop) {
            this(prefix, nextHop, null);
        }
    }

    /** Collects routes and builds a table. Single-threaded; a later add of the same prefix wins. */
    public static final class Builder {
        private final List<Route> routes = new ArrayList<>();

        public Builder() {
        }

        /** Starts from the routes of an existing table (copy-on-write updates). */
        public Builder(RouteTable from) {
            routes.addAll(from.routes);
        }

        public Builder add(Prefix prefix, int nextHop) {
            return add(prefix, nextHop, null);
        }

        /** Adds a route whose sent bytes the packet path counts into {@code traffic} (may be null: not counted). */
        public Builder add(Prefix prefix, int nextHop, RouteTraffic traffic) {
            if (nextHop < 0) {
                throw new IllegalArgumentException("next hop must be >= 0, was " + nextHop);
            }
            remove(prefix);
            routes.add(new Route(prefix, nextHop, traffic));
            return this;
        }

        public Builder remove(Prefix prefix) {
            routes.removeIf(r -> r.prefix().equals(prefix));
            return this;
        }

        /** Removes every route whose next hop is {@code nextHop} (a peer went away). */
        public Builder removeNextHop(int nextHop) {
            routes.removeIf(r -> r.nextHop() == nextHop);
            return this;
        }

        public RouteTable build() {
            return new RouteTable(List.copyOf(routes));
        }
    }

    /** One {@link LengthTable} per prefix length present, longest first; values are entries (route indices). */
    private static LengthTable[] tables(List<Route> routes, boolean ipv6, int maxLength) {
        List<LengthTable> out = new ArrayList<>();
        for (int len = maxLength; len >= 0; len--) {
            List<Route> atLength = new ArrayList<>();
            List<Integer> entries = new ArrayList<>();
            for (int i = 0; i < routes.size(); i++) {
                Route r = routes.get(i);
                if (r.prefix().ipv6() == ipv6 && r.prefix().length() == len) {
                    atLength.add(r);
                    entries.add(i);
                }
            }
            if (!atLength.isEmpty()) {
                out.add(new LengthTable(len, atLength, entries));
            }
        }
        return out.toArray(new LengthTable[0]);
    }

    /** Open addressing over (hi, lo) keys of one prefix length; load factor at most 1/2. */
    private static final class LengthTable {
        final int length;
        final long[] his;
        final long[] los;
        final int[] values; // entries; NO_ROUTE marks an empty slot
        final int mask;

        LengthTable(int length, List<Route> routes, List<Integer> entries) {
            this.length = length;
            int cap = Integer.highestOneBit(Math.max(2, routes.size()) * 2 - 1) << 1;
            his = new long[cap];
            los = new long[cap];
            values = new int[cap];
            mask = cap - 1;
            java.util.Arrays.fill(values, NO_ROUTE);
            for (int k = 0; k < routes.size(); k++) {
                Route r = routes.get(k);
                int i = slot(r.prefix().hi(), r.prefix().lo());
                while (values[i] != NO_ROUTE) {
                    i = (i + 1) & mask;
                }
                his[i] = r.prefix().hi();
                los[i] = r.prefix().lo();
                values[i] = entries.get(k);
            }
        }

        int get(long hi, long lo) {
            int i = slot(hi, lo);
            while (true) {
                int v = values[i];
                if (v == NO_ROUTE) {
                    return NO_ROUTE;
                }
                if (his[i] == hi && los[i] == lo) {
                    return v;
                }
                i = (i + 1) & mask;
            }
        }

        private int slot(long hi, long lo) {
            // Fibonacci hashing mixes the high bits of the masked prefix into the index.
            long h = (hi * 0x9E3779B97F4A7C15L) ^ (lo * 0xC2B2AE3D27D4EB4FL);
            return (int) (h ^ (h >>> 32)) & mask;
        }
    }
}
