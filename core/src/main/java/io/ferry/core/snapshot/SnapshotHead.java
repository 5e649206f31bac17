package io.ferry.core.snapshot;

import org.xml.sax.Attributes;
import org.xml.sax.helpers.DefaultHandler;

/**
 * What the store reads of a {@code <domainsnapshot>}: its root element, the text of its first {@code <name>}, of
 * the first {@code <name>} in its first {@code <parent>} and of the first {@code <uuid>} in its first {@code <domain>}
 * (each all the text inside, as DOM's text content),
 * from SAX events: the store reads every snapshot a migration brings, and a tree of each cost it about half of
 * Prepare's time with 10,000 of them. One per document.
 */
final class SnapshotHead extends DefaultHandler {
    private int depth;
    private String root;
    private StringBuilder name;
    private StringBuilder parentName;
    private boolean parentSeen;
    private boolean inFirstParent;
    private StringBuilder domainUuid;
    private boolean domainSeen;
    private boolean inFirstDomain;
    private StringBuilder reading; // the name being read, if any
    private int readingDepth;

    /** The root element's name, or null before one. */
    String root() {
        return root;
    }

    /** The text of the root's first {@code <name>}, or null if it has none. */
    String name() {
        return name == null ? null : name.toString();
    }

    /** Whether the root has a {@code <parent>}. */
    boolean parentSeen() {
        return parentSeen;
    }

    /** The text of the first {@code <name>} of the root's first {@code <parent>}, or null if it has none. */
    String parentName() {
        return parentName == null ? null : parentName.toString();
    }

    /** The text of the first {@code <uuid>} of the root's first {@code <domain>}, or null if it has none. */
    String domainUuid() {
        return domainUuid == null ? null : domainUuid.toString();
    }

    @Override
    public void startElement(String uri, String localName, String tag, Attributes attributes) {
        depth++;
        if (depth == 1) {
            root = tag;
        } else if (reading != null) {
            return; // inside a name: its text only counts
        } else if (depth == 2 && tag.equals("name") && name == null) {
            name = startReading();
        } else if (depth == 2 && tag.equals("parent") && !parentSeen) {
            parentSeen = true;
            inFirstParent = true;
        } else if (depth == 3 && inFirstParent && tag.equals("name") && parentName == null) {
            parentName = startReading();
        } else if (depth == 2 && tag.equals("domain") && !domainSeen) {
            domainSeen = true;
            inFirstDomain = true;
        } else if (depth == 3 && inFirstDomain && tag.equals("uuid") && domainUuid == null) {
            domainUuid = startReading();
        }
    }

    private StringBuilder startReading() {
        reading = new StringBuilder();
        readingDepth = depth;
        return reading;
    }

    @Override
    public void characters(char[] chars, int start, int length) {
        if (reading != null) {
            reading.append(chars, start, length);
        }
    }

    @Override
    public void endElement(String uri, String localName, String tag) {
        if (reading != null && depth == readingDepth) {
            reading = null;
        } else if (depth == 2) {
            inFirstParent = false;
            inFirstDomain = false;
        }
        depth--;
    }
}
