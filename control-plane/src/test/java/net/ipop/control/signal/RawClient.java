package net.ipop.control.signal;

import java.net.InetAddress;
import java.util.function.Consumer;

import net.ipop.control.config.SecretFiles;
import net.ipop.control.config.SignallingConfig;
import net.ipop.ffm.testing.TestNamespace;
import org.jivesoftware.smack.ConnectionConfiguration;
import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.PresenceBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;

/**
 * A plain Smack client that sends whatever a test wants, bypassing {@link Signalling}'s rules: the
 * hostile or broken node in the malformed-input tests.
 */
final class RawClient implements AutoCloseable {
    final XMPPTCPConnection connection;
    final EntityBareJid room;

    RawClient(TestNamespace ns, SignallingConfig config) throws Exception {
        XMPPTCPConnectionConfiguration c = XMPPTCPConnectionConfiguration.builder()
                .setXmppAddressAndPassword(config.account(), new String(SecretFiles.readPassword(config.passwordFile())))
                .setHostAddress(InetAddress.ofLiteral("127.0.0.1"))
                .setPort(ProsodyServer.PORT)
                .setSecurityMode(ConnectionConfiguration.SecurityMode.disabled)
                .setSocketFactory(new NamespaceSockets(ns))
                .setResource("raw")
                .setSendPresence(false)
                .build();
        connection = new XMPPTCPConnection(c);
        connection.connect().login();
        room = JidCreate.entityBareFrom(config.room());
    }

    /** Joins the room as {@code nick}, with {@code presence} adding whatever it likes to the join presence. */
    void join(String nick, Consumer<PresenceBuilder> presence) throws Exception {
        MultiUserChat muc = MultiUserChatManager.getInstanceFor(connection).getMultiUserChat(room);
        muc.join(muc.getEnterConfigurationBuilder(Resourcepart.from(nick)).withPresence(presence::accept).build());
    }

    /** Sends a presence update to the room as {@code nick}, carrying {@code extension}. */
    void presence(String nick, ExtensionElement extension) throws Exception {
        connection.sendStanza(connection.getStanzaFactory().buildPresenceStanza()
                .to(JidCreate.entityFullFrom(room, Resourcepart.from(nick))).addExtension(extension).build());
    }

    /** Sends a private message to {@code nick} in the room. */
    void privateMessage(String nick, ExtensionElement extension) throws Exception {
        connection.sendStanza(connection.getStanzaFactory().buildMessageStanza()
                .to(JidCreate.entityFullFrom(room, Resourcepart.from(nick))).ofType(Message.Type.chat)
                .addExtension(extension).build());
    }

    /** Sends a message straight to a full JID, outside the room. */
    void direct(String fullJid, ExtensionElement extension) throws Exception {
        connection.sendStanza(connection.getStanzaFactory().buildMessageStanza().to(fullJid)
                .ofType(Message.Type.chat).addExtension(extension).build());
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
