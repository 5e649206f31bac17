package io.ferry.protocol.xml;

import java.util.Arrays;

/** The elements {@link XmlScanner} is inside, outermost first, each with its resolved name. */
final class OpenElements {
    private String[] qNames = new String[16];
    private String[] uris = new String[16];
    private String[] localNames = new String[16];

    void push(int depth, String qName, String uri, String localName) {
        if (depth == qNames.length) {
            qNames = Arrays.copyOf(qNames, depth * 2);
            uris = Arrays.copyOf(uris, depth * 2);
            localNames = Arrays.copyOf(localNames, depth * 2);
        }
        qNames[depth] = qName;
        uris[depth] = uri;
        localNames[depth] = localName;
    }

    String qName(int depth) {
        return qNames[depth];
    }

    String uri(int depth) {
        return uris[depth];
    }

    String localName(int depth) {
        return localNames[depth];
    }
}
