package io.ferry.protocol.xml;

import java.util.HashMap;
import java.util.Map;

/**
 * Resolves a start tag's names (Namespaces in XML 1.0): declares its {@code xmlns} attributes, then finds the
 * namespace of the element and of each prefixed attribute. Refusals are returned as messages, null when all is well.
 */
final class ElementNames {
    private String uri;
    private String localName;
    private final Map<String, String> expandedNames = new HashMap<>(); // of the tag being resolved, if it has many

    /** The namespace of the element last resolved, null for none. */
    String uri() {
        return uri;
    }

    String localName() {
        return localName;
    }

    String resolve(String qName, ScannedAttributes attributes, NamespaceScope scope) {
        if (!expandedNames.isEmpty()) {
            expandedNames.clear();
        }
        for (int i = 0; i < attributes.count(); i++) {
            String name = attributes.qName(i);
            if (name.startsWith("xmlns") && (name.length() == 5 || name.charAt(5) == ':')) {
                String prefix = name.length() == 5 ? "" : name.substring(6);
                String refusal = colon(name) == -2 ? "attribute " + name + " is not a qualified name"
                        : scope.declare(prefix, attributes.value(i));
                if (refusal != null) {
                    return "<" + qName + ">: " + refusal;
                }
                attributes.resolve(i, ScannedAttributes.XMLNS_URI, prefix.isEmpty() ? name : prefix);
            }
        }
        int colon = colon(qName);
        if (colon == -2) {
            return "<" + qName + "> is not a qualified name";
        }
        String prefix = colon < 0 ? "" : qName.substring(0, colon);
        if (prefix.equals("xmlns")) {
            return "an element cannot have the prefix xmlns: <" + qName + ">";
        }
        uri = scope.uri(prefix);
        if (uri == null && colon >= 0) {
            return "the prefix " + prefix + " of <" + qName + "> is not bound to a namespace";
        }
        localName = colon < 0 ? qName : qName.substring(colon + 1);
        for (int i = 0; i < attributes.count(); i++) {
            String name = attributes.qName(i);
            int at = attributes.isDeclaration(i) ? -1 : colon(name);
            if (at == -2) {
                return "attribute " + name + " of <" + qName + "> is not a qualified name";
            }
            if (at >= 0) {
                String attributeUri = scope.uri(name.substring(0, at));
                if (attributeUri == null) {
                    return "the prefix " + name.substring(0, at) + " of attribute " + name + " of <" + qName
                            + "> is not bound to a namespace";
                }
                attributes.resolve(i, attributeUri, name.substring(at + 1));
                String twice = sameExpandedName(attributes, i);
                if (twice != null) {
                    return "<" + qName + "> has attributes " + twice + " and " + name + ", the same name in " + attributeUri;
                }
            }
        }
        return null;
    }

    /**
     * The attribute before {@code i} with {@code i}'s namespace and local name, or null: one by one for a few, in a set
     * beyond (a hostile tag may have thousands).
     */
    private String sameExpandedName(ScannedAttributes attributes, int i) {
        if (attributes.count() <= ScannedAttributes.SCANNED) {
            for (int j = 0; j < i; j++) {
                if (attributes.uri(i).equals(attributes.uri(j)) && attributes.localName(i).equals(attributes.localName(j))) {
                    return attributes.qName(j);
                }
            }
            return null;
        }
        return expandedNames.putIfAbsent("{" + attributes.uri(i) + "}" + attributes.localName(i), attributes.qName(i));
    }

    /**
     * Where the prefix of {@code qName} ends, -1 if it has none, -2 if it is no qualified name ("a:", ":a", "a:b:c",
     * "a:-b").
     * The JDK's parser takes ":a" (libxml2 too, with a warning), but the JDK's DOM cannot hold it: it would name the
     * attribute "a", and any copy of the tree refuses it.
     */
    private static int colon(String qName) {
        int colon = qName.indexOf(':');
        if (colon < 0) {
            return -1;
        }
        boolean valid = colon > 0 && colon < qName.length() - 1 && qName.indexOf(':', colon + 1) < 0
                && (XmlChars.nameStart(qName.charAt(colon + 1)) || Character.isHighSurrogate(qName.charAt(colon + 1)));
        return valid ? colon : -2; // the local part starts as a name does: "a:-b" is no qualified name
    }
}
