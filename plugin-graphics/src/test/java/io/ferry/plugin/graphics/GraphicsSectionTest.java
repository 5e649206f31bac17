package io.ferry.plugin.graphics;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.HypervisorException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.GraphicsConsole;
import io.ferry.testkit.CookieRoundTrip;
import io.ferry.testkit.Fragments;
import io.ferry.testkit.SectionMetadata;
import io.ferry.testkit.TestSectionContext;
import io.ferry.testkit.TwoHosts;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.Test;
import org.w3c.dom.Element;

/** libvirt's {@code <graphics>} cookie section (qemuMigrationCookieGraphicsXMLParse/Format). */
public class GraphicsSectionTest {
    private final GraphicsSection section = new GraphicsSection();

    private Element format(GraphicsRelocation value) {
        Element fragment = Fragments.empty("graphics");
        section.format(value, fragment);
        return fragment;
    }

    private void assertRefused(String message, String fragment) {
        CookieException e = assertThrows(CookieException.class, () -> section.parse(Fragments.parse(fragment)));
        assertEquals(message, e.getMessage());
    }

    @Test
    public void spiceWithCertificateSubjectParses() throws Exception {
        GraphicsRelocation value = section.parse(Fragments.parse(
                "<graphics type='spice' port='123' listen='test' tlsPort='321'><cert info='subject' value='testsubject'/></graphics>"));
        assertEquals(new GraphicsRelocation("spice", 123, "test", 321, "testsubject"), value);
    }

    @Test
    public void vncHasNoTlsPortEvenIfOneIsWritten() throws Exception {
        assertEquals(new GraphicsRelocation("vnc", 5901, "::1", null, null),
                section.parse(Fragments.parse("<graphics type='vnc' port='5901' listen='::1' tlsPort='7'/>")));
    }

    @Test
    public void firstSubjectCertWinsAndOtherCertsAreIgnored() throws Exception {
        GraphicsRelocation value = section.parse(Fragments.parse("<graphics type='spice' port='1' listen='h' tlsPort='-1'>"
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
    public void registeredAsLibvirtsOptionalSectionOfPrepareAndPerform() {
        SectionMetadata graphics = SectionMetadata.of(GraphicsSection.class);
        assertEquals("graphics", graphics.feature());
        assertEquals(Mandatory.NEVER, graphics.mandatory());
        assertEquals(Set.of(Phase.PREPARE), graphics.bakes());
        assertEquals(Set.of(Phase.PERFORM), graphics.eats());
    }

    @Test
    public void theDestinationsListenerReachesTheSourcesClients() throws Exception {
        TwoHosts<GraphicsRelocation> hosts = TwoHosts.of(section);
        FakeConsole source = new FakeConsole(List.of(new DomainSpec.Graphics("vnc", 5900, "0.0.0.0")));
        hosts.source().offer(source);
        hosts.destination().offer(new FakeConsole(List.of(new DomainSpec.Graphics("vnc", 5907, "0.0.0.0"))));
        hosts.migrate();
        assertEquals(List.of("vnc destination:5907 -1 null"), source.relocations);
    }

    @Test
    public void formatThenParseThroughTheCookieIsIdentity() throws Exception {
        CookieRoundTrip<GraphicsRelocation> trip = CookieRoundTrip.of(section);
        for (GraphicsRelocation value : List.of(
                new GraphicsRelocation("spice", 5900, "it's \"<&>\"", 5901, "O=a&b, CN='x'"),
                new GraphicsRelocation("spice", 0, "::", -1, null),
                new GraphicsRelocation("vnc", 65535, "host.example", null, null),
                new GraphicsRelocation("dbus", 1, "h", null, "s"))) {
            assertEquals(value, trip.roundTrip(value));
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
            assertEquals(type, section.parse(Fragments.parse("<graphics type='" + type + "' port='1' tlsPort='2' listen='h'/>")).type());
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
        assertEquals(Optional.empty(), section.bake(new TestSectionContext()));
        TestSectionContext context = new TestSectionContext();
        context.offer(new FakeConsole(List.of(new DomainSpec.Graphics("sdl", 0, null))));
        assertEquals(Optional.empty(), section.bake(context));
    }

    @Test
    public void bakeDescribesTheFirstVncOrSpiceListener() {
        TestSectionContext context = new TestSectionContext();
        context.offer(new FakeConsole(List.of(new DomainSpec.Graphics("sdl", 0, null),
                new DomainSpec.Graphics("vnc", 5907, "127.0.0.1"), new DomainSpec.Graphics("spice", 5908, "127.0.0.1"))));
        assertEquals(Optional.of(new GraphicsRelocation("vnc", 5907, "127.0.0.1", null, null)), section.bake(context));
    }

    @Test
    public void spiceGetsNoTlsPortAndTheConfiguredSubject() {
        section.configure(config(" CN=dest.example "));
        TestSectionContext context = new TestSectionContext();
        context.offer(new FakeConsole(List.of(new DomainSpec.Graphics("spice", 5930, null))));
        assertEquals(Optional.of(new GraphicsRelocation("spice", 5930, "0.0.0.0", -1, "CN=dest.example")), section.bake(context));
        section.configure(config(""));
        assertEquals(null, section.bake(context).get().tlsSubject());
    }

    @Test
    public void eatRelocatesClientsToTheDestinationsListener() {
        TestSectionContext context = new TestSectionContext();
        FakeConsole vm = new FakeConsole(List.of(new DomainSpec.Graphics("spice", 5900, "127.0.0.1")));
        context.offer(vm);
        section.eat(context, new GraphicsRelocation("spice", 5901, "192.0.2.7", 5902, "CN=b"));
        assertEquals(List.of("spice 192.0.2.7:5901 5902 CN=b"), vm.relocations);
        assertTrue(context.warn.isEmpty());
    }

    @Test
    public void eatUsesThePeersHostnameForAWildcardListen() {
        for (String wildcard : List.of("0.0.0.0", "::")) {
            TestSectionContext context = new TestSectionContext();
            FakeConsole vm = new FakeConsole(List.of());
            context.offer(vm);
            context.remoteHost(new SectionContext.Host("host-b.example", UUID.randomUUID()));
            section.eat(context, new GraphicsRelocation("vnc", 5901, wildcard, null, null));
            assertEquals(List.of("vnc host-b.example:5901 -1 null"), vm.relocations);
        }
    }

    /**
     * Every spelling of the wildcard address is one (libvirt's virSocketAddrIsWildcard): a client sent to "::0" or
     * "0:0:0:0:0:0:0:0" would connect to its own host, whatever listens there. A listen of blanks names no address,
     * as an empty one in a definition does (the destination's bake writes 0.0.0.0 for it).
     */
    @Test
    public void everySpellingOfTheWildcardUsesThePeersHostname() {
        for (String wildcard : List.of("0:0:0:0:0:0:0:0", "::0", "[::]", "[0::0]", "0000::", "::ffff:0.0.0.0", " :: ", "  ")) {
            TestSectionContext context = new TestSectionContext();
            FakeConsole vm = new FakeConsole(List.of());
            context.offer(vm);
            context.remoteHost(new SectionContext.Host("host-b.example", UUID.randomUUID()));
            section.eat(context, new GraphicsRelocation("spice", 5901, wildcard, -1, null));
            assertEquals(wildcard, List.of("spice host-b.example:5901 -1 null"), vm.relocations);
        }
    }

    @Test
    public void aFailingRelocationIsOnlyAWarning() {
        TestSectionContext context = new TestSectionContext();
        FakeConsole vm = new FakeConsole(List.of());
        vm.failure = new HypervisorException("domain 'vm' has no vnc graphics");
        context.offer(vm);
        section.eat(context, new GraphicsRelocation("vnc", 5901, "192.0.2.7", null, null));
        assertEquals(List.of("unable to provide data for graphics client relocation: domain 'vm' has no vnc graphics"), context.warn);
    }

    @Test
    public void eatWithoutAVmOrHostnameRelocatesNothing() {
        TestSectionContext context = new TestSectionContext();
        section.eat(context, new GraphicsRelocation("spice", 5900, "192.0.2.7", 5901, null));
        assertTrue(context.warn.isEmpty());
        FakeConsole vm = new FakeConsole(List.of());
        context.offer(vm);
        section.eat(context, new GraphicsRelocation("vnc", 5900, "0.0.0.0", null, null));
        assertTrue(vm.relocations.isEmpty());
        assertEquals(1, context.warn.size());
    }

    @Test
    public void aCheckRelocatesNobodyAndSaysWhereItWouldSendThem() {
        TestSectionContext context = new TestSectionContext().checkOnly();
        FakeConsole vm = new FakeConsole(List.of(new DomainSpec.Graphics("spice", 5900, "127.0.0.1")));
        context.offer(vm);
        context.remoteHost(new SectionContext.Host("host-b.example", UUID.randomUUID()));
        section.eat(context, new GraphicsRelocation("spice", 5901, "0.0.0.0", 5902, "CN=b"));
        assertEquals(List.of(), vm.relocations);
        assertEquals(List.of("tell the spice clients to reconnect to host-b.example:5901"), context.wouldDo);
        TestSectionContext withoutVm = new TestSectionContext().checkOnly();
        section.eat(withoutVm, new GraphicsRelocation("vnc", 5901, "192.0.2.7", null, null));
        assertEquals("a check has no VM, and says the same", List.of("tell the vnc clients to reconnect to 192.0.2.7:5901"),
                withoutVm.wouldDo);
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

    /** A VM's graphics with given listeners that records relocations. */
    static final class FakeConsole implements GraphicsConsole {
        final List<DomainSpec.Graphics> listeners;
        final List<String> relocations = new ArrayList<>();
        HypervisorException failure;

        FakeConsole(List<DomainSpec.Graphics> listeners) {
            this.listeners = listeners;
        }

        @Override
        public List<DomainSpec.Graphics> listeners() {
            return listeners;
        }

        @Override
        public void relocateClients(DomainSpec.Graphics destination, int tlsPort, String tlsSubject) throws HypervisorException {
            if (failure != null) {
                throw failure;
            }
            relocations.add(destination.type() + " " + destination.listen() + ":" + destination.port() + " " + tlsPort + " " + tlsSubject);
        }

        @Override
        public boolean awaitClientsMigrated(long timeoutMillis) {
            return true;
        }
    }
}
