package io.ferry.ovsports;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.hypervisor.HypervisorException;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Strings and records as ovs-vsctl prints them (OVS 3.1), and names quoted for it to read back as they are. */
public class OvsdbTextTest {
    @Test
    public void aQuotedStringIsAsciiAndReadsBackAsItWas() throws Exception {
        String name = "v\"n\\e t\u00fc\ud83d\ude00\n";
        assertEquals("\"v\\\"n\\\\e t\\u00fc\\ud83d\\ude00\\u000a\"", OvsdbText.quoted(name));
        assertEquals(name, OvsdbText.string(OvsdbText.quoted(name)));
        assertEquals("vnet7", OvsdbText.string("vnet7"));
        assertEquals("a/b\t", OvsdbText.string("\"a\\/b\\t\""));
    }

    @Test
    public void aMalformedStringIsRefused() {
        for (String printed : List.of("\"", "\"abc", "\"ab\\\"", "\"a\\qb\"", "\"a\\u12\"")) {
            HypervisorException e = assertThrows(printed, HypervisorException.class, () -> OvsdbText.string(printed));
            assertTrue(e.getMessage(), e.getMessage().endsWith(": " + printed));
        }
    }

    /** As printed by {@code find} for a port found, a port not found, and an interface found. */
    @Test
    public void theRecordsFindListedAreReadInOrder() throws Exception {
        String printed = """
                name                : vnet7
                interfaces          : [75aa8f77-49ed-47e9-a892-66c8a8129d72]



                name                : "a b:c"
                _uuid               : 75aa8f77-49ed-47e9-a892-66c8a8129d72
                """;
        assertEquals(List.of(Map.of("name", "vnet7", "interfaces", "[75aa8f77-49ed-47e9-a892-66c8a8129d72]"),
                Map.of("name", "\"a b:c\"", "_uuid", "75aa8f77-49ed-47e9-a892-66c8a8129d72")),
                OvsdbText.records(printed));
        assertEquals(List.of(), OvsdbText.records("\n\n"));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> OvsdbText.records("name : a\nnonsense\n"));
        assertEquals("ovs-vsctl printed a line that is no column of a record: nonsense", e.getMessage());
    }
}
