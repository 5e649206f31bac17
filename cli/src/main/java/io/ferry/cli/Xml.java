package io.ferry.cli;

import io.ferry.protocol.ControlClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/** Reads the daemon's XML replies. */
final class Xml {
    private Xml() {
    }

    static io.ferry.protocol.Xml of(Element element) {
        return io.ferry.protocol.Xml.of(element);
    }

    static Element parse(String xml) throws CliException {
        return Cli.call(() -> ControlClient.parse(xml));
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
