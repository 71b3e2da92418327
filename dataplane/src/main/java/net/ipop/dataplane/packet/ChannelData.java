package net.ipop.dataplane.packet;

import java.lang.foreign.MemorySegment;

/**
 * TURN ChannelData (RFC 8656 section 12.4) at an offset in packet memory: a 4-byte header, then the
 * application data, which is how a TURN client and server carry data on a bound channel without a STUN
 * header around every datagram.
 *
 * <pre>
 *  0                   1                   2                   3
 *  |         Channel Number        |            Length             |
 *  |                     Application Data ...                      |
 * </pre>
 *
 * Both fields are big-endian; Length counts the application data only. Over UDP the data need not be
 * padded to 4 bytes (section 12.5), so we send none, and accept a datagram longer than the header
 * claims (a sender that pads) but never a shorter one. Static methods only; no allocation.
 */
public final class ChannelData {
    public static final int CHANNEL_OFFSET = 0;
    public static final int LENGTH_OFFSET = 2;
    /** The header in front of the application data: the headroom a relayed datagram needs. */
    public static final int HEADER_LENGTH = 4;
    /** Channel numbers a client may bind (section 12); 0x5000-0x7FFF are reserved. */
    public static final int MIN_CHANNEL = 0x4000;
    public static final int MAX_CHANNEL = 0x4FFF;
    /** The first byte's two top bits are 01 for ChannelData, 00 for STUN (section 12, RFC 7983). */
    private static final int KIND_MASK = 0xC0;
    private static final int KIND = 0x40;

    private ChannelData() {
    }

    /** Whether a datagram starting with {@code firstByte} is ChannelData-shaped (the two top bits 01). */
    public static boolean looksLike(int firstByte) {
        return (firstByte & KIND_MASK) == KIND;
    }

    /** Whether {@code channel} is one a client may bind. */
    public static boolean validChannel(int channel) {
        return channel >= MIN_CHANNEL && channel <= MAX_CHANNEL;
    }

    /**
     * Whether {@code s[off, off + datagramLength)} holds a whole ChannelData message: a header, a
     * bindable channel number and application data that fits in the datagram.
     */
    public static boolean valid(MemorySegment s, long off, int datagramLength) {
        return datagramLength >= HEADER_LENGTH && validChannel(channel(s, off))
                && HEADER_LENGTH + length(s, off) <= datagramLength;
    }

    public static int channel(MemorySegment s, long off) {
        return Net.u16(s, off + CHANNEL_OFFSET);
    }

    /** The application data's length (without header or padding). */
    public static int length(MemorySegment s, long off) {
        return Net.u16(s, off + LENGTH_OFFSET);
    }

    /** Writes the header at {@code off} for {@code dataLength} bytes of application data that follow it. */
    public static void writeHeader(MemorySegment s, long off, int channel, int dataLength) {
        Net.u16(s, off + CHANNEL_OFFSET, channel);
        Net.u16(s, off + LENGTH_OFFSET, dataLength);
    }
}
