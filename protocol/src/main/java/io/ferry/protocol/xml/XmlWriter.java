package io.ferry.protocol.xml;

import org.w3c.dom.Attr;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Writes DOM the way libvirt formats its XML: two-space indentation, attribute values in single quotes, an
 * element with nothing inside closed as {@code <x/>}, text kept on its element's line. Whitespace-only text
 * between elements is layout and is re-made; other text, also an element's whitespace-only text, is kept as
 * it is.
 *
 * <p>DOM keeps attributes sorted by name, so attribute order is alphabetical; XML and libvirt's parser give
 * it no meaning.
 *
 * <p>Text XML 1.0 cannot carry ({@link XmlChars}) is refused with {@link XmlChars.Refused}: written, it would
 * make the whole document unreadable to whoever reads it back (a file, a peer, the command line).
 */
public final class XmlWriter {
    private XmlWriter() {
    }

    public static String write(Element root) {
        StringBuilder out = new StringBuilder(1024);
        writeElement(root, 0, out);
        return out.toString();
    }

    private static void writeElement(Element element, int depth, StringBuilder out) {
        indent(depth, out);
        out.append('<').append(element.getTagName());
        NamedNodeMap attributes = element.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr attribute = (Attr) attributes.item(i);
            out.append(' ').append(attribute.getName()).append("='");
            escape(attribute.getValue(), element, attribute.getName(), out);
            out.append('\'');
        }
        NodeList children = element.getChildNodes();
        boolean hasElements = false;
        boolean hasText = false;
        boolean hasBlankText = false;
        for (int i = 0; i < children.getLength(); i++) {
            Node child = children.item(i);
            if (child.getNodeType() == Node.ELEMENT_NODE) {
                hasElements = true;
            } else if (isText(child) && !child.getNodeValue().isBlank()) {
                hasText = true;
            } else if (isText(child) && !child.getNodeValue().isEmpty()) {
                hasBlankText = true;
            }
        }
        if (!hasElements && !hasText && !hasBlankText) {
            out.append("/>\n");
        } else if (!hasElements) {
            out.append('>');
            escape(element.getTextContent(), element, null, out);
            out.append("</").append(element.getTagName()).append(">\n");
        } else if (hasText) {
            // mixed content: layout whitespace would change its meaning, so write it as it stands
            out.append('>');
            for (int i = 0; i < children.getLength(); i++) {
                writeInline(element, children.item(i), out);
            }
            out.append("</").append(element.getTagName()).append(">\n");
        } else {
            out.append(">\n");
            for (int i = 0; i < children.getLength(); i++) {
                Node child = children.item(i);
                if (child.getNodeType() == Node.ELEMENT_NODE) {
                    writeElement((Element) child, depth + 1, out);
                }
            }
            indent(depth, out);
            out.append("</").append(element.getTagName()).append(">\n");
        }
    }

    private static void writeInline(Element parent, Node node, StringBuilder out) {
        if (isText(node)) {
            escape(node.getNodeValue(), parent, null, out);
        } else if (node.getNodeType() == Node.ELEMENT_NODE) {
            StringBuilder nested = new StringBuilder();
            writeElement((Element) node, 0, nested);
            out.append(nested, 0, nested.length() - 1);
        }
    }

    private static boolean isText(Node node) {
        return node.getNodeType() == Node.TEXT_NODE || node.getNodeType() == Node.CDATA_SECTION_NODE;
    }

    private static void indent(int depth, StringBuilder out) {
        out.append("  ".repeat(depth));
    }

    /** @param attribute the attribute's name, null for the element's text */
    private static void escape(String value, Element element, String attribute, StringBuilder out) {
        if (XmlChars.firstInvalid(value) >= 0) {
            XmlChars.require(attribute == null ? "<" + element.getTagName() + ">"
                    : "attribute '" + attribute + "' of <" + element.getTagName() + ">", value);
        }
        boolean inAttribute = attribute != null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '\'' -> out.append(inAttribute ? "&apos;" : "'");
                case '"' -> out.append(inAttribute ? "&quot;" : "\"");
                // a parser turns a raw CR into LF, and in an attribute tab and LF into spaces: kept as references
                case '\r' -> out.append("&#13;");
                case '\t', '\n' -> out.append(inAttribute ? "&#" + (int) c + ";" : String.valueOf(c));
                default -> out.append(c);
            }
        }
    }
}
