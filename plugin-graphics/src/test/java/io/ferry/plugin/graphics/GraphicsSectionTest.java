package io.ferry.plugin.graphics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.hypervisor.MigrationControl;
import io.ferry.api.hypervisor.MigrationStats;
import io.ferry.api.hypervisor.VirtualMachine;
import java.io.InputStream;
import java.io.OutputStream;
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
        RecordingContext context = new RecordingContext();
        context.vm = Optional.of(new FakeVm(List.of(new DomainSpec.Graphics("sdl", 0, null))));
        assertEquals(Optional.empty(), section.bake(context));
    }

    @Test
    public void bakeDescribesTheFirstVncOrSpiceListener() {
        RecordingContext context = new RecordingContext();
        context.vm = Optional.of(new FakeVm(List.of(new DomainSpec.Graphics("sdl", 0, null),
                new DomainSpec.Graphics("vnc", 5907, "127.0.0.1"), new DomainSpec.Graphics("spice", 5908, "127.0.0.1"))));
        assertEquals(Optional.of(new GraphicsRelocation("vnc", 5907, "127.0.0.1", null, null)), section.bake(context));
    }

    @Test
    public void spiceGetsNoTlsPortAndTheConfiguredSubject() {
        section.configure(config(" CN=dest.example "));
        RecordingContext context = new RecordingContext();
        context.vm = Optional.of(new FakeVm(List.of(new DomainSpec.Graphics("spice", 5930, null))));
        assertEquals(Optional.of(new GraphicsRelocation("spice", 5930, "0.0.0.0", -1, "CN=dest.example")), section.bake(context));
        section.configure(config(""));
        assertEquals(null, section.bake(context).get().tlsSubject());
    }

    @Test
    public void eatRelocatesClientsToTheDestinationsListener() {
        RecordingContext context = new RecordingContext();
        FakeVm vm = new FakeVm(List.of(new DomainSpec.Graphics("spice", 5900, "127.0.0.1")));
        context.vm = Optional.of(vm);
        section.eat(context, new GraphicsRelocation("spice", 5901, "192.0.2.7", 5902, "CN=b"));
        assertEquals(List.of("spice 192.0.2.7:5901 CN=b"), vm.relocations);
        assertTrue(context.warn.isEmpty());
    }

    @Test
    public void eatUsesThePeersHostnameForAWildcardListen() {
        for (String wildcard : List.of("0.0.0.0", "::")) {
            RecordingContext context = new RecordingContext();
            FakeVm vm = new FakeVm(List.of());
            context.vm = Optional.of(vm);
            context.remote = Optional.of(new SectionContext.Host("host-b.example", UUID.randomUUID()));
            section.eat(context, new GraphicsRelocation("vnc", 5901, wildcard, null, null));
            assertEquals(List.of("vnc host-b.example:5901 null"), vm.relocations);
        }
    }

    @Test
    public void aFailingRelocationIsOnlyAWarning() {
        RecordingContext context = new RecordingContext();
        FakeVm vm = new FakeVm(List.of());
        vm.failure = new HypervisorException("domain 'vm' has no vnc graphics");
        context.vm = Optional.of(vm);
        section.eat(context, new GraphicsRelocation("vnc", 5901, "192.0.2.7", null, null));
        assertEquals(List.of("unable to provide data for graphics client relocation: domain 'vm' has no vnc graphics"), context.warn);
    }

    @Test
    public void eatWithoutAVmOrHostnameRelocatesNothing() {
        RecordingContext context = new RecordingContext();
        section.eat(context, new GraphicsRelocation("spice", 5900, "192.0.2.7", 5901, null));
        assertTrue(context.warn.isEmpty());
        FakeVm vm = new FakeVm(List.of());
        context.vm = Optional.of(vm);
        section.eat(context, new GraphicsRelocation("vnc", 5900, "0.0.0.0", null, null));
        assertTrue(vm.relocations.isEmpty());
        assertEquals(1, context.warn.size());
    }

    private static GraphicsSection.Config config(String subject) {
        return new GraphicsSection.Config() {
            @Override
            public String tlsSubject() {
                return subject;
            }

            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return GraphicsSection.Config.class;
            }
        };
    }

    /** A VM with given graphics listeners that records relocations. */
    static final class FakeVm implements VirtualMachine {
        final List<DomainSpec.Graphics> listeners;
        final List<String> relocations = new ArrayList<>();
        HypervisorException failure;

        FakeVm(List<DomainSpec.Graphics> listeners) {
            this.listeners = listeners;
        }

        @Override
        public List<DomainSpec.Graphics> graphicsListeners() {
            return listeners;
        }

        @Override
        public void relocateGraphicsClients(DomainSpec.Graphics destination, String tlsSubject) throws HypervisorException {
            if (failure != null) {
                throw failure;
            }
            relocations.add(destination.type() + " " + destination.listen() + ":" + destination.port() + " " + tlsSubject);
        }

        @Override
        public DomainSpec spec() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isRunning() {
            return true;
        }

        @Override
        public void pause() {
        }

        @Override
        public void resume() {
        }

        @Override
        public void destroy() {
        }

        @Override
        public String memoryDigest() {
            return "0";
        }

        @Override
        public MigrationStats sendMemory(OutputStream out, MigrationControl control) {
            throw new UnsupportedOperationException();
        }

        @Override
        public MigrationStats receiveMemory(InputStream in, MigrationControl control) {
            throw new UnsupportedOperationException();
        }
    }

    /** Records what a section logs. */
    static final class RecordingContext implements SectionContext {
        final List<String> info = new ArrayList<>();
        final List<String> warn = new ArrayList<>();
        Optional<VirtualMachine> vm = Optional.empty();
        Optional<Host> remote = Optional.empty();

        @Override
        public java.util.Optional<io.ferry.api.hypervisor.DomainSpec> domain() {
            return java.util.Optional.empty();
        }

        @Override
        public Optional<VirtualMachine> vm() {
            return vm;
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
            return remote;
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
