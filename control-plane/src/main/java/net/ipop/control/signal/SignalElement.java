package net.ipop.control.signal;

import java.util.Base64;
import java.util.List;

import org.jivesoftware.smack.packet.ExtensionElement;
import org.jivesoftware.smack.packet.XmlEnvironment;
import org.jivesoftware.smack.util.XmlStringBuilder;

/**
 * The XML extension element that carries a {@link SignalMessage} in a stanza, in namespace
 * {@value #NAMESPACE}:
 *
 * <pre>{@code
 * <announce xmlns="urn:ipop:signal:1"><certificate>BASE64 DER</certificate></announce>      (in presence)
 * <offer xmlns="urn:ipop:signal:1" session="32 hex" ufrag="..." pwd="...">                 (in a message)
 *   <candidate foundation="1" component="1" transport="udp" priority="2130706431"
 *              ip="2001:db8::1" port="40000" type="host"/>
 *   <candidate ... type="srflx" rel-addr="192.0.2.1" rel-port="40000"/>
 * </offer>
 * <answer ...> the same as offer </answer>
 * }</pre>
 *
 * <p>Received elements come from {@link SignalProvider}: either a valid message or, for input that
 * breaks a rule, the reason ({@link #problem()}), so that a bad stanza is counted and dropped by
 * the receiver instead of throwing inside Smack's reader. The version is in the namespace; a
 * later incompatible format gets a new one.
 */
final class SignalElement implements ExtensionElement {
    static final String NAMESPACE = "urn:ipop:signal:1";
    static final String ANNOUNCE = "announce";
    static final String OFFER = "offer";
    static final String ANSWER = "answer";
    static final List<String> ELEMENTS = List.of(ANNOUNCE, OFFER, ANSWER);

    private final String elementName;
    private final SignalMessage message;
    private final String problem;

    private SignalElement(String elementName, SignalMessage message, String problem) {
        this.elementName = elementName;
        this.message = message;
        this.problem = problem;
    }

    static SignalElement of(SignalMessage message) {
        String name = switch (message) {
            case Announcement a -> ANNOUNCE;
            case Offer o -> OFFER;
            case Answer a -> ANSWER;
        };
        return new SignalElement(name, message, null);
    }

    static SignalElement invalid(String elementName, String problem) {
        return new SignalElement(elementName, null, problem);
    }

    /** The message, or null if the received element was invalid. */
    SignalMessage message() {
        return message;
    }

    /** Why the received element was refused, or null if it is valid. */
    String problem() {
        return problem;
    }

    @Override
    public String getElementName() {
        return elementName;
    }

    @Override
    public String getNamespace() {
        return NAMESPACE;
    }

    @Override
    public CharSequence toXML(XmlEnvironment enclosing) {
        if (message == null) {
            throw new IllegalStateException("an invalid element is never sent: " + problem);
        }
        XmlStringBuilder xml = new XmlStringBuilder(this, enclosing);
        switch (message) {
            case Announcement a -> {
                xml.rightAngleBracket();
                xml.element("certificate", Base64.getEncoder().encodeToString(a.certificate().der()));
            }
            case Offer o -> session(xml, o.sessionId(), o.credentials(), o.candidates());
            case Answer a -> session(xml, a.sessionId(), a.credentials(), a.candidates());
        }
        xml.closeElement(this);
        return xml;
    }

    private static void session(XmlStringBuilder xml, String id, IceCredentials c, List<Candidate> candidates) {
        xml.attribute("session", id).attribute("ufrag", c.ufrag()).attribute("pwd", c.password());
        xml.rightAngleBracket();
        for (Candidate k : candidates) {
            xml.halfOpenElement("candidate")
                    .attribute("foundation", k.foundation())
                    .attribute("component", Integer.toString(k.component()))
                    .attribute("transport", k.transport().wireName())
                    .attribute("priority", Long.toString(k.priority()))
                    .attribute("ip", k.address().getHostAddress())
                    .attribute("port", Integer.toString(k.port()))
                    .attribute("type", k.type().wireName());
            if (k.relatedAddress() != null) {
                xml.attribute("rel-addr", k.relatedAddress().getHostAddress())
                        .attribute("rel-port", Integer.toString(k.relatedPort()));
            }
            xml.closeEmptyElement();
        }
    }
}
