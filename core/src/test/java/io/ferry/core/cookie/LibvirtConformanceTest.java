package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.ferry.api.cookie.CookieException;
import io.ferry.core.builtin.MigrationCapabilities;
import io.ferry.core.section.SectionSet;
import io.ferry.plugin.graphics.GraphicsRelocation;
import io.ferry.protocol.xml.HardenedXmlParser;
import io.ferry.protocol.xml.XmlWriter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;
import org.junit.experimental.runners.Enclosed;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;
import org.w3c.dom.Element;

/**
 * Runs libvirt's own migration cookie corpus (tests/qemumigrationcookiexmldata) through Ferry's codec and the
 * shipped sections, and checks that Ferry re-formats each cookie as libvirt does, for every element Ferry
 * implements.
 */
@RunWith(Enclosed.class)
public class LibvirtConformanceTest {
    static final String CORPUS = "/libvirt-cookies/";
    /** Top-level elements of libvirt's cookie that Ferry does not implement; dropped from the expected side. */
    static final Set<String> NOT_IMPLEMENTED = Set.of("nbd", "cpu", "allowReboot", "blockDirtyBitmaps");
    /** Features that only libvirt knows; dropped from the input before parsing. */
    static final List<String> LIBVIRT_ONLY_FEATURES = List.of("memory-hotplug", "cpu-hotplug");

    static String read(String name) {
        try (InputStream in = LibvirtConformanceTest.class.getResourceAsStream(CORPUS + name)) {
            if (in == null) {
                throw new AssertionError("corpus file " + name + " is missing from the test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String dropLibvirtOnlyFeatures(String xml) {
        String result = xml;
        for (String feature : LIBVIRT_ONLY_FEATURES) {
            result = result.replaceAll("(?m)^[ \\t]*<feature name='" + feature + "'/>[ \\t]*\\r?\\n", "");
        }
        return result;
    }

    static ParsedCookie parseRoundTrip(String xml) throws CookieException {
        return TestSections.codec().parse(xml.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(), TestSections.all());
    }

    static String reformat(ParsedCookie parsed) throws CookieException {
        return TestSections.codec().format(parsed.header(), List.of(), parsed.sections());
    }

    static Element child(Element parent, String name) {
        List<Element> matches = CanonicalXml.children(parent).stream().filter(e -> e.getTagName().equals(name)).toList();
        assertEquals("number of <" + name + "> elements", 1, matches.size());
        return matches.get(0);
    }

    /** Each *-xml2xml-in.xml against its *-xml2xml-out.xml. */
    @RunWith(Parameterized.class)
    public static class Xml2Xml {
        private final String in;
        private final String out;

        public Xml2Xml(String test, String in, String out) {
            this.in = in;
            this.out = out;
        }

        @Parameters(name = "{0}")
        public static Collection<Object[]> corpus() throws IOException, URISyntaxException {
            Path directory = Path.of(LibvirtConformanceTest.class.getResource(CORPUS).toURI());
            List<Object[]> cases = new ArrayList<>();
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.sorted().toList()) {
                    String name = file.getFileName().toString();
                    if (name.endsWith("-xml2xml-in.xml")) {
                        String test = name.substring(0, name.length() - "-xml2xml-in.xml".length());
                        cases.add(new Object[] {test, name, test + "-xml2xml-out.xml"});
                    }
                }
            }
            if (cases.size() < 3) {
                throw new AssertionError("libvirt's corpus has basic, full and nbd-bitmaps; found only " + cases.size());
            }
            return cases;
        }

        @Test
        public void reformattedCookieMatchesLibvirtForEveryImplementedElement() throws Exception {
            SectionSet sections = TestSections.all();
            Element input = CanonicalXml.parse(read(in));
            Element expectedRoot = CanonicalXml.parse(read(out));
            String formatted = reformat(parseRoundTrip(dropLibvirtOnlyFeatures(read(in))));
            Element actualRoot = CanonicalXml.parse(formatted);
            assertEquals("qemu-migration", actualRoot.getTagName());

            List<String> expected = new ArrayList<>();
            Set<String> dropped = new LinkedHashSet<>();
            for (Element element : CanonicalXml.children(expectedRoot)) {
                String name = element.getTagName();
                if (name.equals("name") || name.equals("uuid") || sections.byElement(name).isPresent()) {
                    expected.add(CanonicalXml.canonical(element));
                } else if (!name.equals("hostname") && !name.equals("hostuuid")) {
                    dropped.add(name);
                }
            }
            dropped.remove("feature");
            assertTrue("expected side has elements Ferry neither implements nor knows to skip: " + dropped,
                    NOT_IMPLEMENTED.containsAll(dropped));

            List<String> actual = CanonicalXml.children(actualRoot).stream()
                    .filter(e -> !e.getTagName().equals("hostname") && !e.getTagName().equals("hostuuid"))
                    .map(CanonicalXml::canonical).collect(Collectors.toList());
            assertEquals(String.join("\n", expected), String.join("\n", actual));

            // libvirt re-bakes the header with its test host; Ferry keeps the input's
            for (String header : List.of("hostname", "hostuuid")) {
                assertEquals(header, child(input, header).getTextContent().trim(),
                        child(actualRoot, header).getTextContent().trim());
            }
            List<String> order = CanonicalXml.children(actualRoot).stream().limit(4).map(Element::getTagName).toList();
            assertEquals(List.of("name", "uuid", "hostname", "hostuuid"), order);
        }

        @Test
        public void reformattingWithoutMandatoryFeaturesWritesNoFeatureLine() throws Exception {
            String formatted = reformat(parseRoundTrip(dropLibvirtOnlyFeatures(read(in))));
            assertTrue(formatted, CanonicalXml.children(CanonicalXml.parse(formatted)).stream()
                    .noneMatch(e -> e.getTagName().equals("feature")));
            assertFalse(formatted, formatted.contains("<feature "));
        }

        @Test
        public void reformattedCookieIsAFixedPoint() throws Exception {
            String once = reformat(parseRoundTrip(dropLibvirtOnlyFeatures(read(in))));
            String twice = reformat(parseRoundTrip(once));
            assertEquals(once, twice);
        }
    }

    /** The libvirt-only features and the modern-dom-out cookies. */
    public static class Features {
        @Test
        public void libvirtOnlyHotplugFeatureIsRefusedAsUnknown() {
            String full = read("full-xml2xml-in.xml");
            assertTrue(full.contains("<feature name='memory-hotplug'/>"));
            try {
                parseRoundTrip(full);
                fail("a cookie announcing memory-hotplug parsed");
            } catch (CookieException e) {
                assertEquals("Unknown migration cookie feature memory-hotplug", e.getMessage());
            }
        }

        @Test
        public void cpuHotplugIsRefusedOnceMemoryHotplugIsDropped() {
            String dest = read("modern-dom-out-dest.xml").replace("<feature name='memory-hotplug'/>", "");
            try {
                parseRoundTrip(dest);
                fail("a cookie announcing cpu-hotplug parsed");
            } catch (CookieException e) {
                assertEquals("Unknown migration cookie feature cpu-hotplug", e.getMessage());
            }
        }

        @Test
        public void fullCookieKeepsItsKnownFeatureGraphics() throws Exception {
            ParsedCookie parsed = parseRoundTrip(dropLibvirtOnlyFeatures(read("full-xml2xml-in.xml")));
            assertEquals(List.of("graphics"), parsed.features());
            assertEquals(6, parsed.sections().size());
        }

        @Test
        public void modernDomDestinationCookieParsesAndItsGraphicsRoundTrip() throws Exception {
            assertModernDomGraphicsRoundTrip("modern-dom-out-dest.xml");
        }

        @Test
        public void modernDomSourceCookieParsesAndItsGraphicsRoundTrip() throws Exception {
            assertModernDomGraphicsRoundTrip("modern-dom-out-source.xml");
        }

        /**
         * XML lets a cookie declare on its root a prefix its definition uses (libvirt writes it on {@code <domain>}):
         * the definition read from it keeps the binding, so the destination can define what it writes out.
         */
        @Test
        public void aPrefixTheRootDeclaresStaysBoundInTheDefinition() throws Exception {
            String qemu = "http://libvirt.org/schemas/domain/qemu/1.0";
            String cookie = "<qemu-migration xmlns:qemu='" + qemu + "'><name>vm</name>"
                    + "<uuid>4dea22b3-1d52-d8f3-2516-782e98a23fa0</uuid><hostname>src</hostname>"
                    + "<hostuuid>8b4b5aa4-3d24-4a5e-8a91-2b3d5f2b7f3e</hostuuid><domain type='kvm'><name>vm</name>"
                    + "<qemu:commandline><qemu:arg value='-no-hpet'/></qemu:commandline></domain></qemu-migration>";
            Element definition = (Element) parseRoundTrip(cookie).value("persistent").orElseThrow();
            Element read = CookieCodec.document(new HardenedXmlParser(),
                    XmlWriter.write(definition).getBytes(StandardCharsets.UTF_8), "definition").getDocumentElement();
            Element arg = (Element) read.getElementsByTagName("qemu:arg").item(0);
            assertEquals(qemu, arg.getNamespaceURI());
            assertEquals("-no-hpet", arg.getAttribute("value"));
            assertEquals(qemu, ((Element) parseRoundTrip(reformat(parseRoundTrip(cookie))).value("persistent")
                    .orElseThrow()).getElementsByTagName("qemu:commandline").item(0).getNamespaceURI());
        }

        private static void assertModernDomGraphicsRoundTrip(String file) throws Exception {
            String original = read(file);
            String stripped = dropLibvirtOnlyFeatures(original);
            assertNotEquals("hotplug features were dropped", original, stripped);
            ParsedCookie parsed = parseRoundTrip(stripped);

            assertEquals(List.of(), parsed.features());
            assertEquals("upstream", parsed.header().name());
            assertEquals("hostname2", parsed.header().hostname());
            assertEquals(new GraphicsRelocation("spice", 5900, "127.0.0.1", -1, null),
                    parsed.value("graphics").orElseThrow());
            assertEquals(MigrationCapabilities.NONE, parsed.value("capabilities").orElseThrow());

            Element formatted = CanonicalXml.parse(reformat(parsed));
            assertEquals(CanonicalXml.canonical(child(CanonicalXml.parse(original), "graphics")),
                    CanonicalXml.canonical(child(formatted, "graphics")));
            assertEquals(parsed.value("graphics"), parseRoundTrip(reformat(parsed)).value("graphics"));
        }
    }
}
