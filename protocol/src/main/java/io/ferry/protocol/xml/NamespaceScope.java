package io.ferry.protocol.xml;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The namespace bindings in scope at the element {@link XmlScanner} is at (Namespaces in XML 1.0): each element's
 * declarations are made with it and undone with it. A map, not a list searched: a hostile tag may declare thousands
 * of prefixes and use each. Refusals are returned as messages, null when all is well.
 */
final class NamespaceScope {
    static final String XML_URI = "http://www.w3.org/XML/1998/namespace";
    private final Map<String, String> bound = new HashMap<>(); // prefix ("" for the default) to namespace, "" for none
    private String[] undoPrefixes = new String[16];
    private String[] undoUris = new String[16]; // what each declaration replaced, null if it replaced nothing
    private int undoCount;
    private int[] marks = new int[16];
    private int depth;

    void push() {
        if (depth == marks.length) {
            marks = Arrays.copyOf(marks, depth * 2);
        }
        marks[depth++] = undoCount;
    }

    void pop() {
        int mark = marks[--depth];
        while (undoCount > mark) {
            undoCount--;
            String previous = undoUris[undoCount];
            if (previous == null) {
                bound.remove(undoPrefixes[undoCount]);
            } else {
                bound.put(undoPrefixes[undoCount], previous);
            }
        }
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
        if (undoCount == undoPrefixes.length) {
            undoPrefixes = Arrays.copyOf(undoPrefixes, undoCount * 2);
            undoUris = Arrays.copyOf(undoUris, undoCount * 2);
        }
        String previous = bound.put(prefix, uri);
        undoPrefixes[undoCount] = prefix;
        undoUris[undoCount] = previous;
        undoCount++;
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
        String uri = bound.get(prefix);
        return uri == null || uri.isEmpty() ? null : uri;
    }
}
