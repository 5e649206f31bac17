package io.ferry.protocol;

import io.ferry.protocol.xml.HardenedXmlParser;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.protocol.xml.XmlException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.w3c.dom.Document;
import org.xml.sax.helpers.DefaultHandler;

/** Untrusted XML: no entity, no DTD, no nesting bomb, no oversize input; every error one quiet line. */
public class HardenedXmlParserTest {
    static final String SECRET = "ferry-secret-4f1c9e";
    static final String WHAT = "migration cookie";

    @Rule
    public TemporaryFolder temp = new TemporaryFolder();

    private final HardenedXmlParser parser = new HardenedXmlParser();

    /**
     * Parses with System.err captured, and asserts the parser printed nothing there; reads the same input as SAX
     * events too, and asserts that the read refuses exactly what the parse refuses, in the same words, and so does the
     * read of the decoded text where the input is UTF-8.
     */
    static Document parseQuietly(HardenedXmlParser parser, byte[] xml) throws XmlException {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            String readRefusal = null;
            try {
                parser.read(xml, WHAT, new DefaultHandler());
            } catch (XmlException e) {
                readRefusal = e.getMessage();
            }
            String text = utf8(xml);
            if (text != null) {
                String textRefusal = null;
                try {
                    parser.read(text, WHAT, new DefaultHandler());
                } catch (XmlException e) {
                    textRefusal = e.getMessage();
                }
                assertEquals("the read of the decoded text and the read of the bytes disagree", readRefusal, textRefusal);
            }
            try {
                Document document = parser.parse(xml, WHAT);
                assertEquals("the SAX read refused what the DOM parse took", null, readRefusal);
                return document;
            } catch (XmlException e) {
                assertEquals("the SAX read and the DOM parse disagree", e.getMessage(), readRefusal);
                throw e;
            }
        } finally {
            System.setErr(original);
            // the fuzz tests' agent (Jazzer, in this JVM) reports what it instruments and counts as "INFO: " lines
            String written = captured.toString(StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.startsWith("INFO: ")).collect(Collectors.joining("\n"));
            assertEquals("parser wrote to stderr", "", written);
        }
    }

    /** The bytes as text if they are UTF-8, else null. */
    private static String utf8(byte[] xml) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(xml)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /** Asserts the input is refused with a single-line message, and returns the message. */
    static String refusal(HardenedXmlParser parser, byte[] xml) {
        XmlException e = assertThrows(XmlException.class, () -> parseQuietly(parser, xml));
        String message = e.getMessage();
        assertFalse("multi-line error: " + message, message.contains("\n") || message.contains("\r"));
        return message;
    }

    static String refusal(HardenedXmlParser parser, String xml) {
        return refusal(parser, xml.getBytes(StandardCharsets.UTF_8));
    }

    private Path secretFile() throws Exception {
        Path secret = temp.newFile("secret.txt").toPath();
        Files.writeString(secret, SECRET);
        return secret;
    }

    static void assertNoSecret(String message, Throwable... chain) {
        assertFalse(message, message.contains(SECRET));
        for (Throwable t : chain) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                assertFalse(String.valueOf(c.getMessage()), String.valueOf(c.getMessage()).contains(SECRET));
            }
        }
    }

    @Test
    public void wellFormedCookieParses() throws Exception {
        Document document = parseQuietly(parser, "<qemu-migration><name>vm</name></qemu-migration>".getBytes(StandardCharsets.UTF_8));
        assertEquals("qemu-migration", document.getDocumentElement().getTagName());
        assertEquals("vm", document.getDocumentElement().getTextContent());
    }

    /** A byte order mark (as some editors write one before a definition) is read past, from bytes or from text. */
    @Test
    public void aByteOrderMarkIsReadPast() throws Exception {
        String xml = "\uFEFF<?xml version='1.0'?><qemu-migration><name>vm</name></qemu-migration>";
        assertEquals("vm", parseQuietly(parser, xml.getBytes(StandardCharsets.UTF_8)).getDocumentElement().getTextContent());
        List<String> elements = new java.util.ArrayList<>();
        parser.read(xml, "cookie", new org.xml.sax.helpers.DefaultHandler() {
            @Override
            public void startElement(String uri, String localName, String qName, org.xml.sax.Attributes attributes) {
                elements.add(qName);
            }
        });
        assertEquals(List.of("qemu-migration", "name"), elements);
    }

    @Test
    public void externalEntityIsRefusedAndFileNeverRead() throws Exception {
        Path secret = secretFile();
        String xml = "<?xml version='1.0'?>\n<!DOCTYPE qemu-migration [\n  <!ENTITY xxe SYSTEM '" + secret.toUri() + "'>\n]>\n"
                + "<qemu-migration><name>&xxe;</name></qemu-migration>";
        XmlException e = assertThrows(XmlException.class,
                () -> parseQuietly(parser, xml.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage(), e.getMessage().contains("DOCTYPE"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("malformed migration cookie"));
        assertNoSecret(e.getMessage(), e);
    }

    @Test
    public void billionLaughsIsRefused() {
        StringBuilder xml = new StringBuilder("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 'lol'>\n");
        for (int i = 1; i <= 9; i++) {
            xml.append("<!ENTITY lol").append(i).append(" '").append(("&lol" + (i - 1) + ";").repeat(10)).append("'>\n");
        }
        xml.append("]>\n<qemu-migration><name>&lol9;</name></qemu-migration>");
        String message = refusal(parser, xml.toString());
        assertTrue(message, message.contains("DOCTYPE"));
    }

    @Test
    public void externalDtdIsRefused() throws Exception {
        Path secret = secretFile();
        Path dtd = temp.newFile("evil.dtd").toPath();
        Files.writeString(dtd, "<!ENTITY leak SYSTEM '" + secret.toUri() + "'>");
        String message = refusal(parser, "<!DOCTYPE qemu-migration SYSTEM '" + dtd.toUri() + "'>\n"
                + "<qemu-migration><name>&leak;</name></qemu-migration>");
        assertTrue(message, message.contains("DOCTYPE"));
        assertNoSecret(message);
    }

    @Test
    public void parameterEntitiesAreRefused() throws Exception {
        Path secret = secretFile();
        String message = refusal(parser, "<!DOCTYPE qemu-migration [\n<!ENTITY % file SYSTEM '" + secret.toUri() + "'>\n"
                + "<!ENTITY % wrap \"<!ENTITY leak '%file;'>\">\n%wrap;\n]>\n<qemu-migration>&leak;</qemu-migration>");
        assertTrue(message, message.contains("DOCTYPE"));
        assertNoSecret(message);
    }

    /** A declaration smuggled inside an element is refused as the markup it is, not as an element of a strange name. */
    @Test
    public void aDeclarationInsideAnElementIsRefusedAsMarkup() {
        for (String declaration : List.of("<!DOCTYPE a>", "<!ENTITY e 'x'>", "<!ELEMENT a ANY>")) {
            String message = refusal(parser, "<qemu-migration>" + declaration + "</qemu-migration>");
            assertTrue(message, message.endsWith("markup '<!' is not allowed inside <qemu-migration>"));
        }
    }

    @Test
    public void undeclaredEntityReferenceIsRefused() {
        String message = refusal(parser, "<qemu-migration><name>&xxe;</name></qemu-migration>");
        assertTrue(message, message.contains("xxe"));
    }

    @Test
    public void xincludeIsNotProcessed() throws Exception {
        Path secret = secretFile();
        Document document = parseQuietly(parser, ("<qemu-migration xmlns:xi='http://www.w3.org/2001/XInclude'>"
                + "<xi:include href='" + secret.toUri() + "' parse='text'/></qemu-migration>").getBytes(StandardCharsets.UTF_8));
        assertFalse(document.getDocumentElement().getTextContent().contains(SECRET));
        assertEquals(1, document.getDocumentElement().getElementsByTagNameNS("http://www.w3.org/2001/XInclude", "include").getLength());
    }

    @Test
    public void deepNestingIsRefusedWithoutStackOverflow() {
        int depth = 100_000;
        String xml = "<a>".repeat(depth) + "</a>".repeat(depth);
        try {
            parseQuietly(parser, xml.getBytes(StandardCharsets.UTF_8));
            fail("100000 nested elements parsed");
        } catch (XmlException e) {
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(e.getMessage(), e.getMessage().contains("depth"));
        } catch (StackOverflowError e) {
            fail("deep nesting overflowed the stack");
        }
    }

    @Test
    public void depthLimitIsConfigurable() throws Exception {
        HardenedXmlParser shallow = new HardenedXmlParser(1024, 3);
        parseQuietly(shallow, "<a><b><c/></b></a>".getBytes(StandardCharsets.UTF_8));
        String message = refusal(shallow, "<a><b><c><d/></c></b></a>");
        assertTrue(message, message.contains("depth"));
    }

    @Test
    public void defaultDepthLimitAllowsSixtyFourLevelsAndNoMore() throws Exception {
        String xml = "<a>".repeat(HardenedXmlParser.DEFAULT_MAX_DEPTH) + "</a>".repeat(HardenedXmlParser.DEFAULT_MAX_DEPTH);
        parseQuietly(parser, xml.getBytes(StandardCharsets.UTF_8));
        String deeper = "<a>" + xml + "</a>";
        assertTrue(refusal(parser, deeper).contains("depth"));
    }

    @Test
    public void oneParserStaysAsStrictFromDocumentToDocument() throws Exception {
        String limit = "<a>".repeat(HardenedXmlParser.DEFAULT_MAX_DEPTH) + "</a>".repeat(HardenedXmlParser.DEFAULT_MAX_DEPTH);
        for (int round = 0; round < 3; round++) { // nothing of one parse carries over to the next
            assertTrue(refusal(parser, "<b>" + limit + "</b>").contains("depth"));
            assertEquals("a", parseQuietly(parser, limit.getBytes(StandardCharsets.UTF_8)).getDocumentElement().getTagName());
            assertTrue(refusal(parser, "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>").contains("DOCTYPE"));
            assertTrue(refusal(parser, "<a>&e;</a>").contains("\"e\""));
            assertEquals("vm", parseQuietly(parser, "<name>vm</name>".getBytes(StandardCharsets.UTF_8))
                    .getDocumentElement().getTextContent());
        }
    }

    @Test
    public void aTagOfThousandsOfAttributesIsCheckedWholeAndOneOfMoreThanTenThousandRefused() throws Exception {
        StringBuilder plain = new StringBuilder("<r");
        StringBuilder prefixed = new StringBuilder("<r");
        for (int i = 0; i < 4_000; i++) { // past the few looked through one by one: duplicates are found in a set
            plain.append(" a").append(i).append("='").append(i).append('\'');
            prefixed.append(" xmlns:p").append(i).append("='urn:").append(i).append("' p").append(i).append(":x='").append(i).append('\'');
        }
        assertEquals("3999", parseQuietly(parser, (plain + "/>").getBytes(StandardCharsets.UTF_8)).getDocumentElement().getAttribute("a3999"));
        assertEquals("3999", parseQuietly(parser, (prefixed + "/>").getBytes(StandardCharsets.UTF_8)).getDocumentElement()
                .getAttributeNS("urn:3999", "x"));
        assertTrue(refusal(parser, plain + " a17='again'/>").endsWith("<r> has attribute a17 twice"));
        assertTrue("one of those looked through before the set", refusal(parser, plain + " a3='again'/>")
                .endsWith("<r> has attribute a3 twice"));
        String siblings = "<w>" + plain + "/>" + plain + "/></w>"; // each tag's names are its own
        assertEquals(2, parseQuietly(parser, siblings.getBytes(StandardCharsets.UTF_8)).getDocumentElement()
                .getChildNodes().getLength());
        assertTrue(refusal(parser, prefixed + " xmlns:q='urn:17' q:x='again'/>")
                .endsWith("<r> has attributes p17:x and q:x, the same name in urn:17"));
        StringBuilder many = new StringBuilder("<r");
        for (int i = 0; i <= 10_000; i++) {
            many.append(" a").append(i).append("=''");
        }
        assertTrue(refusal(parser, many + "/>").endsWith("<r> has more than 10000 attributes"));
    }

    /** A document cut inside markup is refused, also read from text, whose characters end exactly at its array's end. */
    @Test
    public void aDocumentCutInsideMarkupIsRefused() {
        for (String cut : List.of("<a><!-", "<a><![CDA", "<a></", "<?xm", "<a><?p")) {
            assertThrows(cut, XmlException.class, () -> parser.read(cut, "cookie", new org.xml.sax.helpers.DefaultHandler()));
            refusal(parser, cut);
        }
    }

    /** A name may hold a character beyond U+FFFF (XML 1.0 fifth edition, as libxml2 reads names). */
    @Test
    public void aNameWithACharacterBeyondTheBmpIsRead() throws Exception {
        String name = "a\uD800\uDC00";
        assertEquals(name, parseQuietly(parser, ("<" + name + "/>").getBytes(StandardCharsets.UTF_8)).getDocumentElement()
                .getTagName());
    }

    /** The namespace declarations XML forbids are refused saying which rule they break. */
    @Test
    public void aForbiddenNamespaceDeclarationIsRefusedNamingTheRule() {
        assertTrue(refusal(parser, "<a xmlns:xmlns='urn:x'/>").endsWith("the prefix xmlns cannot be declared"));
        assertTrue(refusal(parser, "<a xmlns:p='http://www.w3.org/2000/xmlns/'/>")
                .endsWith("http://www.w3.org/2000/xmlns/ cannot be declared"));
    }

    @Test
    public void aRefusalIsOneLineWhateverCharacterIsAtFault() {
        assertTrue(refusal(parser, "<\n/>").endsWith("expected an element name, found U+000A"));
        assertTrue(refusal(parser, "<a \u0085='1'/>").endsWith("expected an attribute name in <a>, found U+0085"));
        assertTrue(refusal(parser, "<?xml version='1.0\n'?><a/>").endsWith("not closed or holds U+000A"));
        assertTrue(refusal(parser, "<a>&\u2028;</a>").endsWith("found U+2028")); // a line separator to some readers
        assertTrue(refusal(parser, "<a>\u0001</a>").endsWith("U+0001 is not a character XML 1.0 can carry"));
        assertTrue(refusal(parser, "<=/>").endsWith("expected an element name, found '='"));
    }

    @Test
    public void oversizeInputIsRefusedBeforeParsing() {
        byte[] big = new byte[HardenedXmlParser.DEFAULT_MAX_BYTES + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        assertEquals("migration cookie is " + big.length + " bytes, over the limit of "
                + HardenedXmlParser.DEFAULT_MAX_BYTES + " bytes", refusal(parser, big));
    }

    @Test
    public void sizeLimitIsConfigurable() throws Exception {
        HardenedXmlParser small = new HardenedXmlParser(20, 64);
        assertEquals(20, small.maxBytes());
        parseQuietly(small, "<r>0123456789012</r>".getBytes(StandardCharsets.UTF_8));
        assertEquals("migration cookie is 21 bytes, over the limit of 20 bytes", refusal(small, "<r>01234567890123</r>"));
    }

    /** A refusal naming a megabyte-long name keeps the start of it: it goes to logs and back to the peer. */
    @Test
    public void aRefusalNamingAHugeNameIsCut() throws Exception {
        String name = "n".repeat(1_000_000);
        String message = refusal(parser, "<r><" + name + "></r>");
        assertTrue(message, message.startsWith("malformed migration cookie (line 1, column 1000006): <nnnn"));
        assertTrue(message, message.contains("n [999608 characters cut] nnnn"));
        assertTrue(message, message.length() < 600);
    }

    /** Text is held to the byte limit by its UTF-8 length, not its count of characters. */
    @Test
    public void decodedTextIsHeldToTheByteLimitAsItsUtf8() throws Exception {
        HardenedXmlParser small = new HardenedXmlParser(20, 64);
        small.read("<r>\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9</r>", "migration cookie", new DefaultHandler()); // 19 bytes
        XmlException e = assertThrows(XmlException.class,
                () -> small.read("<r>\u00e9\u00e9\u00e9\u00e9\u00e9\ud83d\ude00</r>", "migration cookie", new DefaultHandler()));
        assertEquals("migration cookie is 21 bytes, over the limit of 20 bytes", e.getMessage());
        assertEquals("the same from its bytes", e.getMessage(), refusal(small, "<r>\u00e9\u00e9\u00e9\u00e9\u00e9\ud83d\ude00</r>"));
    }

    @Test
    public void nonPositiveLimitsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new HardenedXmlParser(0, 64));
        assertThrows(IllegalArgumentException.class, () -> new HardenedXmlParser(1024, 0));
    }

    @Test
    public void emptyInputIsRefused() {
        assertEquals("migration cookie is empty", refusal(parser, new byte[0]));
    }

    @Test
    public void whitespaceOnlyInputIsRefused() {
        assertTrue(refusal(parser, "   \n ").startsWith("malformed migration cookie"));
    }

    @Test
    public void garbageIsRefusedWithItsPosition() {
        String message = refusal(parser, "this is not XML at all {\"json\": true}");
        assertTrue(message, message.startsWith("malformed migration cookie (line 1, column "));
    }

    @Test
    public void binaryGarbageIsRefused() {
        byte[] garbage = new byte[256];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) (i * 37 + 11);
        }
        assertTrue(refusal(parser, garbage).startsWith("malformed migration cookie"));
    }

    @Test
    public void truncatedCookieIsRefused() {
        String cookie = "<qemu-migration>\n  <name>upstream</name>\n  <uuid>dcf47dbd-46d1-4d5b-b442-262a806a333a</uuid>\n"
                + "  <hostname>hostname2</hostname>\n</qemu-migration>\n";
        String message = refusal(parser, cookie.substring(0, cookie.length() / 2));
        assertTrue(message, message.startsWith("malformed migration cookie (line "));
    }

    @Test
    public void mismatchedTagsAreRefused() {
        String message = refusal(parser, "<qemu-migration><name>vm</uuid></qemu-migration>");
        assertTrue(message, message.startsWith("malformed migration cookie (line 1, column "));
    }

    @Test
    public void parserIsReusable() throws Exception {
        refusal(parser, "<broken");
        assertEquals("ok", parseQuietly(parser, "<ok/>".getBytes(StandardCharsets.UTF_8)).getDocumentElement().getTagName());
    }

    @Test
    public void parsesAtOnceKeepTheirOwnDocumentsAndLimits() throws Exception {
        HardenedXmlParser shallow = new HardenedXmlParser(1024, 2);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                int n = i;
                HardenedXmlParser each = n % 2 == 0 ? parser : new HardenedXmlParser(); // a parser made per call, as tools do
                results.add(threads.submit(() -> n % 7 == 0
                        ? refusal(each, "<broken n='" + n + "'")
                        : each.parse(("<a><b n='" + n + "'/></a>").getBytes(StandardCharsets.UTF_8), WHAT)
                                .getDocumentElement().getFirstChild().getAttributes().getNamedItem("n").getNodeValue()));
            }
            for (int i = 0; i < results.size(); i++) {
                String result = results.get(i).get();
                assertTrue(result, i % 7 == 0 ? result.startsWith("malformed migration cookie") : result.equals(String.valueOf(i)));
            }
        } finally {
            threads.shutdownNow();
        }
        String deep = refusal(shallow, "<a><b><c/></b></a>");
        assertTrue("its own depth limit: " + deep, deep.contains("deeper than allowed"));
        assertEquals("a", parseQuietly(shallow, "<a><b/></a>".getBytes(StandardCharsets.UTF_8)).getDocumentElement().getTagName());
    }
}
