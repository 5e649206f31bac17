package io.ferry.plugin.snapshots;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.snapshot.SnapshotStore.Snapshot;
import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

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
        XMLInputFactory parser = factory();
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

    /**
     * The snapshot's name and parent, read with a streaming parser (no DTD, no external entity) to the end of the
     * document, so a malformed one is refused here; the core's store parses it once more under this host's limits
     * when it stages it, and checks it names itself and its parent as read here.
     */
    private static Snapshot parse(XMLInputFactory factory, String xml) throws CookieException {
        String root = null;
        String name = null;
        String parentName = null;
        boolean hasParent = false;
        try {
            XMLStreamReader reader = factory.createXMLStreamReader(new StringReader(xml));
            try {
                int depth = 0;
                String under = null; // the element of depth 2 we are in
                while (reader.hasNext()) {
                    int event = reader.next();
                    if (event == XMLStreamConstants.START_ELEMENT) {
                        depth++;
                        String tag = reader.getLocalName();
                        if (depth == 1) {
                            root = tag;
                        } else if (depth == 2 && tag.equals("name") && name == null) {
                            name = reader.getElementText().trim();
                            depth--;
                        } else if (depth == 2) {
                            under = tag;
                            hasParent |= tag.equals("parent");
                        } else if (depth == 3 && "parent".equals(under) && tag.equals("name") && parentName == null) {
                            parentName = reader.getElementText().trim();
                            depth--;
                        }
                    } else if (event == XMLStreamConstants.END_ELEMENT) {
                        if (depth-- == 2) {
                            under = null;
                        }
                    } else if (event == XMLStreamConstants.DTD) {
                        throw new XMLStreamException("a DOCTYPE is not allowed");
                    }
                }
            } finally {
                reader.close();
            }
        } catch (XMLStreamException e) {
            throw new CookieException("snapshots stream carries a malformed <domainsnapshot>: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // the JDK's StAX reader throws some of its errors unchecked: a DOCTYPE with a bad character, say, fails on
            // the missing text of its message (MissingResourceException: InvalidCharInDTD). Malformed all the same.
            throw new CookieException("snapshots stream carries a malformed <domainsnapshot>: " + e, e);
        }
        if (!"domainsnapshot".equals(root) || name == null || name.isEmpty()) {
            throw new CookieException("snapshots stream carries a <" + root + "> that is not a <domainsnapshot> with a <name>");
        }
        if (hasParent && (parentName == null || parentName.isEmpty())) {
            throw new CookieException("snapshot '" + name + "' has a <parent> without a <name>");
        }
        if (name.equals(parentName)) {
            throw new CookieException("snapshot '" + name + "' is part of a parent cycle in the snapshots stream");
        }
        return new Snapshot(name, parentName, xml);
    }

    private static XMLInputFactory factory() {
        XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        // as the core's hardened parser: nesting is bounded (a 100,000-deep <name> overflowed DOM's stack)
        factory.setProperty("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", MAX_DEPTH);
        return factory;
    }
}
