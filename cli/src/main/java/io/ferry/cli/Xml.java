package io.ferry.cli;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/** Reads the daemon's small XML replies (no DOCTYPE accepted, even from a daemon). */
final class Xml {
    private Xml() {
    }

    static Element parse(String xml) throws CliException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            var builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            throw new CliException("unreadable reply from the daemon: " + e.getMessage());
        }
    }

    /** The text of an {@code <error>} reply, or {@code fallback}. */
    static String errorText(String reply, String fallback) {
        try {
            Element root = parse(reply);
            return root.getTagName().equals("error") && !root.getTextContent().isBlank() ? root.getTextContent().trim() : fallback;
        } catch (CliException e) {
            return fallback;
        }
    }

    /** The attributes of each child element named {@code name}, in document order. */
    static List<Map<String, String>> rows(Element parent, String name) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                Map<String, String> row = new LinkedHashMap<>();
                NamedNodeMap attributes = element.getAttributes();
                for (int i = 0; i < attributes.getLength(); i++) {
                    row.put(attributes.item(i).getNodeName(), attributes.item(i).getNodeValue());
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
