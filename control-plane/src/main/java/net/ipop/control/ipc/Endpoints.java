package net.ipop.control.ipc;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.EndpointDecoder;

/** Reads the schema's {@code Endpoint} composite the data plane sends (punt sources, peer endpoints). */
public final class Endpoints {
    private Endpoints() {
    }

    /**
     * The address and port {@code source} holds, or {@code null} for a family this reader does not know (a newer
     * data plane, or no endpoint at all). Allocates: for the control plane's events, not a packet path.
     */
    public static InetSocketAddress read(EndpointDecoder source) {
        AddressFamily family = source.family();
        int length = family == AddressFamily.IPV4 ? 4 : family == AddressFamily.IPV6 ? 16 : 0;
        if (length == 0) {
            return null;
        }
        byte[] address = new byte[16];
        source.getAddress(address, 0, 16);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOf(address, length)), source.port());
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
