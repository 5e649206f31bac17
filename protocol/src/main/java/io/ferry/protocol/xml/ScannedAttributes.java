package io.ferry.protocol.xml;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The attributes of the start tag {@link XmlScanner} is at, namespace declarations among them, in the order
 * written; reused from tag to tag.
 */
final class ScannedAttributes {
    static final String XMLNS_URI = "http://www.w3.org/2000/xmlns/";
    /** The JDK's parser's limit, kept: the DOM's attribute map costs quadratic time in the count. */
    static final int MAX_COUNT = 10_000;
    /** Up to this many, a duplicate is looked for one by one; beyond, in a set (a hostile tag may have thousands). */
    static final int SCANNED = 16;

    private String[] qNames = new String[8];
    private String[] values = new String[8];
    private String[] uris = new String[8];
    private String[] localNames = new String[8];
    private int count;
    private final Set<String> names = new HashSet<>();

    int count() {
        return count;
    }

    String qName(int i) {
        return qNames[i];
    }

    String value(int i) {
        return values[i];
    }

    /** The attribute's namespace: {@link #XMLNS_URI} for a declaration, null for an attribute without prefix. */
    String uri(int i) {
        return uris[i];
    }

    String localName(int i) {
        return localNames[i];
    }

    /** Whether the attribute is {@code xmlns} or {@code xmlns:p}. */
    boolean isDeclaration(int i) {
        return XMLNS_URI.equals(uris[i]); // no prefix may be bound to it otherwise
    }

    void clear() {
        if (count > SCANNED) {
            names.clear();
        }
        count = 0;
    }

    /** Adds an attribute as written; false if the tag has one of that name already. */
    boolean add(String qName, String value) {
        if (count == SCANNED) {
            names.addAll(Arrays.asList(qNames).subList(0, count));
        }
        if (count >= SCANNED) {
            if (!names.add(qName)) {
                return false;
            }
        } else {
            for (int i = 0; i < count; i++) {
                if (qNames[i].equals(qName)) {
                    return false;
                }
            }
        }
        if (count == qNames.length) {
            qNames = Arrays.copyOf(qNames, count * 2);
            values = Arrays.copyOf(values, count * 2);
            uris = Arrays.copyOf(uris, count * 2);
            localNames = Arrays.copyOf(localNames, count * 2);
        }
        qNames[count] = qName;
        values[count] = value;
        uris[count] = null;
        localNames[count] = qName;
        count++;
        return true;
    }

    void resolve(int i, String uri, String localName) {
        uris[i] = uri;
        localNames[i] = localName;
    }
}
