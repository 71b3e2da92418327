package net.ipop.ipc;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

import net.ipop.ipc.sbe.MessageHeaderDecoder;

/**
 * The one rule both planes' adapters apply before dispatching a message: it holds a whole header
 * and body of this schema. Anything else is skipped and counted by the caller, never decoded.
 */
public final class MessageFrames {
    private static final ByteOrder ORDER = MessageHeaderDecoder.BYTE_ORDER;
    /** varDataEncoding and varStringEncoding: a uint32 length, then the bytes. */
    private static final int VAR_LENGTH_SIZE = 4;
    /** groupSizeEncoding: uint16 blockLength, uint16 numInGroup. */
    private static final int GROUP_HEADER_SIZE = 4;

    private MessageFrames() {
    }

    /**
     * Wraps {@code header} over {@code buffer[offset, offset + length)} and says whether the message
     * is ours and complete: long enough for the header, our schema id, and the acting block length
     * inside {@code length}. A newer version passes: its decoder reads what it knows.
     */
    public static boolean wrapValid(MessageHeaderDecoder header, DirectBuffer buffer, int offset, int length) {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH) {
            return false;
        }
        header.wrap(buffer, offset);
        return header.schemaId() == MessageHeaderDecoder.SCHEMA_ID
                && MessageHeaderDecoder.ENCODED_LENGTH + header.blockLength() <= length;
    }

    /**
     * Whether the variable-length field whose length prefix (uint32, schema byte order) is at
     * {@code at} lies inside a message ending at {@code end}. The generated decoders trust the prefix:
     * a length past the frame would read the bytes that follow it, and one of 2^31 or more turns
     * negative ({@code NegativeArraySizeException}). Checked before the message is dispatched.
     */
    public static boolean varDataFits(DirectBuffer buffer, int at, int end) {
        return at >= 0 && at + VAR_LENGTH_SIZE <= end
                && at + VAR_LENGTH_SIZE + Integer.toUnsignedLong(buffer.getInt(at, ORDER)) <= end;
    }

    /**
     * Whether the repeating group whose header (uint16 block length, uint16 count) is at {@code at}
     * lies inside a message ending at {@code end}; as {@link #varDataFits} for groups.
     */
    public static boolean groupFits(DirectBuffer buffer, int at, int end) {
        if (at < 0 || at + GROUP_HEADER_SIZE > end) {
            return false;
        }
        long entries = (long) (buffer.getShort(at, ORDER) & 0xFFFF) * (buffer.getShort(at + 2, ORDER) & 0xFFFF);
        return at + GROUP_HEADER_SIZE + entries <= end;
    }
}
