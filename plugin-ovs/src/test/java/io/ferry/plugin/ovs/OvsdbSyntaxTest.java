package io.ferry.plugin.ovs;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.Test;

/** Values as ovs-vsctl prints them (the OVS 3.1 output in the comments) and the names it is given. */
public class OvsdbSyntaxTest {
    @Test
    public void aPrintedStringIsItselfBareAndUnescapedQuoted() throws Exception {
        assertEquals("vnet1", OvsdbSyntax.string("vnet1"));
        assertEquals("0abc", OvsdbSyntax.string("\"0abc\""));
        assertEquals("a\"b,c\\ \n\u00fc\ud83d\ude00/",
                OvsdbSyntax.string("\"a\\\"b,c\\\\ \\n\\u00fc\\ud83d\\ude00\\/\""));
        assertEquals("", OvsdbSyntax.string("\"\""));
        for (String malformed : new String[] {"\"open", "\"a\\x\"", "\"\\u12\"", "\"\\\""}) {
            assertThrows(malformed, IOException.class, () -> OvsdbSyntax.string(malformed));
        }
    }

    @Test
    public void aPrintedMapKeepsEachValueAsPrinted() throws Exception {
        assertEquals(Map.of(), OvsdbSyntax.map("{}"));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("PortData", "\"Z\u00fcrich, a=b \\\"c\\\"}\"");
        expected.put("vm-uuid", "\"0a1b2c3d-0000-4000-8000-000000000001\"");
        expected.put("a key", "x");
        // {PortData="Zürich, a=b \"c\"}", vm-uuid="0a1b…", "a key"=x}: keys sorted as ovs-vsctl prints them
        assertEquals(expected, OvsdbSyntax.map("{PortData=\"Z\u00fcrich, a=b \\\"c\\\"}\","
                + " vm-uuid=\"0a1b2c3d-0000-4000-8000-000000000001\", \"a key\"=x}"));
        for (String malformed : new String[] {"PortData=x", "{PortData}", "{a=\"x}", "{a=x,b=y}"}) {
            assertThrows(malformed, IOException.class, () -> OvsdbSyntax.map(malformed));
        }
    }

    @Test
    public void aQuotedNameIsReadBackAsItIs() throws Exception {
        for (String name : new String[] {"vnet1", "cafe", "a\"b,c", "back\\slash", "tab\there", "", "Z\u00fcrich"}) {
            assertEquals(name, OvsdbSyntax.string(OvsdbSyntax.quoted(name)));
        }
        assertEquals("\"a\\\"b\\\\c\\u0009\"", OvsdbSyntax.quoted("a\"b\\c\t"));
    }

    /** ASCII alone goes to ovs-vsctl (under LANG=C the JVM makes '?' of the rest), meaning what was printed. */
    @Test
    public void aValueIsGivenBackInAsciiAlone() throws Exception {
        for (String ascii : new String[] {"x", "\"z w\"", "a\"b", "\"\\u00fc\"", "\"\""}) {
            assertEquals(ascii, OvsdbSyntax.ascii(ascii));
        }
        assertEquals("\"Z\\u00fcrich \\\"\\u00e9\\\" \\\\ \\ud83d\\ude00 \\u007f\"",
                OvsdbSyntax.ascii("\"Z\u00fcrich \\\"\u00e9\\\" \\\\ \ud83d\ude00 \u007f\""));
        assertEquals("bare, quoted first", "\"\\u00fc \\\"\\\\\"", OvsdbSyntax.ascii("\u00fc \"\\"));
        for (String value : new String[] {"Z\u00fcrich \ud83d\ude00", "\u00fc\""}) {
            assertEquals(value, OvsdbSyntax.string(OvsdbSyntax.ascii(value)));
        }
        IOException e = assertThrows(IOException.class, () -> OvsdbSyntax.ascii("\"a\\\u00fc\""));
        assertEquals("malformed string (a backslash before '\u00fc'): \"a\\\u00fc\"", e.getMessage());
        e = assertThrows(IOException.class, () -> OvsdbSyntax.ascii("\"\u00fc"));
        assertEquals("malformed string (no closing quote): \"\u00fc", e.getMessage());
    }
}
