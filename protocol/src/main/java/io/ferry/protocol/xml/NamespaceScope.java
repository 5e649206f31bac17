package io.ferry.protocol.xml;

import java.util.Arrays;

/**
 * The namespace bindings in scope at the element {@link XmlScanner} is at (Namespaces in XML 1.0): each element's
 * declarations are pushed with it and popped with it. Refusals are returned as messages, null when all is well.
 */
final class NamespaceScope {
    static final String XML_URI = "http://www.w3.org/XML/1998/namespace";

    private String[] prefixes = new String[16]; // "" for the default namespace
    private String[] uris = new String[16]; // null where a default declaration undeclares
    private int count;
    private int[] marks = new int[16];
    private int depth;

    void push() {
        if (depth == marks.length) {
            marks = Arrays.copyOf(marks, depth * 2);
        }
        marks[depth++] = count;
    }

    void pop() {
        count = marks[--depth];
    }

    /** Declares {@code prefix} ("" for {@code xmlns=}) as {@code uri} on the element just pushed. */
    String declare(String prefix, String uri) {
        if (prefix.equals("xmlns")) {
            return "the prefix xmlns cannot be declared";
        }
        if (prefix.equals("xml") != uri.equals(XML_URI)) {
            return "the prefix xml is bound to " + XML_URI + " and no other prefix may be";
        }
        if (uri.equals(ScannedAttributes.XMLNS_URI)) {
            return ScannedAttributes.XMLNS_URI + " cannot be declared";
        }
        if (uri.isEmpty() && !prefix.isEmpty()) {
            return "the prefix " + prefix + " cannot be undeclared in XML 1.0";
        }
        if (count == prefixes.length) {
            prefixes = Arrays.copyOf(prefixes, count * 2);
            uris = Arrays.copyOf(uris, count * 2);
        }
        prefixes[count] = prefix;
        uris[count] = uri.isEmpty() ? null : uri;
        count++;
        return null;
    }

    /**
     * The namespace of {@code prefix} ("" for the default one), or null: no namespace for the default one, an
     * undeclared prefix for any other (a prefix cannot be undeclared, so it is bound to a namespace or to nothing).
     */
    String uri(String prefix) {
        if (prefix.equals("xml")) {
            return XML_URI;
        }
        for (int i = count - 1; i >= 0; i--) {
            if (prefixes[i].equals(prefix)) {
                return uris[i];
            }
        }
        return null;
    }
}
