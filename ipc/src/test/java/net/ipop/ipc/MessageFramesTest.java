package net.ipop.ipc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.MessageHeaderEncoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.SetEndpointEncoder;

/** A field added in a later version is required of that version's senders only. */
class MessageFramesTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();

    private boolean setEndpointPasses(int version, int blockLength) {
        new SetEndpointEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder());
        new MessageHeaderEncoder().wrap(buffer, 0).blockLength(blockLength).version(version);
        return MessageFrames.wrapValid(header, buffer, 0, MessageHeaderDecoder.ENCODED_LENGTH + blockLength);
    }

    @Test
    void setEndpointNeedsItsRelayFieldsFromVersion2On() {
        int v1Block = SetEndpointDecoder.relayServerEncodingOffset();
        assertTrue(setEndpointPasses(1, v1Block), "a version 1 sender's block");
        assertFalse(setEndpointPasses(1, v1Block - 1), "shorter than version 1's fields");
        assertFalse(setEndpointPasses(2, v1Block), "version 2 without the relay fields would be read past its end");
        assertTrue(setEndpointPasses(2, SetEndpointDecoder.BLOCK_LENGTH));
        assertTrue(setEndpointPasses(3, SetEndpointDecoder.BLOCK_LENGTH + 8), "a newer sender's longer block");
    }
}
