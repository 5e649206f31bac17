package io.ferry.plugin.lockstate;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Phase;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.cookie.Mandatory;
import io.ferry.testkit.CookieRoundTrip;
import io.ferry.testkit.Fragments;
import io.ferry.testkit.SectionMetadata;
import io.ferry.testkit.TestSectionContext;
import io.ferry.testkit.TwoHosts;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.Test;
import org.w3c.dom.Element;

/** libvirt's {@code <lockstate>} cookie section (qemuMigrationCookieXMLParse, lockstate part). */
public class LockstateSectionTest {
    private final LockstateSection section = new LockstateSection();

    private static final UUID DOMAIN = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    private static final DomainSpec ONE_DISK = new DomainSpec("vm", DOMAIN, "sim", 1024, 1,
            List.of(new DomainSpec.Disk("/images/vm.img", "vda")), List.of(), List.of(), "<domain/>");

    /** A context for a domain with one disk and, unless null, leases. */
    private static TestSectionContext at(Phase phase, RecordingLeases leases) {
        return new TestSectionContext().phase(phase).domain(ONE_DISK).leases(leases);
    }

    private Element format(LeaseState value) {
        Element fragment = Fragments.empty("lockstate");
        section.format(value, fragment);
        return fragment;
    }

    @Test
    public void driverAndLeasesParse() throws Exception {
        assertEquals(new LeaseState("blurb", "leastest"),
                section.parse(Fragments.parse("<lockstate driver='blurb'><leases>leastest</leases></lockstate>")));
    }

    @Test
    public void missingOrEmptyLeasesMeanNoState() throws Exception {
        assertEquals(new LeaseState("sanlock", null), section.parse(Fragments.parse("<lockstate driver='sanlock'/>")));
        assertEquals(new LeaseState("sanlock", null), section.parse(Fragments.parse("<lockstate driver='sanlock'><leases/></lockstate>")));
    }

    @Test
    public void onlyTheFirstLeasesElementCounts() throws Exception {
        assertEquals("one", section.parse(Fragments.parse("<lockstate driver='d'><other>x</other><leases>one</leases>"
                + "<leases>two</leases></lockstate>")).leases());
    }

    @Test
    public void leasesTextIsKeptAsItIs() throws Exception {
        String state = " lease:/var/lib/sanlock/__LIBVIRT__DISKS__:0 & <more> ";
        Element fragment = format(new LeaseState("sanlock", state));
        assertEquals(state, section.parse(fragment).leases());
    }

    @Test
    public void missingDriverIsRefused() {
        for (String fragment : List.of("<lockstate><leases>x</leases></lockstate>", "<lockstate driver=''/>")) {
            CookieException e = assertThrows(CookieException.class, () -> section.parse(Fragments.parse(fragment)));
            assertEquals("Missing lock driver name in migration cookie", e.getMessage());
        }
    }

    @Test
    public void formatWritesDriverAndLeases() {
        Element fragment = format(new LeaseState("lockd", "state"));
        assertEquals("lockd", fragment.getAttribute("driver"));
        assertEquals(1, fragment.getElementsByTagName("leases").getLength());
        assertEquals("state", fragment.getElementsByTagName("leases").item(0).getTextContent());
    }

    @Test
    public void formatThenParseThroughTheCookieIsIdentity() {
        CookieRoundTrip<LeaseState> trip = CookieRoundTrip.of(section);
        for (LeaseState value : List.of(new LeaseState("sanlock", "a:b:c"), new LeaseState("lockd", null),
                new LeaseState("d'\"<&>", "x"))) {
            assertEquals(value, trip.roundTrip(value));
        }
    }

    @Test
    public void registeredAsMandatoryWhenBaked() {
        SectionMetadata lockstate = SectionMetadata.of(LockstateSection.class);
        assertEquals(Mandatory.WHEN_BAKED, lockstate.mandatory());
        assertEquals(Set.of(Phase.BEGIN, Phase.PERFORM), lockstate.bakes());
        assertEquals(Set.of(Phase.PREPARE, Phase.FINISH), lockstate.eats());
    }

    @Test
    public void theDestinationAcquiresWithTheStateTheSourceReleased() throws Exception {
        TwoHosts<LeaseState> hosts = TwoHosts.of(section).domain(ONE_DISK);
        hosts.source().offer(new RecordingLeases("file", "abc:3"));
        RecordingLeases destination = new RecordingLeases("file", null);
        hosts.destination().offer(destination);
        TwoHosts.Migration<LeaseState> migration = hosts.migrate();
        assertEquals("abc:3", destination.acquiredWith);
        assertTrue(migration.cookie(Phase.BEGIN).orElseThrow().contains("<feature name='lockstate'/>"));
    }

    @Test
    public void aDestinationWithoutTheSectionCannotTakeTheDomain() {
        TwoHosts<LeaseState> hosts = TwoHosts.between(section, SectionMetadata.of(LockstateSection.class), section,
                SectionMetadata.of(LockstateSection.class).withVersion("2.0")).domain(ONE_DISK);
        hosts.source().offer(new RecordingLeases("file", "abc:3"));
        assertEquals("cookie section lockstate is mandatory for this domain, but the source has version 1.0 and this host 2.0",
                assertThrows(CookieException.class, hosts::migrate).getMessage());
    }

    @Test
    public void noStateFormatsAsEmptyLeases() {
        Element fragment = format(new LeaseState("lockd", null));
        assertEquals("", fragment.getElementsByTagName("leases").item(0).getTextContent());
        assertNull(fragment.getElementsByTagName("leases").item(0).getFirstChild());
    }

    @Test
    public void bakeHasNothingToSayWithoutALockManager() throws Exception {
        assertEquals(Optional.empty(), section.bake(at(Phase.BEGIN, null)));
    }

    @Test
    public void bakeCarriesTheManagersNameAndState() throws Exception {
        TestSectionContext context = at(Phase.PERFORM, new RecordingLeases("file", "abc:2"));
        assertEquals(Optional.of(new LeaseState("file", "abc:2")), section.bake(context));
    }

    /** A domain without disks leases itself: its state goes too, and a destination must take the lease as the disks'. */
    @Test
    public void bakeCarriesTheStateOfADomainWithoutDisks() throws Exception {
        DomainSpec diskless = new DomainSpec("vm", DOMAIN, "sim", 1024, 1, List.of(), List.of(), List.of(), "<domain/>");
        TestSectionContext context = new TestSectionContext().phase(Phase.BEGIN).domain(diskless)
                .leases(new RecordingLeases("file", "domain:" + DOMAIN + ":1"));
        assertEquals(Optional.of(new LeaseState("file", "domain:" + DOMAIN + ":1")), section.bake(context));
    }

    /** The cookie tools bake for a name alone: with no definition, no lease of it to speak of. */
    @Test
    public void bakeHasNothingToSayWithoutTheDomainsDefinition() throws Exception {
        TestSectionContext context = new TestSectionContext().phase(Phase.BEGIN).leases(new RecordingLeases("file", null));
        assertEquals(Optional.empty(), section.bake(context));
    }

    @Test
    public void prepareRefusesAnotherLockManager() {
        TestSectionContext context = at(Phase.PREPARE, new RecordingLeases("zookeeper", null));
        CookieException e = assertThrows(CookieException.class, () -> section.eat(context, new LeaseState("file", "abc:1")));
        assertEquals("lock manager mismatch: the source uses file, this host zookeeper; both hosts must use the same one", e.getMessage());
    }

    @Test
    public void prepareRefusesWhenThisHostHasNoLockManager() {
        CookieException e = assertThrows(CookieException.class,
                () -> section.eat(at(Phase.PREPARE, null), new LeaseState("file", "abc:1")));
        assertTrue(e.getMessage(), e.getMessage().contains("this host has no lock manager"));
    }

    @Test
    public void finishHandsTheStateToTheCore() throws Exception {
        RecordingLeases leases = new RecordingLeases("file", null);
        section.eat(at(Phase.FINISH, leases), new LeaseState("file", "abc:2"));
        assertEquals("abc:2", leases.acquiredWith);
    }
}
