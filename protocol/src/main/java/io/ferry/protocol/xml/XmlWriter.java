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
        String tag = element.getTagName();
        indent(depth, out);
        out.append('<').append(tag);
        NamedNodeMap attributes = element.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr attribute = (Attr) attributes.item(i);
            out.append(' ').append(attribute.getName()).append("='");
            escape(attribute.getValue(), element, attribute.getName(), out);
            out.append('\'');
        }
        boolean hasElements = false;
        boolean hasText = false;
        boolean hasBlankText = false;
        // siblings, not NodeList.item: the JDK's DOM shares one child-list cache per document, which the children's
        // own lists evict, so item(i) and getLength() walked the children again and again
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
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
            out.append("</").append(tag).append(">\n");
        } else if (hasText) {
            // mixed content: layout whitespace would change its meaning, so write it as it stands
            out.append('>');
            for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
                writeInline(element, child, out);
            }
            out.append("</").append(tag).append(">\n");
        } else {
            out.append(">\n");
            for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
                if (child.getNodeType() == Node.ELEMENT_NODE) {
                    writeElement((Element) child, depth + 1, out);
                }
            }
            indent(depth, out);
            out.append("</").append(tag).append(">\n");
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
        for (int i = 0; i < depth; i++) {
            out.append("  ");
        }
    }

    /**
     * Appends {@code value} escaped, in runs: most text has no character to escape or check beyond the plain range.
     * Refuses a character XML 1.0 cannot carry, the first one, before anything of the document is returned.
     *
     * @param attribute the attribute's name, null for the element's text
     */
    private static void escape(String value, Element element, String attribute, StringBuilder out) {
        boolean inAttribute = attribute != null;
        int written = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            String replacement;
            switch (c) {
                case '<' -> replacement = "&lt;";
                case '>' -> replacement = "&gt;";
                case '&' -> replacement = "&amp;";
                case '\'' -> replacement = inAttribute ? "&apos;" : null;
                case '"' -> replacement = inAttribute ? "&quot;" : null;
                // a parser turns a raw CR into LF, and in an attribute tab and LF into spaces: kept as references
                case '\r' -> replacement = "&#13;";
                case '\t' -> replacement = inAttribute ? "&#9;" : null;
                case '\n' -> replacement = inAttribute ? "&#10;" : null;
                default -> {
                    if (c < 0x20 || c >= 0xD800 && !XmlChars.allowedAt(value, i)) {
                        throw XmlChars.refused(attribute == null ? "<" + element.getTagName() + ">"
                                : "attribute '" + attribute + "' of <" + element.getTagName() + ">", value, i);
                    }
                    if (Character.isHighSurrogate(c)) {
                        i++; // the low half of a pair, which XML carries
                    }
                    replacement = null;
                }
            }
            if (replacement != null) {
                out.append(value, written, i).append(replacement);
                written = i + 1;
            }
        }
        out.append(value, written, value.length());
    }
}
