package net.ipop.ipc;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.CommandResultDecoder;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.PeerStateDecoder;
import net.ipop.ipc.sbe.PuntedPacketDecoder;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SessionEventDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.SetTrafficReportDecoder;
import net.ipop.ipc.sbe.StateDoneDecoder;
import net.ipop.ipc.sbe.TrafficReportDecoder;

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
     * is ours and complete: long enough for the header, our schema id, an acting block length that
     * holds every field of its template (see {@link #minBlockLength}) and lies inside {@code length}.
     * A newer version with a longer block passes: its decoder reads what it knows.
     */
    public static boolean wrapValid(MessageHeaderDecoder header, DirectBuffer buffer, int offset, int length) {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH) {
            return false;
        }
        header.wrap(buffer, offset);
        int blockLength = header.blockLength();
        return header.schemaId() == MessageHeaderDecoder.SCHEMA_ID
                && blockLength >= minBlockLength(header.templateId(), header.version())
                && MessageHeaderDecoder.ENCODED_LENGTH + blockLength <= length;
    }

    /**
     * The shortest block a message of {@code templateId} may have: the generated decoders read each
     * field at its fixed offset whatever block length the header claims, so a shorter block would
     * have them read past it (found by fuzzing). For a field added in a later version the decoder
     * reads it only when the acting {@code version} has it, so an older sender's block ends before it
     * (version 2 added SetEndpoint's relay, AddRoute's {@code kind}, RemoveRoute's {@code kind} and
     * {@code peerId}). 0 for a template we do not know (the adapters skip those anyway).
     */
    static int minBlockLength(int templateId, int version) {
        return switch (templateId) {
            case SetEndpointDecoder.TEMPLATE_ID -> version < SetEndpointDecoder.relayServerSinceVersion()
                    ? SetEndpointDecoder.relayServerEncodingOffset() : SetEndpointDecoder.BLOCK_LENGTH;
            case ConfigureInterfaceDecoder.TEMPLATE_ID -> ConfigureInterfaceDecoder.BLOCK_LENGTH;
            case AddPeerDecoder.TEMPLATE_ID -> AddPeerDecoder.BLOCK_LENGTH;
            case RemovePeerDecoder.TEMPLATE_ID -> RemovePeerDecoder.BLOCK_LENGTH;
            case InstallSessionDecoder.TEMPLATE_ID -> InstallSessionDecoder.BLOCK_LENGTH;
            case RetireSessionDecoder.TEMPLATE_ID -> RetireSessionDecoder.BLOCK_LENGTH;
            case AddRouteDecoder.TEMPLATE_ID -> version < AddRouteDecoder.kindSinceVersion()
                    ? AddRouteDecoder.kindEncodingOffset() : AddRouteDecoder.BLOCK_LENGTH;
            case RemoveRouteDecoder.TEMPLATE_ID -> version < RemoveRouteDecoder.kindSinceVersion()
                    ? RemoveRouteDecoder.kindEncodingOffset() : RemoveRouteDecoder.BLOCK_LENGTH;
            case InjectPacketDecoder.TEMPLATE_ID -> InjectPacketDecoder.BLOCK_LENGTH;
            case QueryStateDecoder.TEMPLATE_ID -> QueryStateDecoder.BLOCK_LENGTH;
            case CommandResultDecoder.TEMPLATE_ID -> CommandResultDecoder.BLOCK_LENGTH;
            case PuntedPacketDecoder.TEMPLATE_ID -> PuntedPacketDecoder.BLOCK_LENGTH;
            case SessionEventDecoder.TEMPLATE_ID -> SessionEventDecoder.BLOCK_LENGTH;
            case PeerStateDecoder.TEMPLATE_ID -> PeerStateDecoder.BLOCK_LENGTH;
            case StateDoneDecoder.TEMPLATE_ID -> StateDoneDecoder.BLOCK_LENGTH;
            case SetTrafficReportDecoder.TEMPLATE_ID -> SetTrafficReportDecoder.BLOCK_LENGTH;
            case TrafficReportDecoder.TEMPLATE_ID -> TrafficReportDecoder.BLOCK_LENGTH;
            default -> 0;
        };
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
     * lies inside a message ending at {@code end}, each entry's block holding at least
     * {@code entryBlockLength} bytes (the entry decoder reads its fields at fixed offsets, as
     * {@link #minBlockLength} explains for messages); as {@link #varDataFits} for groups.
     */
    public static boolean groupFits(DirectBuffer buffer, int at, int end, int entryBlockLength) {
        if (at < 0 || at + GROUP_HEADER_SIZE > end) {
            return false;
        }
        int blockLength = buffer.getShort(at, ORDER) & 0xFFFF;
        long entries = (long) blockLength * (buffer.getShort(at + 2, ORDER) & 0xFFFF);
        return blockLength >= entryBlockLength && at + GROUP_HEADER_SIZE + entries <= end;
    }
}
