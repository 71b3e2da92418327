package net.ipop.control.signal;

import java.util.List;
import java.util.Map;

/**
 * A received element read into memory before it is decoded: its attributes (no namespace), child
 * elements and text. Bounded by {@link SignalProvider}'s limits, so a hostile stanza cannot make it
 * large.
 *
 * @param name       local name
 * @param attributes attribute values by local name
 * @param children   child elements in document order
 * @param text       the concatenated character data directly inside this element
 */
record XmlNode(String name, Map<String, String> attributes, List<XmlNode> children, String text) {
    XmlNode {
        attributes = Map.copyOf(attributes);
        children = List.copyOf(children);
    }
}
