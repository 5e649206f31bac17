package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import io.ferry.protocol.xml.XmlWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * The JDK's own parser, set as Ferry set it before it had its own reader (no DOCTYPE, namespaces, the same depth
 * limit), against which Ferry's {@link HardenedXmlParser} is held: both refuse a document or both build the same
 * tree. Known and allowed: a name that starts with a colon, which the JDK reads (its DOM then names the attribute
 * without it) and Ferry refuses; and names beyond ASCII, which follow XML's fifth edition in Ferry (as in libxml2,
 * libvirt's parser) and its fourth in the JDK, so documents with such bytes are compared only where both read them.
 * One per thread.
 */
final class JdkYardstick {
    static final int DEPTH = 8;
    private static final Pattern LEADING_COLON = Pattern.compile("(<|attribute ):[^ ]* .*is not a qualified name");
    private static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXParseException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXParseException {
            throw e;
        }
    };

    private final HardenedXmlParser ferry = new HardenedXmlParser(1 << 20, DEPTH);
    private final DocumentBuilder jdk;

    JdkYardstick() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://apache.org/xml/features/dom/defer-node-expansion", false);
            factory.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", DEPTH);
            factory.setNamespaceAware(true);
            jdk = factory.newDocumentBuilder();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether both read {@code xml}: true if both built the same tree, false if both refused it; else it fails. */
    boolean agree(byte[] xml) throws Exception {
        Document expected = null;
        String jdkRefusal = null;
        try {
            jdk.setErrorHandler(THROWING);
            expected = jdk.parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) { // an unknown encoding is an IOException; "<!DOCTYPE" in an element
            jdkRefusal = e.getMessage(); // a SAXException that is no SAXParseException ("Scanner State 24 not Recognized")
        } finally {
            jdk.reset();
        }
        boolean ascii = isAscii(xml);
        Document actual;
        try {
            actual = HardenedXmlParserTest.parseQuietly(ferry, xml);
        } catch (XmlException e) {
            assertFalse("a refusal of more than one line: " + e.getMessage(), e.getMessage().contains("\n") || e.getMessage().contains("\r"));
            if (expected != null && (LEADING_COLON.matcher(e.getMessage()).find() || !ascii)) {
                return false;
            }
            if (expected != null) {
                fail("Ferry refused what the JDK reads (" + e.getMessage() + "): " + show(xml));
            }
            return false;
        }
        if (expected == null) {
            if (!ascii) {
                return true;
            }
            fail("Ferry read what the JDK refuses (" + jdkRefusal + "): " + show(xml));
        }
        if (!expected.isEqualNode(actual)) {
            fail("different trees of " + show(xml) + ":\n" + XmlWriter.write(expected.getDocumentElement()) + "against\n"
                    + XmlWriter.write(actual.getDocumentElement()));
        }
        assertEquals(show(xml), expected.getChildNodes().getLength(), actual.getChildNodes().getLength());
        return true;
    }

    private static boolean isAscii(byte[] xml) {
        for (byte b : xml) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    static String show(byte[] xml) {
        return new String(xml, StandardCharsets.UTF_8).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
    }
}
