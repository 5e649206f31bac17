package io.ferry.e2e;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/** {@code bin/ferry cookie …} as scripts use it: output, exit status and one-line errors. */
public class CookieToolsIT {
    private static final Path CORPUS = Path.of(System.getProperty("ferry.corpus"));

    @Test
    public void roundTripKeepsTheHeaderAndPrintsTheSectionsFerryImplements() throws Exception {
        Installation.Result result = Installation.ferry("cookie", "roundtrip", withoutHotplug("full-xml2xml-in.xml").toString());
        assertEquals(result.toString(), 0, result.exit());
        assertEquals("", result.err());
        String out = result.out();
        assertTrue(out, out.startsWith("<qemu-migration>\n  <name>upstream</name>"));
        assertTrue(out, out.contains("<hostname>hostname2</hostname>"));
        assertTrue(out, out.contains("<leases>leastest</leases>"));
        assertTrue(out, out.contains("<domain type='kvm'>"));
        assertTrue(out, out.contains("<portdata>testportdata</portdata>"));
        assertTrue(out, out.contains("<cap auto='yes' name='xbzrle'/>"));
        assertFalse("libvirt-only sections are not claimed", out.contains("<nbd") || out.contains("<allowReboot"));
        assertTrue("sections in libvirt's order", out.indexOf("<graphics") < out.indexOf("<lockstate")
                && out.indexOf("<lockstate") < out.indexOf("<domain") && out.indexOf("<network") < out.indexOf("<statistics")
                && out.indexOf("<statistics") < out.indexOf("<capabilities"));
    }

    @Test
    public void aFeatureFerryDoesNotImplementIsUnknown() throws Exception {
        Installation.Result result = Installation.ferry("cookie", "roundtrip", CORPUS.resolve("full-xml2xml-in.xml").toString());
        assertEquals(1, result.exit());
        assertEquals("", result.out());
        assertEquals("error: Unknown migration cookie feature memory-hotplug\n", result.err());
    }

    @Test
    public void checkEatsAsEachPhaseWould() throws Exception {
        String cookie = withoutHotplug("full-xml2xml-in.xml").toString();
        Installation.Result perform = Installation.ferry("cookie", "check", "--phase", "perform", cookie);
        assertEquals(perform.toString(), 0, perform.exit());
        assertEquals("cookie accepted by perform; sections eaten: graphics, capabilities\n", perform.out());
        Installation.Result prepare = Installation.ferry("cookie", "check", "--phase", "prepare", cookie);
        assertEquals(1, prepare.exit());
        assertEquals("error: Unsupported migration cookie feature graphics\n", prepare.err());
        Installation.Result sameHost = Installation.ferry("cookie", "check", "--phase", "perform",
                "--local-hostuuid", "8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95", cookie);
        assertEquals(1, sameHost.exit());
        assertEquals("error: Attempt to migrate guest to the same host 8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95\n", sameHost.err());
        Installation.Result badPhase = Installation.ferry("cookie", "check", "--phase", "begin2", cookie);
        assertEquals(1, badPhase.exit());
        assertTrue(badPhase.err(), badPhase.err().startsWith("error: unknown phase 'begin2'"));
    }

    @Test
    public void hostileCookiesAreRefusedWithOneLineAndLeakNothing() throws Exception {
        Path secret = Files.writeString(Files.createTempFile(Installation.WORK, "secret", ".txt"), "TOP-SECRET-CONTENT");
        String header = "<qemu-migration><name>x</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                + "<hostname>h</hostname><hostuuid>1b4e28ba-2fa1-11d2-883f-0016d3cca428</hostuuid>";
        String xxe = "<?xml version='1.0'?><!DOCTYPE q [<!ENTITY s SYSTEM '" + secret.toUri() + "'>]>"
                + header + "<graphics type='vnc' port='1' listen='&s;'/></qemu-migration>";
        String laughs = "<?xml version='1.0'?><!DOCTYPE q [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                + "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>]>"
                + header + "<name>&d;</name></qemu-migration>";
        String deep = header + "<x>".repeat(100_000) + "</x>".repeat(100_000) + "</qemu-migration>";
        String oversize = header + "<!--" + " ".repeat(5 * 1024 * 1024) + "--></qemu-migration>";
        String halfWritten = header + "<graphics type='vnc' por";
        for (String hostile : new String[] {xxe, laughs, deep, oversize, halfWritten, "not xml at all"}) {
            Path file = Files.writeString(Files.createTempFile(Installation.WORK, "hostile", ".xml"), hostile);
            Installation.Result result = Installation.ferry("cookie", "roundtrip", file.toString());
            String summary = hostile.substring(0, Math.min(60, hostile.length()));
            assertEquals(summary + "\n" + result, 1, result.exit());
            assertEquals(summary, "", result.out());
            assertTrue(summary + "\n" + result.err(), result.err().startsWith("error: ") && result.err().indexOf('\n') == result.err().length() - 1);
            assertFalse(result.err().contains("TOP-SECRET") || result.err().contains("Exception"));
        }
    }

    @Test
    public void aMissingFileIsNamed() throws Exception {
        Installation.Result result = Installation.ferry("cookie", "roundtrip", "/nonexistent/cookie.xml");
        assertEquals(1, result.exit());
        assertEquals("error: no such file: /nonexistent/cookie.xml\n", result.err());
    }

    @Test
    public void offlineSectionsListsEverySectionTheDistributionShips() throws Exception {
        Installation.Result result = Installation.ferry("sections");
        assertEquals(result.toString(), 0, result.exit());
        for (String row : new String[] {"graphics", "lockstate", "persistent", "network", "statistics", "capabilities", "snapshots"}) {
            assertTrue(row + " in\n" + result.out(), result.out().lines().anyMatch(line -> line.startsWith(" " + row + " ")));
        }
        assertTrue(result.out(), result.out().contains(" lockstate      lockstate      1.0       when-baked   begin,perform    prepare,finish    io.ferry.plugin.lockstate"));
    }

    private static Path withoutHotplug(String corpusFile) throws Exception {
        String text = Files.readString(CORPUS.resolve(corpusFile), StandardCharsets.UTF_8);
        String cleaned = text.lines().filter(line -> !line.contains("hotplug")).reduce("", (a, b) -> a + b + "\n");
        Files.createDirectories(Installation.WORK);
        return Files.writeString(Files.createTempFile(Installation.WORK, corpusFile, ".xml"), cleaned);
    }
}
