package io.ferry.core.cookie;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.ferry.api.cookie.CheckOnly;
import io.ferry.api.cookie.CookieException;
import io.ferry.api.cookie.Mandatory;
import io.ferry.api.cookie.Phase;
import io.ferry.api.cookie.SectionContext;
import io.ferry.api.cookie.SideStream;
import io.ferry.api.hypervisor.DomainSpec;
import io.ferry.api.hypervisor.VirtualMachine;
import io.ferry.api.snapshot.SnapshotStore;
import io.ferry.core.section.CheckHost;
import io.ferry.core.section.MigrationSectionContext;
import io.ferry.core.section.SectionHandle;
import io.ferry.core.section.SectionSet;
import io.ferry.core.section.SectionSource;
import io.ferry.core.snapshot.SnapshotReader;
import io.ferry.plugin.snapshots.SnapshotsSection;
import io.ferry.protocol.DaemonMessages.Checked;
import io.ferry.protocol.DaemonMessages.CheckedSection;
import io.ferry.protocol.xml.HardenedXmlParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.Test;

/**
 * {@code ferry cookie check}: the phase's real eat of every section the cookie carries, with the migration's rules,
 * and nothing on the host changed: sections act only through stand-ins, or say what they would do.
 */
public class CookieCheckTest {
    private static final UUID HERE = UUID.fromString("00000000-0000-4000-8000-0000000000bb");
    private static final UUID SOURCE = UUID.fromString("8b3f4dc4-6a8e-5f9b-94a5-4c35babd8d95");
    private static final UUID VM = UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    private static final SectionContext.Host LOCAL = new SectionContext.Host("here", HERE);

    /** What sections did to "the host": a check must leave it empty. */
    private final List<String> host = Collections.synchronizedList(new ArrayList<>());

    /**
     * A section that acts on the host through a service of its own (as the OVS section writes OVSDB) unless the context
     * says it is a check; it refuses a value of "refuse".
     */
    private final class Acting extends TextSection {
        @Override
        public Optional<String> bake(SectionContext context) {
            return Optional.of("baked");
        }

        @Override
        public void eat(SectionContext context, String value) throws CookieException {
            if (value.equals("refuse")) {
                throw new CookieException("the port " + value + " is not on this host");
            }
            if (context.capability(VirtualMachine.class).isPresent()) {
                host.add("touched the VM");
            }
            Optional<CheckOnly> check = context.capability(CheckOnly.class);
            if (check.isPresent()) {
                check.get().wouldDo("write " + value + " for " + context.domainName());
                return;
            }
            host.add("wrote " + value);
        }
    }

    private SectionHandle acting(String feature, Mandatory mandatory) {
        return TestSections.handle(new Acting(), feature, feature, mandatory, List.of(Phase.PERFORM), List.of(Phase.FINISH));
    }

    /** Snapshots staged on "the host". */
    private final class Store implements SnapshotStore {
        @Override
        public List<Snapshot> list(UUID domain) {
            return List.of(new Snapshot("s1", null, "<domainsnapshot><name>s1</name></domainsnapshot>"));
        }

        @Override
        public Optional<String> current(UUID domain) {
            return Optional.of("s1");
        }

        @Override
        public Snapshot read(String xml) throws IOException {
            return new SnapshotReader(HardenedXmlParser.DEFAULT_MAX_BYTES, HardenedXmlParser.DEFAULT_MAX_DEPTH).read(xml);
        }

        @Override
        public void stage(String migrationId, UUID domain, List<Snapshot> snapshots, String current) {
            host.add("staged " + snapshots.size() + " snapshots");
        }

        @Override
        public void commit(String migrationId) {
            host.add("committed");
        }

        @Override
        public void discard(String migrationId) {
        }
    }

    private SectionHandle snapshots() {
        return TestSections.handle(new SnapshotsSection(new Store()), "snapshots", "snapshots", Mandatory.WHEN_BAKED,
                List.of(Phase.BEGIN), List.of(Phase.PREPARE));
    }

    private static String cookie(String... sections) {
        return "<qemu-migration><name>vm1</name><uuid>" + VM + "</uuid><hostname>src</hostname><hostuuid>" + SOURCE
                + "</hostuuid>" + String.join("", sections) + "</qemu-migration>";
    }

    private static Checked check(String cookie, Phase phase, SectionSet sections, Map<SectionHandle, String> uncheckable)
            throws CookieException {
        return check(cookie, phase, sections, uncheckable, Optional.empty());
    }

    private static Checked check(String cookie, Phase phase, SectionSet sections, Map<SectionHandle, String> uncheckable,
            Optional<DomainSpec> domain) throws CookieException {
        return check(cookie, phase, sections, (left, gone) -> sections, uncheckable, domain);
    }

    /** @param retake the sections registered when the check finds one gone (its bundle updated) */
    private static Checked check(String cookie, Phase phase, SectionSet sections, CookieBakery.Retake retake,
            Map<SectionHandle, String> uncheckable, Optional<DomainSpec> domain) throws CookieException {
        CookieCheck check = new CookieCheck(new CookieBakery(TestSections.codec()), uncheckable::get);
        EatRules rules = new EatRules(phase, HERE, null, domain.map(d -> d.uuid().toString()).orElse(null));
        return check.check(cookie.getBytes(StandardCharsets.UTF_8), rules, sections, retake, domain, LOCAL,
                new CheckHost("file", name -> name.equals("vm1") ? "held-state" : null));
    }

    private static CheckedSection section(Checked checked, String name) {
        return checked.sections().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + checked.sections()));
    }

    @Test
    public void everySectionIsEatenAsTheMigrationWouldWhileTheHostStaysUntouched() throws Exception {
        SectionHandle ovs = acting("ovs", Mandatory.NEVER);
        Checked checked = check(cookie("<lockstate driver='file'><leases>lease-1</leases></lockstate>", "<ovs>port-data</ovs>"),
                Phase.FINISH, TestSections.of(TestSections.lockstate(), ovs), Map.of());
        assertNull(checked.refusal());
        assertEquals(List.of("lockstate", "ovs"), checked.eaten());
        assertEquals(new CheckedSection("lockstate", CheckedSection.EATEN, null,
                List.of("would acquire the domain's disk leases with file state 'lease-1'")), section(checked, "lockstate"));
        assertEquals(List.of("would write port-data for vm1"), section(checked, "ovs").notes());
        assertEquals("no VM, no write, no lease", List.of(), host);
    }

    @Test
    public void aFailingMandatorySectionFailsTheCheckWithItsMessageAndTheRestIsNotEaten() throws Exception {
        Checked checked = check(cookie("<lockstate driver='sanlock'><leases>x</leases></lockstate>", "<domain><name>vm1</name></domain>",
                "<ovs>port-data</ovs>"), Phase.FINISH, TestSections.of(TestSections.lockstate(), TestSections.persistent(),
                acting("ovs", Mandatory.NEVER)), Map.of());
        String mismatch = "lock manager mismatch: the source uses sanlock, this host file; both hosts must use the same one";
        assertEquals(mismatch, checked.refusal());
        assertEquals(List.of(), checked.eaten());
        assertEquals(new CheckedSection("lockstate", CheckedSection.FAILED, mismatch, List.of()), section(checked, "lockstate"));
        assertEquals(new CheckedSection("persistent", CheckedSection.NOT_EATEN, "finish stopped at lockstate", List.of()),
                section(checked, "persistent"));
        assertEquals(CheckedSection.NOT_EATEN, section(checked, "ovs").outcome());
        assertEquals(List.of(), host);
    }

    @Test
    public void anOptionalSectionThatFailsIsReportedAndTheCookieStillAccepted() throws Exception {
        Checked checked = check(cookie("<optional>refuse</optional>", "<ovs>data</ovs>"), Phase.FINISH,
                TestSections.of(acting("optional", Mandatory.NEVER), acting("ovs", Mandatory.NEVER)), Map.of());
        assertNull(checked.refusal());
        assertEquals(List.of("ovs"), checked.eaten());
        assertEquals(new CheckedSection("optional", CheckedSection.SKIPPED, "the port refuse is not on this host", List.of()),
                section(checked, "optional"));
    }

    @Test
    public void aMandatorySectionThatFailsRefusesTheCookie() throws Exception {
        Checked checked = check(cookie("<feature name='required'/>", "<required>refuse</required>"), Phase.FINISH,
                TestSections.of(acting("required", Mandatory.WHEN_BAKED)), Map.of());
        assertEquals("the port refuse is not on this host", checked.refusal());
        assertEquals(CheckedSection.FAILED, section(checked, "required").outcome());
    }

    @Test
    public void aSectionWhoseDataComesThroughTheSideStreamIsNotEatenNorAFailure() throws Exception {
        Checked checked = check(cookie("<feature name='snapshots'/>", "<snapshots count='1' digest='abc'/>"), Phase.PREPARE,
                TestSections.of(snapshots(), TestSections.capabilities()), Map.of());
        assertNull(checked.refusal());
        assertEquals(new CheckedSection("snapshots", CheckedSection.NOT_EATEN, CheckHost.NO_SIDE_STREAM, List.of()),
                section(checked, "snapshots"));
        assertEquals("the absent capabilities are eaten as none, as in a migration", List.of("capabilities"), checked.eaten());
        assertEquals(List.of(), host);
    }

    /** A section built before checks: it acts on "the host" whenever it eats. */
    private SectionHandle uncheckableOld() {
        return TestSections.handle(new TextSection() {
            @Override
            public Optional<String> bake(SectionContext context) {
                return Optional.empty();
            }

            @Override
            public void eat(SectionContext context, String value) {
                host.add("the old section acted");
            }
        }, "old", "old", Mandatory.WHEN_BAKED, List.of(Phase.PERFORM), List.of(Phase.FINISH));
    }

    @Test
    public void aSectionThatCannotKnowChecksIsNotEatenAtAll() throws Exception {
        SectionHandle old = uncheckableOld();
        Checked checked = check(cookie("<feature name='old'/>", "<old>x</old>"), Phase.FINISH, TestSections.of(old),
                Map.of(old, "built against io.ferry.api.cookie 1.1, before 1.2: it cannot know a check from a migration"));
        assertNull(checked.refusal());
        assertEquals(new CheckedSection("old", CheckedSection.NOT_EATEN,
                "built against io.ferry.api.cookie 1.1, before 1.2: it cannot know a check from a migration", List.of()),
                section(checked, "old"));
        assertEquals(List.of(), host);
    }

    /** A section whose bundle is updated between the check's parse and its eat: it never ate, and so eats in a migration. */
    @Test
    public void aSectionUpdatedBeforeItsEatIsCheckedByItsNewRegistrationAndAnUncheckableOneStaysUneaten() throws Exception {
        SectionHandle old = uncheckableOld();
        SectionHandle updated = acting("ovs", Mandatory.NEVER);
        List<SectionSet> retaken = new ArrayList<>();
        Checked checked = check(cookie("<feature name='old'/>", "<old>x</old>", "<ovs>port-data</ovs>"), Phase.FINISH,
                TestSections.of(old, updatedAfterItsParse("ovs", new Acting())), (left, gone) -> {
                    retaken.add(left);
                    return TestSections.of(old, updated);
                }, Map.of(old, "built before checks"), Optional.empty());

        assertEquals("taken again once", 1, retaken.size());
        assertNull(checked.refusal());
        assertEquals(List.of("ovs"), checked.eaten());
        assertEquals(new CheckedSection("ovs", CheckedSection.EATEN, null, List.of("would write port-data for vm1")),
                section(checked, "ovs"));
        assertEquals(new CheckedSection("old", CheckedSection.NOT_EATEN, "built before checks", List.of()),
                section(checked, "old"));
        assertEquals(List.of(), host);
    }

    @Test
    public void aSectionGoneAtEveryTakeIsReportedFailedAndRefusesTheCookie() throws Exception {
        String gone = "cookie section ovs is no longer registered (its bundle was stopped, updated or uninstalled)";
        Checked checked = check(cookie("<ovs>port-data</ovs>"), Phase.FINISH, TestSections.of(updatedAfterItsParse("ovs",
                new Acting())), (left, feature) -> TestSections.of(updatedAfterItsParse("ovs", new Acting())), Map.of(),
                Optional.empty());

        assertEquals(gone, checked.refusal());
        assertEquals(new CheckedSection("ovs", CheckedSection.FAILED, gone, List.of()), section(checked, "ovs"));
    }

    /** An optional section removed as the check was to eat it is left out, as in a migration, and said so. */
    @Test
    public void anOptionalSectionRemovedBeforeItsEatIsReportedNotEaten() throws Exception {
        Checked checked = check(cookie("<ovs>port-data</ovs>"), Phase.FINISH, TestSections.of(updatedAfterItsParse("ovs",
                new Acting())), (left, feature) -> TestSections.of(), Map.of(), Optional.empty());

        assertNull(checked.refusal());
        assertEquals(new CheckedSection("ovs", CheckedSection.NOT_EATEN, CookieCheck.LEFT, List.of()), section(checked, "ovs"));
    }

    /** A section removed as the check was to eat it, its feature announced: the parse again refuses, the section fails. */
    @Test
    public void anAnnouncedSectionRemovedBeforeItsEatFailsTheCheckWithTheRefusal() throws Exception {
        Checked checked = check(cookie("<feature name='ovs'/>", "<ovs>port-data</ovs>"), Phase.FINISH,
                TestSections.of(updatedAfterItsParse("ovs", new Acting())), (left, feature) -> TestSections.of(), Map.of(),
                Optional.empty());

        assertEquals("Unknown migration cookie feature ovs", checked.refusal());
        assertEquals(new CheckedSection("ovs", CheckedSection.FAILED, checked.refusal(), List.of()), section(checked, "ovs"));
    }

    /** An optional section of {@code feature} whose registration is gone once it has parsed. */
    private static SectionHandle updatedAfterItsParse(String feature, TextSection section) {
        return TestSections.handle(TestSections.goneAfter(feature, 1, SectionSource.of(section)), feature, feature,
                Mandatory.NEVER, List.of(Phase.PERFORM), List.of(Phase.FINISH), TestSections.TIMEOUT);
    }

    /** A section's warning in a check is in its report, as the would-do lines are: the operator sees what would go wrong. */
    @Test
    public void aSectionsWarningIsReportedWithIt() throws Exception {
        Checked checked = check(cookie("<graphics type='vnc' port='5900' listen='a b'/>"), Phase.PERFORM,
                TestSections.of(TestSections.graphics()), Map.of());
        assertEquals(List.of("warning: destination graphics listen on 'a b', which is no host name or IP address: clients are"
                + " not relocated"), section(checked, "graphics").notes());
    }

    @Test
    public void whatThePhaseDoesNotEatIsSaidWithWhoWould() throws Exception {
        Checked checked = check(cookie("<graphics type='vnc' port='5900' listen='0.0.0.0'/>", "<lockstate driver='file'><leases/></lockstate>",
                "<nbd port='1'/>"), Phase.PERFORM, TestSections.of(TestSections.graphics(), TestSections.lockstate(),
                TestSections.capabilities()), Map.of());
        assertEquals(List.of("graphics", "capabilities"), checked.eaten());
        assertEquals(List.of("would tell the vnc clients to reconnect to src:5900"), section(checked, "graphics").notes());
        assertEquals(new CheckedSection("lockstate", CheckedSection.NOT_EATEN, "perform does not eat it; prepare and finish do",
                List.of()), section(checked, "lockstate"));
        assertEquals(new CheckedSection("<nbd>", CheckedSection.NOT_EATEN, "no section of this host reads it", List.of()),
                section(checked, "<nbd>"));
    }

    @Test
    public void withADomainItsUuidIsCheckedAndItsDefinitionOffered() throws Exception {
        DomainSpec other = new DomainSpec("vm1", UUID.randomUUID(), "sim", 16384, 1, List.of(), List.of(), List.of(), "<domain/>");
        CookieException e = assertThrows(CookieException.class, () -> check(cookie("<ovs>x</ovs>"), Phase.FINISH,
                TestSections.of(acting("ovs", Mandatory.NEVER)), Map.of(), Optional.of(other)));
        assertEquals("Incoming cookie data had unexpected UUID " + VM + " vs " + other.uuid(), e.getMessage());
        DomainSpec renamed = new DomainSpec("vm1-renamed", VM, "sim", 16384, 1, List.of(), List.of(), List.of(), "<domain/>");
        Checked checked = check(cookie("<ovs>x</ovs>"), Phase.FINISH, TestSections.of(acting("ovs", Mandatory.NEVER)), Map.of(),
                Optional.of(renamed));
        assertEquals(List.of("would write x for vm1-renamed"), section(checked, "ovs").notes());
    }

    @Test
    public void withoutADomainAMalformedUuidIsRefusedAsLibvirtRefusesIt() {
        String cookie = cookie("<ovs>x</ovs>").replace(VM.toString(), "1b4e28ba-2fa1-11d2-883f-0016d3cca42");
        CookieException e = assertThrows(CookieException.class,
                () -> check(cookie, Phase.FINISH, TestSections.of(acting("ovs", Mandatory.NEVER)), Map.of()));
        assertEquals("malformed uuid element in migration data", e.getMessage());
    }

    @Test
    public void aCheckBakeOffersStandInsOnly() throws Exception {
        DomainSpec vm1 = new DomainSpec("vm1", VM, "sim", 16384, 1, List.of(new DomainSpec.Disk("/shared/vm1.img", "vda")),
                List.of(), List.of(), "<domain/>");
        CheckHost stand = new CheckHost("file", name -> name.equals("vm1") ? "held-state" : null);
        MigrationSectionContext context = MigrationSectionContext.check(Phase.BEGIN, "bake-1", "vm1", VM, Optional.of(vm1), LOCAL, stand);
        String baked = new CookieBakery(TestSections.codec()).bake(new CookieHeader("vm1", VM.toString(), "here", HERE),
                TestSections.of(TestSections.lockstate(), snapshots()), context).xml();
        assertTrue(baked, baked.contains("<lockstate driver='file'>\n    <leases>held-state</leases>"));
        assertTrue(baked, baked.contains("<snapshots count='1'"));
        assertEquals(Optional.empty(), context.capability(VirtualMachine.class));
        assertTrue(context.forSection("x").capability(SideStream.class).isPresent());
        assertEquals(List.of(), host);
    }
}
