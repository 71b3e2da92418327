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

    private RouteTable(LengthTable[] v4, LengthTable[] v6, List<Route> routes) {
        this.v4 = v4;
        this.v6 = v6;
        this.routes = routes;
    }

    public static RouteTable empty() {
        return EMPTY;
    }

    /** Next hop for an IPv4 destination given as an unsigned 32-bit value, or {@link #NO_ROUTE}. */
    public int lookup4(int address) {
        long a = address & 0xFFFF_FFFFL;
        for (LengthTable t : v4) {
            int v = t.get(0, a & Prefix.mask4(t.length));
            if (v != NO_ROUTE) {
                return v;
            }
        }
        return NO_ROUTE;
    }

    /** Next hop for an IPv6 destination given as its high and low 64 bits, or {@link #NO_ROUTE}. */
    public int lookup6(long hi, long lo) {
        for (LengthTable t : v6) {
            int v = t.get(hi & Prefix.mask6Hi(t.length), lo & Prefix.mask6Lo(t.length));
            if (v != NO_ROUTE) {
                return v;
            }
        }
        return NO_ROUTE;
    }

    /** The routes this table holds, for status and dumps (setup path). */
    public List<Route> routes() {
        return routes;
    }

    /** A prefix and its next hop. */
    public record Route(Prefix prefix, int nextHop) {
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
            if (nextHop < 0) {
                throw new IllegalArgumentException("next hop must be >= 0, was " + nextHop);
            }
            remove(prefix);
            routes.add(new Route(prefix, nextHop));
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
            return new RouteTable(tables(false, 32), tables(true, 128), List.copyOf(routes));
        }

        private LengthTable[] tables(boolean ipv6, int maxLength) {
            List<LengthTable> out = new ArrayList<>();
            for (int len = maxLength; len >= 0; len--) {
                List<Route> atLength = new ArrayList<>();
                for (Route r : routes) {
                    if (r.prefix().ipv6() == ipv6 && r.prefix().length() == len) {
                        atLength.add(r);
                    }
                }
                if (!atLength.isEmpty()) {
                    out.add(new LengthTable(len, atLength));
                }
            }
            return out.toArray(new LengthTable[0]);
        }
    }

    /** Open addressing over (hi, lo) keys of one prefix length; load factor at most 1/2. */
    private static final class LengthTable {
        final int length;
        final long[] his;
        final long[] los;
        final int[] values; // NO_ROUTE marks an empty slot
        final int mask;

        LengthTable(int length, List<Route> routes) {
            this.length = length;
            int cap = Integer.highestOneBit(Math.max(2, routes.size()) * 2 - 1) << 1;
            his = new long[cap];
            los = new long[cap];
            values = new int[cap];
            mask = cap - 1;
            java.util.Arrays.fill(values, NO_ROUTE);
            for (Route r : routes) {
                int i = slot(r.prefix().hi(), r.prefix().lo());
                while (values[i] != NO_ROUTE) {
                    i = (i + 1) & mask;
                }
                his[i] = r.prefix().hi();
                los[i] = r.prefix().lo();
                values[i] = r.nextHop();
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
