package io.ferry.plugin.graphics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.Test;
import org.w3c.dom.Element;

/** libvirt's {@code <graphics>} cookie section (qemuMigrationCookieGraphicsXMLParse/Format). */
public class GraphicsSectionTest {
    private final GraphicsSection section = new GraphicsSection();

    static Element xml(String text) {
        try {
            return DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static Element emptyFragment() {
        try {
            var document = DocumentBuilderFactory.newDefaultInstance().newDocumentBuilder().newDocument();
            document.appendChild(document.createElement("graphics"));
            return document.getDocumentElement();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private Element format(GraphicsRelocation value) {
        Element fragment = emptyFragment();
        section.format(value, fragment);
        return fragment;
    }

    private void assertRefused(String message, String fragment) {
        CookieException e = assertThrows(CookieException.class, () -> section.parse(xml(fragment)));
        assertEquals(message, e.getMessage());
    }

    @Test
    public void spiceWithCertificateSubjectParses() throws Exception {
        GraphicsRelocation value = section.parse(xml(
                "<graphics type='spice' port='123' listen='test' tlsPort='321'><cert info='subject' value='testsubject'/></graphics>"));
        assertEquals(new GraphicsRelocation("spice", 123, "test", 321, "testsubject"), value);
    }

    @Test
    public void vncHasNoTlsPortEvenIfOneIsWritten() throws Exception {
        assertEquals(new GraphicsRelocation("vnc", 5901, "::1", null, null),
                section.parse(xml("<graphics type='vnc' port='5901' listen='::1' tlsPort='7'/>")));
    }

    @Test
    public void firstSubjectCertWinsAndOtherCertsAreIgnored() throws Exception {
        GraphicsRelocation value = section.parse(xml("<graphics type='spice' port='1' listen='h' tlsPort='-1'>"
                + "<cert info='issuer' value='ca'/><cert info='subject' value='first'/><cert info='subject' value='second'/>"
                + "</graphics>"));
        assertEquals("first", value.tlsSubject());
        assertEquals(Integer.valueOf(-1), value.tlsPort());
    }

    @Test
    public void formatWritesLibvirtsAttributesAndCert() {
        Element fragment = format(new GraphicsRelocation("spice", 5900, "192.0.2.1", 5901, "CN=dest"));
        assertEquals("spice", fragment.getAttribute("type"));
        assertEquals("5900", fragment.getAttribute("port"));
        assertEquals("192.0.2.1", fragment.getAttribute("listen"));
        assertEquals("5901", fragment.getAttribute("tlsPort"));
        Element cert = (Element) fragment.getElementsByTagName("cert").item(0);
        assertEquals("subject", cert.getAttribute("info"));
        assertEquals("CN=dest", cert.getAttribute("value"));
    }

    @Test
    public void formatOmitsTlsPortAndCertWhenAbsent() {
        Element fragment = format(new GraphicsRelocation("vnc", 5900, "0.0.0.0", null, null));
        assertFalse(fragment.hasAttribute("tlsPort"));
        assertFalse(fragment.hasChildNodes());
    }

    @Test
    public void formatThenParseIsIdentity() throws Exception {
        for (GraphicsRelocation value : List.of(
                new GraphicsRelocation("spice", 5900, "it's \"<&>\"", 5901, "O=a&b, CN='x'"),
                new GraphicsRelocation("spice", 0, "::", -1, null),
                new GraphicsRelocation("vnc", 65535, "host.example", null, null),
                new GraphicsRelocation("dbus", 1, "h", null, "s"))) {
            assertEquals(value, section.parse(format(value)));
        }
    }

    @Test
    public void missingTypeIsRefused() {
        assertRefused("missing type attribute in migration data", "<graphics port='1' listen='h'/>");
        assertRefused("missing type attribute in migration data", "<graphics type='' port='1' listen='h'/>");
    }

    @Test
    public void unknownTypeIsRefused() {
        assertRefused("unknown graphics type vrdp", "<graphics type='vrdp' port='1' listen='h'/>");
    }

    @Test
    public void everyLibvirtGraphicsTypeIsKnown() throws Exception {
        for (String type : List.of("sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus")) {
            assertEquals(type, section.parse(xml("<graphics type='" + type + "' port='1' tlsPort='2' listen='h'/>")).type());
        }
    }

    @Test
    public void missingOrNonNumericPortIsRefused() {
        assertRefused("missing port attribute in migration data", "<graphics type='vnc' listen='h'/>");
        assertRefused("missing port attribute in migration data", "<graphics type='vnc' port='59OO' listen='h'/>");
        assertRefused("missing port attribute in migration data", "<graphics type='vnc' port='99999999999' listen='h'/>");
    }

    @Test
    public void spiceWithoutTlsPortIsRefused() {
        assertRefused("missing tlsPort attribute in migration data", "<graphics type='spice' port='1' listen='h'/>");
        assertRefused("missing tlsPort attribute in migration data", "<graphics type='spice' port='1' tlsPort='x' listen='h'/>");
    }

    @Test
    public void missingOrEmptyListenIsRefused() {
        assertRefused("missing listen attribute in migration data", "<graphics type='vnc' port='1'/>");
        assertRefused("missing listen attribute in migration data", "<graphics type='vnc' port='1' listen=''/>");
    }

    @Test
    public void bakeHasNothingToSayWithoutAGraphicsServer() {
        assertEquals(Optional.empty(), section.bake(new RecordingContext()));
    }

    @Test
    public void eatLogsWhereTheDestinationListens() {
        RecordingContext context = new RecordingContext();
        section.eat(context, new GraphicsRelocation("spice", 5900, "192.0.2.7", 5901, null));
        assertEquals(List.of("destination graphics listen on 192.0.2.7:5900"), context.info);
        assertTrue(context.warn.isEmpty());
    }

    /** Records what a section logs. */
    static final class RecordingContext implements SectionContext {
        final List<String> info = new ArrayList<>();
        final List<String> warn = new ArrayList<>();

        @Override
        public java.util.Optional<io.ferry.api.hypervisor.DomainSpec> domain() {
            return java.util.Optional.empty();
        }

        @Override
        public java.util.Optional<io.ferry.api.hypervisor.VirtualMachine> vm() {
            return java.util.Optional.empty();
        }

        @Override
        public java.util.Optional<io.ferry.api.cookie.DomainLeases> leases() {
            return java.util.Optional.empty();
        }

        @Override
        public java.util.Optional<io.ferry.api.cookie.SideStream> sideStream() {
            return java.util.Optional.empty();
        }

        @Override
        public Phase phase() {
            return Phase.PERFORM;
        }

        @Override
        public String migrationId() {
            return "m1";
        }

        @Override
        public String domainName() {
            return "vm";
        }

        @Override
        public UUID domainUuid() {
            return UUID.fromString("dcf47dbd-46d1-4d5b-b442-262a806a333a");
        }

        @Override
        public Host localHost() {
            return new Host("src", UUID.fromString("8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95"));
        }

        @Override
        public Optional<Host> remoteHost() {
            return Optional.empty();
        }

        @Override
        public void info(String message) {
            info.add(message);
        }

        @Override
        public void warn(String message) {
            warn.add(message);
        }
    }
}
