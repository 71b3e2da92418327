package net.ipop.dataplane.ipc;

import net.ipop.ipc.MessageFrames;

import org.agrona.DirectBuffer;

import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import net.ipop.ipc.sbe.AddPeerDecoder;
import net.ipop.ipc.sbe.AddRouteDecoder;
import net.ipop.ipc.sbe.ConfigureInterfaceDecoder;
import net.ipop.ipc.sbe.InjectPacketDecoder;
import net.ipop.ipc.sbe.InstallSessionDecoder;
import net.ipop.ipc.sbe.MessageHeaderDecoder;
import net.ipop.ipc.sbe.QueryStateDecoder;
import net.ipop.ipc.sbe.RemovePeerDecoder;
import net.ipop.ipc.sbe.RemoveRouteDecoder;
import net.ipop.ipc.sbe.RetireSessionDecoder;
import net.ipop.ipc.sbe.SetEndpointDecoder;
import net.ipop.ipc.sbe.SetTrafficReportDecoder;

/**
 * Decodes whole command messages and hands them to a {@link CommandListener}.
 *
 * <p>Each message is routed by its header's template id and read with the header's block length and version,
 * so a newer control plane's longer blocks are skipped past and an older one's missing fields read as their
 * null values. Messages of another schema, of an unknown template, shorter than their header claims, or whose
 * repeating group or variable-length field would end past the message are skipped and counted in
 * {@link #skipped()}; nothing is thrown for them, and a listener never reads outside the message.
 *
 * <p>Expects whole messages: put a {@link io.aeron.FragmentAssembler} in front when polling (as
 * {@link CommandAgent} does), since an {@code InjectPacket} may span several fragments. Not thread-safe: one
 * polling thread. No allocation per message.
 */
public final class CommandAdapter implements FragmentHandler {
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final ConfigureInterfaceDecoder configureInterface = new ConfigureInterfaceDecoder();
    private final AddPeerDecoder addPeer = new AddPeerDecoder();
    private final RemovePeerDecoder removePeer = new RemovePeerDecoder();
    private final SetEndpointDecoder setEndpoint = new SetEndpointDecoder();
    private final InstallSessionDecoder installSession = new InstallSessionDecoder();
    private final RetireSessionDecoder retireSession = new RetireSessionDecoder();
    private final AddRouteDecoder addRoute = new AddRouteDecoder();
    private final RemoveRouteDecoder removeRoute = new RemoveRouteDecoder();
    private final InjectPacketDecoder injectPacket = new InjectPacketDecoder();
    private final QueryStateDecoder queryState = new QueryStateDecoder();
    private final SetTrafficReportDecoder setTrafficReport = new SetTrafficReportDecoder();
    private final CommandListener listener;
    private long dispatched;
    private long skipped;

    public CommandAdapter(CommandListener listener) {
        this.listener = listener;
    }

    /**
     * Decodes one whole message at {@code buffer[offset, offset + length)}; {@code aeronHeader} is not used
     * (may be null).
     */
    @Override
    public void onFragment(DirectBuffer buffer, int offset, int length, Header aeronHeader) {
        if (!MessageFrames.wrapValid(header, buffer, offset, length)) {
            skipped++;
            return;
        }
        int blockLength = header.blockLength();
        int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        int version = header.version();
        int end = offset + length;
        switch (header.templateId()) {
            case ConfigureInterfaceDecoder.TEMPLATE_ID -> {
                configureInterface.wrap(buffer, body, blockLength, version);
                if (!MessageFrames.groupFits(buffer, configureInterface.limit(), end,
                        ConfigureInterfaceDecoder.AddressesDecoder.sbeBlockLength())) {
                    skipped++;
                    return;
                }
                listener.onConfigureInterface(configureInterface);
            }
            case AddPeerDecoder.TEMPLATE_ID -> {
                addPeer.wrap(buffer, body, blockLength, version);
                if (!MessageFrames.varDataFits(buffer, addPeer.limit(), end)) {
                    skipped++;
                    return;
                }
                listener.onAddPeer(addPeer);
            }
            case RemovePeerDecoder.TEMPLATE_ID ->
                    listener.onRemovePeer(removePeer.wrap(buffer, body, blockLength, version));
            case SetEndpointDecoder.TEMPLATE_ID ->
                    listener.onSetEndpoint(setEndpoint.wrap(buffer, body, blockLength, version));
            case InstallSessionDecoder.TEMPLATE_ID ->
                    listener.onInstallSession(installSession.wrap(buffer, body, blockLength, version));
            case RetireSessionDecoder.TEMPLATE_ID ->
                    listener.onRetireSession(retireSession.wrap(buffer, body, blockLength, version));
            case AddRouteDecoder.TEMPLATE_ID -> listener.onAddRoute(addRoute.wrap(buffer, body, blockLength, version));
            case RemoveRouteDecoder.TEMPLATE_ID ->
                    listener.onRemoveRoute(removeRoute.wrap(buffer, body, blockLength, version));
            case InjectPacketDecoder.TEMPLATE_ID -> {
                injectPacket.wrap(buffer, body, blockLength, version);
                if (!MessageFrames.varDataFits(buffer, injectPacket.limit(), end)) {
                    skipped++;
                    return;
                }
                listener.onInjectPacket(injectPacket);
            }
            case QueryStateDecoder.TEMPLATE_ID ->
                    listener.onQueryState(queryState.wrap(buffer, body, blockLength, version));
            case SetTrafficReportDecoder.TEMPLATE_ID ->
                    listener.onSetTrafficReport(setTrafficReport.wrap(buffer, body, blockLength, version));
            default -> {
                skipped++;
                return;
            }
        }
        dispatched++;
    }

    /** Commands handed to the listener so far. Read on the polling thread. */
    public long dispatched() {
        return dispatched;
    }

    /** Messages skipped so far: another schema, an unknown template, or truncated. Read on the polling thread. */
    public long skipped() {
        return skipped;
    }
}
