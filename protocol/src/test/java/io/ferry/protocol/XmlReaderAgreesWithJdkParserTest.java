package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.Test;

/**
 * Ferry reads XML with its own reader, held against the JDK's parser ({@link JdkYardstick}): for every document
 * here and thousands of damaged copies of them (ASCII markup put in, taken out, repeated), both must refuse it or
 * both build the same tree.
 */
public class XmlReaderAgreesWithJdkParserTest {
    private static final String MARKUP = "<>&;'\"=/!?-[]:#x \r\n\ta";

    static final List<String> DOCUMENTS = List.of(
            "<qemu-migration><name>vm</name><uuid>dcf47dbd</uuid></qemu-migration>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone='yes'?>\n<!-- head -->\n<?pi data?>\n<r a='1' b=\"2\">t</r>\n<!--tail-->",
            "\uFEFF<r>\r\n<a x='a\tb\nc\r\nd &#9; &#10;&#13;'/>\r<b>&lt;&gt;&amp;&quot;&apos;&#x41;&#65;&#x1F600;</b></r>",
            "<r><![CDATA[<not> & markup]]>text<![CDATA[]]><!----><?t?>]]&gt;</r>",
            "<domain xmlns:sim='urn:ferry:sim' xmlns='urn:default'><sim:workload fill='random' sim:x='1'/>"
                    + "<a xmlns=''><b/></a><c xml:lang='en' xmlns:p='urn:p'><p:d p:e='1' e='2'/></c></domain>",
            "<a><b><c><d><e><f><g><h>deep</h></g></f></e></d></c></b></a>",
            "<r xmlns:a='urn:1' xmlns:b='urn:1'><x a:k='1' b:j='2'/></r>",
            "<r xmlns:p='urn:1' xmlns='urn:d'><a xmlns:p='urn:2' xmlns=''><p:x/><y/></a><p:y/><z/></r>",
            "<r>\u00e9\u4e2d\ud83d\ude00 mixed <b>bold</b> tail &amp; more</r>",
            "<r  a = '1'\n\tb=\"x'y\" ></r >",
            "<?xml version='1.0' encoding='ISO-8859-1'?><r>ASCII alone</r>",
            "<?xml version='1.0' encoding='UTF-16'?><r>not UTF-16</r>");

    private final JdkYardstick yardstick = new JdkYardstick();
    private final HardenedXmlParser ferry = new HardenedXmlParser(1 << 20, JdkYardstick.DEPTH);

    @Test
    public void everyDocumentHereIsReadAsTheJdkReadsIt() throws Exception {
        int read = 0;
        for (byte[] document : seeds()) {
            read += yardstick.agree(document) ? 1 : 0; // the protocol's fuzz seeds hold hostile ones too
        }
        assertTrue("read " + read, read >= DOCUMENTS.size() + 10);
    }

    @Test
    public void damagedCopiesAreRefusedOrReadAsTheJdkReadsThem() throws Exception {
        Random random = new Random(20261201);
        int refused = 0;
        int read = 0;
        for (byte[] seed : seeds()) {
            for (int round = 0; round < 1000; round++) {
                byte[] damaged = damage(seed, random);
                if (yardstick.agree(damaged)) {
                    read++;
                } else {
                    refused++;
                }
            }
        }
        assertTrue("some damaged copies are still well-formed: " + read, read > 1000);
        assertTrue("most are not: " + refused, refused > 1000);
    }

    @Test
    public void namespaceMistakesAreRefusedByBoth() throws Exception {
        for (String bad : List.of("<p:a/>", "<a p:b='1'/>", "<a xmlns:p=''/>", "<xmlns:a xmlns:xmlns='urn:x'/>",
                "<a xmlns:xml='urn:x'/>", "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>", "<a:b:c xmlns:a='urn:a'/>",
                "<a xmlns:p='urn:1' xmlns:q='urn:1' p:x='1' q:x='2'/>", "<a: xmlns:a='urn:a'/>", "<a:-b xmlns:a='urn:a'/>", "<a p:-b='1' xmlns:p='urn:p'/>", "<a b='1' b='2'/>",
                "<a>&unknown;</a>", "<a>&#0;</a>", "<a>&#xFFFE;</a>", "<a>]]></a>", "<a><!-- -- --></a>", "<?xml version='1.0'?><a/><?xml version='1.0'?>",
                "<a/><b/>", "text<a/>", "<a/>text", "<!DOCTYPE a><a/>", "<a><?xml x?></a>", "<a b=1/>", "<a\u0001/>")) {
            assertTrue(bad, !yardstick.agree(bad.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** XML 1.0 allows no control character but tab and line breaks, in text, attribute values, comments, CDATA or PIs. */
    @Test
    public void aControlCharacterIsRefusedByBothWhereverItStands() throws Exception {
        for (String bad : List.of("<a>\u0001</a>", "<a b='\u0001'/>", "<a b='x\u001Fy'/>", "<a b='\uFFFE'/>",
                "<a><!--\u0001--></a>", "<a><![CDATA[\u0001]]></a>", "<a><![CDATA[\uFFFF]]></a>", "<a><?pi \u0001?></a>")) {
            assertTrue(bad, !yardstick.agree(bad.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    public void aNameThatStartsWithAColonIsRefused() {
        // the JDK reads it, and its DOM names the attribute "b": a copy of the tree refuses it, or it is another name
        for (String bad : List.of("<a :b='1'/>", "<:a/>")) {
            XmlException e = assertThrows(XmlException.class, () -> ferry.parse(bad.getBytes(StandardCharsets.UTF_8), "c"));
            assertTrue(e.getMessage(), e.getMessage().endsWith("is not a qualified name"));
        }
    }

    @Test
    public void aDocumentNotAllAsciiInAnotherEncodingIsRefusedNamingIt() {
        byte[] latin1 = "<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\u00e9</a>".getBytes(StandardCharsets.UTF_8);
        XmlException e = assertThrows(XmlException.class, () -> ferry.parse(latin1, "definition"));
        assertEquals("malformed definition (line 1, column 42): the document declares encoding ISO-8859-1; only UTF-8 is"
                + " read, or a document all ASCII in an encoding that extends ASCII", e.getMessage());
    }

    @Test
    public void nonUtf8IsRefusedNamingTheByte() {
        byte[] latin1 = "<a>caf\u00e9</a>".getBytes(StandardCharsets.ISO_8859_1);
        XmlException e = assertThrows(XmlException.class, () -> ferry.parse(latin1, "cookie"));
        assertEquals("malformed cookie (line 1, column 7): byte 7 is 0xE9, which is not UTF-8 there (only UTF-8 is read)",
                e.getMessage());
    }

    @Test
    public void aRefusalNamesTheLineAndColumnOfWhatIsWrong() {
        XmlException e = assertThrows(XmlException.class,
                () -> ferry.parse("<a>\r\n <b>\n  <c></b>\n</a>".getBytes(StandardCharsets.UTF_8), "cookie"));
        assertEquals("malformed cookie (line 3, column 6): <c> is closed by </b>", e.getMessage());
    }

    private static byte[] damage(byte[] seed, Random random) {
        StringBuilder text = new StringBuilder(new String(seed, StandardCharsets.UTF_8));
        for (int edits = 1 + random.nextInt(3); edits > 0 && text.length() > 0; edits--) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(4)) {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, MARKUP.charAt(random.nextInt(MARKUP.length())));
                case 2 -> text.setCharAt(at, MARKUP.charAt(random.nextInt(MARKUP.length())));
                default -> text.insert(at, text, at, Math.min(text.length(), at + 1 + random.nextInt(12)));
            }
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<byte[]> seeds() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        DOCUMENTS.forEach(document -> seeds.add(document.getBytes(StandardCharsets.UTF_8)));
        Path messages = Path.of("src/test/resources/io/ferry/protocol/MessagesFuzzTestInputs/everyMessageIsReadOrRefusedAndWritesBackTheSame");
        try (Stream<Path> files = Files.list(messages)) {
            for (Path file : files.sorted().toList()) {
                seeds.add(Files.readAllBytes(file));
            }
        }
        assertTrue(seeds.size() > 20);
        return seeds;
    }
}
