package io.ferry.driver.qemu;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Attr;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Hardened DOM parsing (no DTD, no external entities, no XInclude) and the whitelist checks the driver's domain
 * reader uses: an element or attribute it does not know would change the guest in a way it cannot honour, so it
 * is refused by name rather than dropped.
 */
final class DomainXml {
    private DomainXml() {
    }

    static Element parse(String xml) throws HypervisorException {
        if (xml == null || xml.isBlank()) {
            throw new HypervisorException("the qemu driver needs the domain XML, and the definition has none");
        }
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            var builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new DefaultHandler()); // throws on fatal errors, prints nothing
            return builder.parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (SAXException | IOException e) {
            throw new HypervisorException("invalid domain XML: " + e.getMessage(), e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The element children of {@code parent}, in order (namespaced ones included). */
    static List<Element> children(Element parent) {
        List<Element> elements = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element) {
                elements.add(element);
            }
        }
        return elements;
    }

    /** The only child named {@code name}, or null; more than one is refused. */
    static Element child(Element parent, String name) throws HypervisorException {
        Element found = null;
        for (Element element : children(parent)) {
            if (name.equals(element.getLocalName())) {
                if (found != null) {
                    throw new HypervisorException("more than one <" + name + "> in " + path(parent));
                }
                found = element;
            }
        }
        return found;
    }

    /**
     * An attribute as written, not trimmed, as libvirt and the core read it: the core leases a disk, names a tap's
     * switch port and relocates graphics clients by these values, and the driver must use the same.
     */
    static String attribute(Element element, String name) {
        return element.hasAttribute(name) ? element.getAttribute(name) : null;
    }

    static String text(Element element) {
        return element == null ? null : element.getTextContent().trim();
    }

    /** Refuses an element child of {@code parent} not in {@code known}. */
    static void onlyChildren(Element parent, Set<String> known) throws HypervisorException {
        for (Element element : children(parent)) {
            if (element.getNamespaceURI() != null || !known.contains(element.getLocalName())) {
                throw unsupported(path(parent) + "/" + element.getTagName(), "element");
            }
        }
    }

    /** Refuses an attribute of {@code element} not in {@code known}. */
    static void onlyAttributes(Element element, Set<String> known) throws HypervisorException {
        NamedNodeMap attributes = element.getAttributes();
        for (int i = 0; i < attributes.getLength(); i++) {
            Attr attribute = (Attr) attributes.item(i);
            String name = attribute.getName();
            if (!name.startsWith("xmlns") && !known.contains(name)) {
                throw unsupported(path(element) + "/@" + name, "attribute");
            }
        }
    }

    static HypervisorException unsupported(String what, String kind) {
        return new HypervisorException("unsupported configuration: the qemu driver cannot honour the " + kind + " "
                + what + " (it would change the guest)");
    }

    /** {@code domain/devices/disk[2]}: where an element is, for messages. */
    static String path(Element element) {
        StringBuilder path = new StringBuilder();
        for (Node node = element; node instanceof Element e; node = node.getParentNode()) {
            int index = 1;
            boolean several = false;
            for (Node sibling = e.getParentNode() == null ? null : e.getParentNode().getFirstChild(); sibling != null;
                    sibling = sibling.getNextSibling()) {
                if (sibling instanceof Element s && s.getTagName().equals(e.getTagName()) && s != e) {
                    several = true;
                    if (isBefore(s, e)) {
                        index++;
                    }
                }
            }
            path.insert(0, "/" + e.getTagName() + (several ? "[" + index + "]" : ""));
        }
        return path.substring(1);
    }

    private static boolean isBefore(Node a, Node b) {
        return (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) != 0;
    }
}
