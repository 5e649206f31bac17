package io.ferry.protocol;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlChars;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.Test;

/** Text XML 1.0 cannot carry is refused where it would be written; what XML carries is written and read back. */
public class XmlCharsTest {
    private static final List<String> UNCARRIABLE = List.of("\u0000", "\u0001", "\u0008", "\u000B", "\u000C", "\u000E",
            "\u001F", "\uFFFE", "\uFFFF", "\uD800", "\uDFFF", "\uDC00\uD800");

    @Test
    public void everyCharacterXmlCannotCarryIsFoundAndNamed() {
        for (String bad : UNCARRIABLE) {
            String text = "ab" + bad + "c";
            assertEquals(escaped(bad), 2, XmlChars.firstInvalid(text));
            XmlChars.Refused refused = assertThrows(XmlChars.Refused.class, () -> XmlChars.require("parameter 'description'", text));
            assertEquals("parameter 'description' holds " + String.format("U+%04X", (int) bad.charAt(0))
                    + " at character 3, which XML 1.0 cannot carry", refused.getMessage());
        }
    }

    @Test
    public void whatXmlCarriesPasses() {
        for (String good : List.of("", "plain", "tab\tline\nreturn\r", "\u0020\uD7FF\uE000\uFFFD", "emoji \uD83D\uDE80 pair",
                "\uDBFF\uDFFF")) {
            assertEquals(escaped(good), -1, XmlChars.firstInvalid(good));
            XmlChars.require("x", good);
        }
    }

    @Test
    public void theWriterRefusesTextAndAttributesItCouldNotReadBack() {
        XmlChars.Refused text = assertThrows(XmlChars.Refused.class,
                () -> Xml.create("domainsnapshot").text("description", "before \uFFFF upgrade").write());
        assertEquals("<description> holds U+FFFF at character 8, which XML 1.0 cannot carry", text.getMessage());
        XmlChars.Refused attribute = assertThrows(XmlChars.Refused.class,
                () -> Xml.create("migrate").attr("dname", "vm\u0001").write());
        assertEquals("attribute 'dname' of <migrate> holds U+0001 at character 3, which XML 1.0 cannot carry",
                attribute.getMessage());
    }

    @Test
    public void theWriterRefusesEveryCharacterXmlCannotCarryAsRequireDoes() {
        for (String bad : UNCARRIABLE) {
            String value = "ok <&> " + bad + " rest";
            String expected = assertThrows(XmlChars.Refused.class, () -> XmlChars.require("x", value)).getMessage().substring(1);
            assertEquals(escaped(bad), "<description>" + expected, assertThrows(XmlChars.Refused.class,
                    () -> Xml.create("snapshot").text("description", value).write()).getMessage());
            assertEquals(escaped(bad), "attribute 'note' of <snapshot>" + expected, assertThrows(XmlChars.Refused.class,
                    () -> Xml.create("snapshot").attr("note", value).write()).getMessage());
        }
    }

    @Test
    public void whatTheWriterWritesReadsBackUnchanged() throws Exception {
        for (String good : List.of("", "plain", "tab\tline\nreturn\r", "\u0020\uD7FF\uE000\uFFFD", "emoji \uD83D\uDE80 pair",
                "\uDBFF\uDFFF", "<&>'\"\r\n\t")) {
            String xml = Xml.create("snapshot").attr("note", good).text("description", "[" + good + "]").write();
            Xml read = Xml.of(new HardenedXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8), "test").getDocumentElement());
            assertEquals(escaped(good), good, read.attr("note"));
            assertEquals(escaped(good), "[" + good + "]", read.childText("description"));
        }
    }

    @Test
    public void oneValueWithEverySpecialCharacterReadsBackUnchanged() throws Exception {
        String text = "tab\tand line\nand emoji \uD83D\uDE80 and \uFFFD <&>'\"";
        String xml = Xml.create("snapshot").attr("note", text).text("description", text).write();
        Xml read = Xml.of(new HardenedXmlParser().parse(xml.getBytes(StandardCharsets.UTF_8), "test").getDocumentElement());
        assertEquals(text, read.attr("note"));
        assertEquals(text, read.childText("description"));
    }

    @Test
    public void messagesToHumansHaveTheCharactersReplaced() {
        assertEquals("no domain 'a\uFFFDb\uFFFD\uD83D\uDE80'", XmlChars.replaceInvalid("no domain 'a\uFFFFb\uD800\uD83D\uDE80'"));
        assertEquals("fine", XmlChars.replaceInvalid("fine"));
    }

    private static String escaped(String text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> out.append(String.format("\\u%04X", c)));
        return out.toString();
    }
}
