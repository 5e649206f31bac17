package io.ferry.driver.sim;

import io.ferry.api.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.StringReader;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/** What the sim driver reads of the domain XML itself: {@code <metadata><sim:workload …/></metadata>}. */
final class DomainXml {
    static final String NAMESPACE = "http://ferry.io/xmlns/sim/1.0";
    static final long DEFAULT_DIRTY_PAGES_PER_SECOND = 256;

    private DomainXml() {
    }

    /**
     * What the guest does: dirties {@code dirty-pages-per-second} random pages, and boots with memory that is
     * zero ({@code fill='zero'}, the default, as a fresh guest's mostly is) or random ({@code fill='random'}: a
     * sequence seeded by the UUID, written once at boot).
     */
    record Workload(long dirtyPagesPerSecond, boolean randomFill) {
    }

    /** The workload's {@code dirty-pages-per-second}, the default without the element. */
    static long dirtyPagesPerSecond(String xml) throws HypervisorException {
        return workload(xml).dirtyPagesPerSecond();
    }

    /**
     * The workloads of the definitions read last, by their whole text: the driver reads a definition's workload at
     * every check, boot and arrival, and a parse of it was a twentieth of a daemon's CPU over a migration. Only
     * definitions that were read are kept (and only small ones); one that is refused is parsed, and refused, each time.
     */
    private static final Map<String, Workload> READ = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Workload> eldest) {
            return size() > 64;
        }
    });

    /** The workload the domain XML asks for; the defaults without the element or its attributes. */
    static Workload workload(String xml) throws HypervisorException {
        if (xml == null || xml.isBlank()) {
            return new Workload(DEFAULT_DIRTY_PAGES_PER_SECOND, false);
        }
        Workload known = READ.get(xml);
        if (known != null) {
            return known;
        }
        Workload read = read(xml);
        if (xml.length() <= 64 * 1024) { // 64 of them, at most 8 MiB kept
            READ.put(xml, read);
        }
        return read;
    }

    private static Workload read(String xml) throws HypervisorException {
        Element workload = null;
        for (Node metadata = parse(xml).getFirstChild(); metadata != null; metadata = metadata.getNextSibling()) {
            if (!(metadata instanceof Element m) || m.getNamespaceURI() != null || !m.getLocalName().equals("metadata")) {
                continue;
            }
            for (Node node = m.getFirstChild(); node != null; node = node.getNextSibling()) {
                if (node instanceof Element e && NAMESPACE.equals(e.getNamespaceURI())
                        && e.getLocalName().equals("workload")) {
                    if (workload != null) {
                        throw new HypervisorException("more than one sim:workload element in the domain metadata");
                    }
                    workload = e;
                }
            }
        }
        if (workload == null) {
            return new Workload(DEFAULT_DIRTY_PAGES_PER_SECOND, false);
        }
        String fill = workload.hasAttribute("fill") ? workload.getAttribute("fill").trim() : "zero";
        if (!fill.equals("zero") && !fill.equals("random")) {
            throw new HypervisorException("invalid sim:workload fill '" + fill + "': expected 'zero' or 'random'");
        }
        return new Workload(rate(workload), fill.equals("random"));
    }

    private static long rate(Element workload) throws HypervisorException {
        if (!workload.hasAttribute("dirty-pages-per-second")) {
            return DEFAULT_DIRTY_PAGES_PER_SECOND;
        }
        String value = workload.getAttribute("dirty-pages-per-second").trim();
        try {
            long rate = Long.parseLong(value);
            if (rate >= 0 && rate <= Integer.MAX_VALUE) {
                return rate;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HypervisorException("invalid sim:workload dirty-pages-per-second '" + value
                + "': expected a number of pages from 0 to " + Integer.MAX_VALUE);
    }

    /**
     * A hardened builder per thread, reset after each parse: one built per parse cost more than the parse (the
     * driver reads a definition's workload at every boot and arrival).
     */
    private static final ThreadLocal<DocumentBuilder> BUILDERS = ThreadLocal.withInitial(DomainXml::newBuilder);

    private static Element parse(String xml) throws HypervisorException {
        DocumentBuilder builder = BUILDERS.get();
        try {
            builder.setErrorHandler(new DefaultHandler()); // throws on fatal errors, prints nothing
            return builder.parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (SAXException | IOException e) {
            throw new HypervisorException("invalid domain XML: " + e.getMessage(), e);
        } finally {
            builder.reset();
        }
    }

    private static DocumentBuilder newBuilder() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setNamespaceAware(true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            return factory.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }
}
