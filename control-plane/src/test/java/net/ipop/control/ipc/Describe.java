package net.ipop.control.ipc;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.zip.CRC32;

import org.agrona.DirectBuffer;

import net.ipop.ipc.sbe.AddressFamily;
import net.ipop.ipc.sbe.EndpointDecoder;

/** Text forms of decoded fields, so both ends of a test can compare what crossed the wire as strings. */
final class Describe {
    private Describe() {
    }

    static String address(AddressFamily family, byte[] address16) {
        int length = switch (family) {
            case IPV4 -> 4;
            case IPV6 -> 16;
            default -> 0;
        };
        if (length == 0) {
            return "none";
        }
        byte[] bytes = new byte[length];
        System.arraycopy(address16, 0, bytes, 0, length);
        try {
            return InetAddress.getByAddress(bytes).getHostAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static String endpoint(EndpointDecoder endpoint) {
        byte[] address = new byte[16];
        endpoint.getAddress(address, 0, 16);
        return endpoint.family() + " " + address(endpoint.family(), address) + " port " + endpoint.port();
    }

    /** Short payloads in hex, long ones by length and CRC-32 (a CommandResult detail holds 4096 bytes at most). */
    static String payload(DirectBuffer buffer, int offset, int length) {
        byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        if (length <= 64) {
            return HexFormat.of().formatHex(bytes);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return length + " bytes crc " + Long.toHexString(crc.getValue());
    }

    static String payload(byte[] bytes) {
        return payload(new org.agrona.concurrent.UnsafeBuffer(bytes), 0, bytes.length);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
