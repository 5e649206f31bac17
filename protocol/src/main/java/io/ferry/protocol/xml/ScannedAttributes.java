package io.ferry.protocol.xml;

import java.util.Arrays;

/**
 * The attributes of the start tag {@link XmlScanner} is at, namespace declarations among them, in the order
 * written; reused from tag to tag.
 */
final class ScannedAttributes {
    static final String XMLNS_URI = "http://www.w3.org/2000/xmlns/";

    private String[] qNames = new String[8];
    private String[] values = new String[8];
    private String[] uris = new String[8];
    private String[] localNames = new String[8];
    private int count;

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
        count = 0;
    }

    /** Adds an attribute as written; false if the tag has one of that name already. */
    boolean add(String qName, String value) {
        for (int i = 0; i < count; i++) {
            if (qNames[i].equals(qName)) {
                return false;
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
