package net.ipop.control.signal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jivesoftware.smack.packet.XmlEnvironment;
import org.jivesoftware.smack.provider.ExtensionElementProvider;
import org.jivesoftware.smack.provider.ProviderManager;
import org.jivesoftware.smack.xml.XmlPullParser;
import org.jivesoftware.smack.xml.XmlPullParserException;

/**
 * Smack's parser for our extension elements. It reads the element into a bounded {@link XmlNode}
 * and hands it to {@link SignalDecoder}; whatever the content, it returns an element (valid, or
 * {@link SignalElement#invalid} with the reason) and never throws for a rule broken by the sender,
 * because an exception here would go to Smack's parsing-exception callback rather than to our
 * counters. Only a stream that is not XML at all fails in Smack's own reader (counted by
 * {@link OverlayClient}'s parsing callback).
 *
 * <p>Runs on Smack's reader thread; stateless.
 */
final class SignalProvider extends ExtensionElementProvider<SignalElement> {
    static final int MAX_CHILDREN = Offer.MAX_CANDIDATES + 1;
    static final int MAX_ATTRIBUTES = 16;
    static final int MAX_TEXT = 16 * 1024;
    private static final SignalProvider INSTANCE = new SignalProvider();

    /** Registers the provider for our three elements; idempotent. Smack's provider table is process-wide. */
    static void register() {
        for (String e : SignalElement.ELEMENTS) {
            ProviderManager.addExtensionProvider(e, SignalElement.NAMESPACE, INSTANCE);
        }
    }

    @Override
    public SignalElement parse(XmlPullParser parser, int initialDepth, XmlEnvironment env)
            throws XmlPullParserException, IOException {
        String name = parser.getName();
        String[] problem = new String[1];
        XmlNode node = read(parser, initialDepth, problem);
        if (problem[0] != null) {
            return SignalElement.invalid(name, problem[0]);
        }
        try {
            return SignalElement.of(SignalDecoder.decode(node));
        } catch (IllegalArgumentException e) {
            return SignalElement.invalid(name, e.getMessage());
        }
    }

    /**
     * Reads the element the parser is on, and its children one level deep, up to its end tag. A
     * limit or shape broken on the way is noted in {@code problem[0]} and the rest skipped.
     */
    private static XmlNode read(XmlPullParser parser, int initialDepth, String[] problem)
            throws XmlPullParserException, IOException {
        String rootName = parser.getName();
        Map<String, String> rootAttributes = attributes(parser, problem);
        List<XmlNode> children = new ArrayList<>();
        StringBuilder rootText = new StringBuilder();
        String childName = null;
        Map<String, String> childAttributes = null;
        StringBuilder childText = new StringBuilder();
        while (true) {
            XmlPullParser.Event event = parser.next();
            int depth = parser.getDepth();
            switch (event) {
                case START_ELEMENT -> {
                    if (depth != initialDepth + 1) {
                        note(problem, "element <" + parser.getName() + "> nested too deep");
                    } else if (children.size() >= MAX_CHILDREN) {
                        note(problem, "more than " + MAX_CHILDREN + " child elements");
                    } else if (!SignalElement.NAMESPACE.equals(parser.getNamespace())) {
                        note(problem, "child <" + parser.getName() + "> in a foreign namespace");
                    } else {
                        childName = parser.getName();
                        childAttributes = attributes(parser, problem);
                        childText.setLength(0);
                    }
                }
                case TEXT_CHARACTERS -> {
                    StringBuilder into = depth == initialDepth ? rootText : childText;
                    if (into.length() + parser.getText().length() > MAX_TEXT) {
                        note(problem, "text longer than " + MAX_TEXT + " characters");
                    } else {
                        into.append(parser.getText());
                    }
                }
                case END_ELEMENT -> {
                    if (depth == initialDepth) {
                        return new XmlNode(rootName, rootAttributes, children, rootText.toString());
                    }
                    if (depth == initialDepth + 1 && childName != null) {
                        children.add(new XmlNode(childName, childAttributes, List.of(), childText.toString()));
                        childName = null;
                    }
                }
                case END_DOCUMENT -> throw new XmlPullParserException("document ended inside <" + rootName + ">");
                default -> {
                    // Comments, processing instructions: nothing to keep.
                }
            }
        }
    }

    private static Map<String, String> attributes(XmlPullParser parser, String[] problem) {
        Map<String, String> out = new HashMap<>();
        int n = parser.getAttributeCount();
        if (n > MAX_ATTRIBUTES) {
            note(problem, "more than " + MAX_ATTRIBUTES + " attributes on <" + parser.getName() + ">");
            return out;
        }
        for (int i = 0; i < n; i++) {
            String ns = parser.getAttributeNamespace(i);
            if (ns != null && !ns.isEmpty()) {
                note(problem, "attribute " + parser.getAttributeName(i) + " in a foreign namespace");
                continue;
            }
            out.put(parser.getAttributeName(i), parser.getAttributeValue(i));
        }
        return out;
    }

    private static void note(String[] problem, String what) {
        if (problem[0] == null) {
            problem[0] = what;
        }
    }
}
