package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

/** Incoming {@code <domainsnapshot>} documents checked as a hierarchy: each parent present, no cycle. */
final class SnapshotForest {
    /** A {@code <domainsnapshot>} around a domain definition, which the core allows 64 levels. */
    static final int MAX_DEPTH = 65;

    private SnapshotForest() {
    }

    /** The checked hierarchy: snapshots parents first, each naming its parent as its XML says, and the current one's name. */
    record Forest(List<Snapshot> parentsFirst, String current) {
    }

    /** The hierarchy of what the stream carried. */
    static Forest of(SnapshotStream.Contents contents) throws CookieException {
        DocumentBuilder parser = parser();
        Map<String, Snapshot> byName = new LinkedHashMap<>();
        String current = null;
        for (int i = 0; i < contents.xmls().size(); i++) {
            Snapshot snapshot = parse(parser, contents.xmls().get(i));
            if (byName.put(snapshot.name(), snapshot) != null) {
                throw new CookieException("snapshots stream carries snapshot '" + snapshot.name() + "' twice");
            }
            if (i == contents.current()) {
                current = snapshot.name();
            }
        }
        return new Forest(parentsFirst(byName), current);
    }

    private static List<Snapshot> parentsFirst(Map<String, Snapshot> byName) throws CookieException {
        Map<String, List<Snapshot>> children = new HashMap<>();
        List<Snapshot> roots = new ArrayList<>();
        for (Snapshot snapshot : byName.values()) {
            if (snapshot.parent() == null) {
                roots.add(snapshot);
            } else if (!byName.containsKey(snapshot.parent())) {
                throw new CookieException("snapshot '" + snapshot.name() + "' has parent '" + snapshot.parent()
                        + "', which the snapshots stream does not carry");
            } else {
                children.computeIfAbsent(snapshot.parent(), p -> new ArrayList<>()).add(snapshot);
            }
        }
        List<Snapshot> ordered = new ArrayList<>(byName.size());
        Set<String> reached = new HashSet<>();
        Deque<Snapshot> pending = new ArrayDeque<>(roots);
        while (!pending.isEmpty()) { // breadth first from the roots: iterative, so a 10,000-deep chain is fine
            Snapshot snapshot = pending.removeFirst();
            ordered.add(snapshot);
            reached.add(snapshot.name());
            pending.addAll(children.getOrDefault(snapshot.name(), List.of()));
        }
        if (ordered.size() != byName.size()) { // what no root reaches hangs in a cycle
            String stuck = byName.values().stream().filter(s -> !reached.contains(s.name())).map(Snapshot::name).sorted()
                    .findFirst().orElseThrow();
            throw new CookieException("snapshot '" + stuck + "' is part of a parent cycle in the snapshots stream");
        }
        return ordered;
    }

    private static Snapshot parse(DocumentBuilder parser, String xml) throws CookieException {
        Element root;
        try {
            root = parser.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            throw new CookieException("snapshots stream carries a malformed <domainsnapshot>: " + e.getMessage(), e);
        }
        String name = childText(root, "name");
        if (!root.getTagName().equals("domainsnapshot") || name == null || name.isEmpty()) {
            throw new CookieException("snapshots stream carries a <" + root.getTagName() + "> that is not a <domainsnapshot> with a <name>");
        }
        Element parent = child(root, "parent");
        String parentName = parent == null ? null : childText(parent, "name");
        if (parent != null && (parentName == null || parentName.isEmpty())) {
            throw new CookieException("snapshot '" + name + "' has a <parent> without a <name>");
        }
        if (name.equals(parentName)) {
            throw new CookieException("snapshot '" + name + "' is part of a parent cycle in the snapshots stream");
        }
        return new Snapshot(name, parentName, xml);
    }

    private static Element child(Element parent, String name) {
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element;
            }
        }
        return null;
    }

    private static String childText(Element parent, String name) {
        Element child = child(parent, name);
        return child == null ? null : child.getTextContent().trim();
    }

    private static DocumentBuilder parser() throws CookieException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            // as the core's hardened parser: DOM reads text recursively, so a 10,000-deep <name> overflowed the stack
            factory.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", MAX_DEPTH);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new DefaultHandler() {
                @Override
                public void error(SAXParseException e) throws SAXParseException {
                    throw e;
                }
            });
            return builder;
        } catch (ParserConfigurationException e) {
            throw new CookieException("no XML parser for the snapshots stream: " + e.getMessage(), e);
        }
    }
}
