package io.ferry.core.cookie;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * A small XML canonicaliser for comparing cookies element by element: whitespace-only text is dropped, other
 * text is trimmed, attributes are sorted by name, and the result is one line. Layout and quoting style (libvirt
 * writes single quotes) therefore do not matter; names, attributes, text and child order do.
 */
final class CanonicalXml {
    private CanonicalXml() {
    }

    /** Parses trusted test XML (the corpus, Ferry's own output) and returns the root element. */
    static Element parse(String xml) {
        try {
            return DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            throw new AssertionError("test XML does not parse: " + e.getMessage() + "\n" + xml, e);
        }
    }

    /** The element children of {@code parent}, in document order. */
    static List<Element> children(Element parent) {
        List<Element> children = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element) {
                children.add(element);
            }
        }
        return children;
    }

    static String canonical(Element element) {
        StringBuilder out = new StringBuilder();
        write(element, out);
        return out.toString();
    }

    private static void write(Element element, StringBuilder out) {
        out.append('<').append(element.getTagName());
        TreeMap<String, String> attributes = new TreeMap<>();
        NamedNodeMap map = element.getAttributes();
        for (int i = 0; i < map.getLength(); i++) {
            attributes.put(map.item(i).getNodeName(), map.item(i).getNodeValue());
        }
        attributes.forEach((name, value) -> out.append(' ').append(name).append("=\"").append(escape(value)).append('"'));
        out.append('>');
        for (Node node = element.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element child) {
                write(child, out);
            } else if (node.getNodeType() == Node.TEXT_NODE || node.getNodeType() == Node.CDATA_SECTION_NODE) {
                String text = node.getNodeValue().trim();
                if (!text.isEmpty()) {
                    out.append(escape(text));
                }
            }
        }
        out.append("</").append(element.getTagName()).append('>');
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
