package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.CookieSection;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.core.builtin.JobStatistics;
import io.ferry.core.builtin.MigrationCapabilities;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.plugin.graphics.GraphicsRelocation;
import io.ferry.plugin.lockstate.LeaseState;
import io.ferry.plugin.ovs.PortData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;
import org.w3c.dom.Element;

/** How Ferry writes a cookie: libvirt's layout, canonical section order, feature lines, escaping. */
public class CookieFormattingTest {
    static final CookieHeader HEADER = new CookieHeader("vm1", "dcf47dbd-46d1-4d5b-b442-262a806a333a", "srchost",
            UUID.fromString("8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95"));

    /** A section outside libvirt's list, writing its value as an attribute. */
    static class TextSection implements CookieSection<String> {
        @Override
        public String parse(Element fragment) {
            return fragment.getAttribute("value");
        }

        @Override
        public void format(String value, Element fragment) {
            fragment.setAttribute("value", value);
        }

        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.empty();
        }

        @Override
        public void eat(SectionContext context, String value) {
        }
    }

    static SectionHandle text(String element) {
        return TestSections.handle(new TextSection(), element, element, Mandatory.NEVER, List.of(Phase.BEGIN),
                List.of(Phase.PREPARE));
    }

    static ParsedCookie.Section section(SectionHandle handle, Object value) {
        return new ParsedCookie.Section(handle, value);
    }

    static Element domain() {
        return CanonicalXml.parse("<domain type='kvm'><name>vm1</name></domain>");
    }

    static List<String> topLevel(String xml) {
        return CanonicalXml.children(CanonicalXml.parse(xml)).stream().map(Element::getTagName).toList();
    }

    @Test
    public void sectionsComeOutInLibvirtsOrderThenOthersByName() throws Exception {
        List<ParsedCookie.Section> sections = new ArrayList<>(List.of(
                section(text("zeta"), "z"),
                section(TestSections.capabilities(), MigrationCapabilities.NONE),
                section(text("alpha"), "a"),
                section(TestSections.statistics(), new JobStatistics(Map.of("downtime", 5L))),
                section(TestSections.network(), new PortData(List.of(new PortData.Interface(0, "openvswitch", "p")))),
                section(TestSections.persistent(), domain()),
                section(TestSections.lockstate(), new LeaseState("sanlock", "l")),
                section(TestSections.graphics(), new GraphicsRelocation("vnc", 5900, "::", null, null))));
        String xml = TestSections.codec().format(HEADER, List.of(), sections);
        assertEquals(List.of("name", "uuid", "hostname", "hostuuid", "graphics", "lockstate", "domain", "network",
                "statistics", "capabilities", "alpha", "zeta"), topLevel(xml));
    }

    @Test
    public void sectionSetIsKeptInCanonicalOrder() {
        SectionSet set = TestSections.of(text("beta"), TestSections.capabilities(), TestSections.network(),
                TestSections.graphics(), text("aardvark"), TestSections.statistics(), TestSections.persistent(),
                TestSections.lockstate());
        assertEquals(List.of("graphics", "lockstate", "domain", "network", "statistics", "capabilities", "aardvark", "beta"),
                set.all().stream().map(h -> h.descriptor().element()).toList());
    }

    @Test
    public void canonicalOrderPutsLibvirtElementsFirst() {
        List<String> elements = new ArrayList<>(List.of("blockDirtyBitmaps", "zzz", "capabilities", "cpu", "aaa",
                "statistics", "nbd", "network", "domain", "lockstate", "graphics"));
        elements.sort(CanonicalOrder.ELEMENTS);
        assertEquals(List.of("graphics", "lockstate", "domain", "network", "nbd", "statistics", "cpu", "capabilities",
                "blockDirtyBitmaps", "aaa", "zzz"), elements);
    }

    @Test
    public void mandatoryFeaturesFollowTheHeaderInLibvirtsLayout() throws Exception {
        String xml = TestSections.codec().format(HEADER, List.of("lockstate", "snapshots"), List.of(
                section(TestSections.capabilities(), new MigrationCapabilities(
                        List.of(new MigrationCapabilities.Capability("xbzrle", true)))),
                section(TestSections.lockstate(), new LeaseState("sanlock", "lease"))));
        assertEquals("""
                <qemu-migration>
                  <name>vm1</name>
                  <uuid>dcf47dbd-46d1-4d5b-b442-262a806a333a</uuid>
                  <hostname>srchost</hostname>
                  <hostuuid>8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95</hostuuid>
                  <feature name='lockstate'/>
                  <feature name='snapshots'/>
                  <lockstate driver='sanlock'>
                    <leases>lease</leases>
                  </lockstate>
                  <capabilities>
                    <cap auto='yes' name='xbzrle'/>
                  </capabilities>
                </qemu-migration>
                """, xml);
    }

    @Test
    public void noFeatureLineWithoutMandatoryFeatures() throws Exception {
        String xml = TestSections.codec().format(HEADER, List.of(), List.of(
                section(TestSections.lockstate(), new LeaseState("sanlock", null))));
        assertEquals(List.of("name", "uuid", "hostname", "hostuuid", "lockstate"), topLevel(xml));
    }

    @Test
    public void emptySectionIsWrittenAsAnEmptyElement() throws Exception {
        String xml = TestSections.codec().format(HEADER, List.of(),
                List.of(section(TestSections.capabilities(), MigrationCapabilities.NONE)));
        assertTrue(xml, xml.contains("\n  <capabilities/>\n"));
    }

    @Test
    public void attributeValuesWithQuotesAmpersandAndLessThanRoundTrip() throws Exception {
        String nasty = "it's \"quoted\" & <tagged> here";
        GraphicsRelocation value = new GraphicsRelocation("spice", 5900, nasty, 5901, "CN=" + nasty);
        String xml = TestSections.codec().format(HEADER, List.of(), List.of(section(TestSections.graphics(), value)));
        assertTrue(xml, xml.contains("listen='it&apos;s &quot;quoted&quot; &amp; &lt;tagged&gt; here'"));

        ParsedCookie parsed = TestSections.codec().parse(xml.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(),
                TestSections.all());
        assertEquals(value, parsed.value("graphics").orElseThrow());
    }

    @Test
    public void textWithMarkupCharactersRoundTrips() throws Exception {
        CookieHeader header = new CookieHeader("a<b>&'c\"", HEADER.uuid(), "h&<>", HEADER.hostUuid());
        LeaseState leases = new LeaseState("d", "x</leases><evil/>&amp;");
        String xml = TestSections.codec().format(header, List.of(), List.of(section(TestSections.lockstate(), leases)));
        ParsedCookie parsed = TestSections.codec().parse(xml.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(),
                TestSections.all());
        assertEquals(header, parsed.header());
        assertEquals(leases, parsed.value("lockstate").orElseThrow());
    }

    @Test
    public void formattedCookieParsesBackToTheSameValues() throws Exception {
        List<ParsedCookie.Section> sections = List.of(
                section(TestSections.graphics(), new GraphicsRelocation("spice", 5900, "0.0.0.0", 5901, "CN=dest")),
                section(TestSections.lockstate(), new LeaseState("lockd", "leases")),
                section(TestSections.network(), new PortData(List.of(new PortData.Interface(2, "midonet", null)))),
                section(TestSections.statistics(), new JobStatistics(Map.of("started", 1L, "downtime", -1L))),
                section(TestSections.capabilities(), new MigrationCapabilities(
                        List.of(new MigrationCapabilities.Capability("postcopy-ram", false)))));
        String xml = TestSections.codec().format(HEADER, List.of("lockstate"), sections);
        ParsedCookie parsed = TestSections.codec().parse(xml.getBytes(StandardCharsets.UTF_8), EatRules.roundTrip(),
                TestSections.all());
        assertEquals(HEADER, parsed.header());
        assertEquals(List.of("lockstate"), parsed.features());
        for (ParsedCookie.Section section : sections) {
            String feature = section.handle().descriptor().feature();
            assertEquals(feature, section.value(), parsed.value(feature).orElseThrow());
        }
    }

    @Test
    public void formattingSectionFailureIsReported() {
        SectionHandle broken = TestSections.handle(new TextSection() {
            @Override
            public void format(String value, Element fragment) {
                throw new IllegalStateException("no format today");
            }
        }, "broken", "broken", Mandatory.NEVER, List.of(Phase.BEGIN), List.of(Phase.PREPARE));
        try {
            TestSections.codec().format(HEADER, List.of(), List.of(section(broken, "v")));
            throw new AssertionError("format of a broken section succeeded");
        } catch (CookieException e) {
            assertEquals("cookie section broken failed in format: IllegalStateException: no format today", e.getMessage());
        }
    }
}
