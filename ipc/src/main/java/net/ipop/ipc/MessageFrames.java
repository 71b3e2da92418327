package net.ipop.ipc;

import org.agrona.DirectBuffer;

import net.ipop.ipc.sbe.MessageHeaderDecoder;

/**
 * The one rule both planes' adapters apply before dispatching a message: it holds a whole header
 * and body of this schema. Anything else is skipped and counted by the caller, never decoded.
 */
public final class MessageFrames {
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
}
